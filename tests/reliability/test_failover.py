"""One active exchange, always: a standby takes over when the active one dies or is paused, and a
paused one that wakes after losing its lease writes nothing (Jepsen's pause test, on our exchange).

Each exchange is a real ``povezimo run --projection exchange`` process sharing one data directory;
the institutions stream the scripted cases wave by wave, each wave decided before the next is
sent. The views are then built from what the exchanges appended and compared with a clean run.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from consumers.exchange import submissions_table
from consumers.lease import LeaseState, read_lease
from producers.scenario import Submission
from services.bootstrap import Platform
from tests.reliability.figures import record
from tests.reliability.streaming import Institutions, assert_exactly_once
from tests.reliability.support import streamed_waves
from tests.support.brokers import TEST_SESSION_TIMEOUT_MS
from tests.support.pipeline import pipeline_of, platform_for, submit

LEASE_MS = 2000
# The lease passes within 1.25 leases of the active member's last renewal (a standby looks every
# quarter lease); decisions resume after one group join, at most a session timeout more. The
# slack is for a machine whose speed swings by 2x.
TAKEOVER_BOUND_S = 1.25 * LEASE_MS / 1000 + 1.5
RESUME_BOUND_S = TAKEOVER_BOUND_S + TEST_SESSION_TIMEOUT_MS / 1000 + 4.0


@dataclass
class Member:
    """One ``povezimo run --projection exchange`` process and its log."""

    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def said(self, words: str) -> bool:
        return words in self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture
def members(tmp_path: Path) -> Iterator[Callable[[Platform, str], Member]]:
    started: list[Member] = []

    def start(platform: Platform, name: str) -> Member:
        log = tmp_path / f"{name}.log"
        env = {**os.environ, "POVEZIMO_LEASE_MS": str(LEASE_MS),
               "POVEZIMO_SESSION_TIMEOUT_MS": str(TEST_SESSION_TIMEOUT_MS)}  # fmt: skip
        if platform.settings.exchange_url:
            env["POVEZIMO_EXCHANGE_URL"] = platform.settings.exchange_url
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "run", "--projection", "exchange",
                 "--bus", platform.settings.resolved_bus_url,
                 "--data-dir", str(platform.settings.data_dir)],
                stdout=out, stderr=subprocess.STDOUT, env=env,
            )  # fmt: skip
        started.append(Member(process, log))
        return started[-1]

    yield start
    for member in started:
        member.stop()


def lease(platform: Platform) -> LeaseState | None:
    try:
        return read_lease(platform.exchange_engine, "exchange")
    except OperationalError:  # on a fresh data directory, before a member made the table
        return None


def holder_pid(platform: Platform) -> int | None:
    held = lease(platform)
    return int(held.holder.split(":")[1]) if held else None


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> float:
    """Seconds until ``condition`` held."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"{what} did not happen in {timeout:.0f}s"
        time.sleep(0.05)
    return time.monotonic() - started


def decisions_by_epoch(platform: Platform) -> dict[int | None, int]:
    with platform.exchange_engine.connect() as conn:
        rows = conn.execute(
            select(submissions_table.c.epoch, func.count()).group_by(submissions_table.c.epoch)
        ).all()
    return {epoch: count for epoch, count in rows}


def assert_epochs_follow_the_log(platform: Platform) -> None:
    """On every submissions partition, a later epoch decided only what came after an earlier
    one's decisions: each member decided a stretch of the log, and no stretch twice."""
    with platform.exchange_engine.connect() as conn:
        rows = conn.execute(
            select(
                submissions_table.c.topic,
                submissions_table.c.partition,
                submissions_table.c.offset,
                submissions_table.c.epoch,
            )
        ).all()
    by_partition: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for topic, partition, offset, epoch in rows:
        by_partition.setdefault((topic, partition), []).append((offset, epoch))
    for place, decided in by_partition.items():
        epochs = [epoch for _offset, epoch in sorted(decided)]
        assert epochs == sorted(epochs), f"{place}: epochs interleave along the log: {epochs}"


def build_views(platform: Platform) -> None:
    """Every projection but the exchange, in this process, from what the exchanges appended."""
    others = [name for name in platform.projections() if name != "exchange"]
    pipeline = pipeline_of(platform, others)
    pipeline.drain(timeout=300)
    pipeline.close()


def sqlite_files(platform: Platform) -> list[Path]:
    urls = [platform.settings.resolved_exchange_url, platform.settings.resolved_bus_url]
    found = [make_url(u) for u in urls]
    return [Path(u.database) for u in found if u.get_backend_name() == "sqlite" and u.database]


def write_locked(path: Path) -> bool:
    connection = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        connection.close()


def pause_between_transactions(member: Member, platform: Platform) -> None:
    """SIGSTOP the member at a moment it holds no SQLite write lock.

    Paused inside a transaction it would hold the file's lock, and the standby would wait for it
    (correctly: the lock orders them) until it is woken: that is not the case this test is for.
    """
    rng = random.Random(7)
    for _ in range(200):
        os.kill(member.pid, signal.SIGSTOP)
        if not any(write_locked(path) for path in sqlite_files(platform)):
            return
        os.kill(member.pid, signal.SIGCONT)
        time.sleep(rng.uniform(0.001, 0.02))
    raise AssertionError("the exchange never paused outside a transaction")


def one_active_one_standby(
    tmp_path: Path,
    bus_url: str,
    start: Callable[[Platform, str], Member],
    exchange_url: str | None = None,
    *,
    fresh: bool = False,
) -> tuple[Platform, Member, Member]:
    """A platform and two exchanges started at once: (platform, active, standby), once each
    knows which it is. ``fresh``: on a data directory nothing has touched yet, so the two also
    create every store at the same moment."""
    platform = platform_for(tmp_path / "data", bus_url)
    platform.settings.exchange_url = exchange_url
    if not fresh:
        platform.create_tables()
    first, second = start(platform, "a"), start(platform, "b")
    wait_for(lambda: holder_pid(platform) in {first.pid, second.pid}, "a lease taken")
    active, standby = (first, second) if holder_pid(platform) == first.pid else (second, first)
    wait_for(lambda: standby.said("standing by"), "the standby standing by")
    return platform, active, standby


def stream(
    platform: Platform,
    waves: list[list[Submission]],
    between: Callable[[int, list[Submission], Institutions], bool] | None = None,
) -> Institutions:
    """Send the waves; ``between(index, wave, institutions)`` may send a wave itself (True)."""
    institutions = Institutions(platform, platform.bus, platform.exchange_engine)
    for index, wave in enumerate(waves):
        if between is None or not between(index, wave, institutions):
            institutions.send(wave)
    return institutions


def test_two_exchanges_started_at_once_keep_one_active_for_the_whole_run(
    pipeline_bus_url: str,
    tmp_path: Path,
    members: Callable[[Platform, str], Member],
    clean: dict[str, str],
) -> None:
    platform, active, standby = one_active_one_standby(
        tmp_path, pipeline_bus_url, members, fresh=True
    )
    stream(platform, streamed_waves(platform))
    held = lease(platform)
    assert held is not None and held.epoch == 1 and holder_pid(platform) == active.pid
    assert set(decisions_by_epoch(platform)) == {1}, "a second member decided something"
    assert not standby.said("took the lease")
    build_views(platform)
    assert_exactly_once(platform, clean)
    platform.close()


def test_a_killed_exchange_is_replaced_by_its_standby_within_the_bound(
    pipeline_bus_url: str,
    tmp_path: Path,
    members: Callable[[Platform, str], Member],
    clean: dict[str, str],
) -> None:
    platform, active, standby = one_active_one_standby(tmp_path, pipeline_bus_url, members)
    waves = streamed_waves(platform)
    timings: dict[str, float] = {}

    def kill_mid_wave(index: int, wave: list[Submission], institutions: Institutions) -> bool:
        if index != len(waves) // 3:
            return False
        submit(platform, wave)
        time.sleep(random.Random(index).uniform(0.0, 0.05))  # while it decides the wave
        killed = time.monotonic()
        active.process.kill()
        timings["takeover"] = wait_for(
            lambda: holder_pid(platform) == standby.pid, "the takeover", timeout=60
        )
        institutions.wait_decided(wave, time.monotonic() + 90)
        timings["resumed"] = time.monotonic() - killed
        return True

    stream(platform, waves, kill_mid_wave)
    record(
        "failover (SIGKILL)",
        **{f"takeover_s[{pipeline_bus_url.split(':')[0]}]": round(timings["takeover"], 2)},
    )
    assert timings["takeover"] <= TAKEOVER_BOUND_S, timings
    assert timings["resumed"] <= RESUME_BOUND_S, timings
    assert set(decisions_by_epoch(platform)) == {1, 2}
    assert_epochs_follow_the_log(platform)
    build_views(platform)
    # A kill between publish and commit leaves a copy on case-events, dropped by every reader.
    assert_exactly_once(platform, clean, in_the_log=False)
    platform.close()


def test_a_paused_exchange_that_lost_its_lease_writes_nothing_when_it_wakes(
    pipeline_bus_url: str,
    tmp_path: Path,
    members: Callable[[Platform, str], Member],
    clean: dict[str, str],
) -> None:
    platform, old, standby = one_active_one_standby(tmp_path, pipeline_bus_url, members)
    waves = streamed_waves(platform)
    seen: dict[str, object] = {}

    def pause_then_wake(index: int, wave: list[Submission], institutions: Institutions) -> bool:
        if index == len(waves) // 3:
            pause_between_transactions(old, platform)
            wait_for(lambda: holder_pid(platform) == standby.pid, "the takeover")
            institutions.send(wave)  # decided by the new member while the old one sleeps
            seen["old epoch's decisions"] = decisions_by_epoch(platform)[1]
            os.kill(old.pid, signal.SIGCONT)
            return True
        if index == 2 * len(waves) // 3:
            woken = decisions_by_epoch(platform)[1]
            assert woken == seen["old epoch's decisions"], "the paused member decided after waking"
            wait_for(lambda: old.said("lost the lease"), "the old member noticing")
            # The woken member is a standby now: it takes over when the new one stops.
            standby.stop()
            wait_for(lambda: holder_pid(platform) == old.pid, "the old member taking over")
        return False

    stream(platform, waves, pause_then_wake)
    epochs = decisions_by_epoch(platform)
    assert epochs[1] == seen["old epoch's decisions"], "the paused member decided after waking"
    assert set(epochs) == {1, 2, 3}
    assert_epochs_follow_the_log(platform)
    build_views(platform)
    # Paused outside a transaction, nothing was half published: no copy on case-events either.
    assert_exactly_once(platform, clean)
    verified = subprocess.run(
        [sys.executable, "-m", "services.cli", "audit", "verify",
         "--bus", platform.settings.resolved_bus_url,
         "--data-dir", str(platform.settings.data_dir)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    platform.close()


def lease_row_locked(platform: Platform) -> bool:
    """Whether a member is inside a batch's transaction on PostgreSQL (it holds the lease row)."""
    try:
        with platform.exchange_engine.begin() as conn:
            conn.execute(text("SELECT 1 FROM projection_leases FOR UPDATE NOWAIT"))
    except OperationalError:
        return True
    return False


def pause_inside_a_transaction(member: Member, platform: Platform) -> None:
    """SIGSTOP the member while its batch's transaction holds the lease row on PostgreSQL (and
    no SQLite write lock of the embedded bus, which the standby needs to go on)."""
    rng = random.Random(11)
    for _ in range(3000):
        os.kill(member.pid, signal.SIGSTOP)
        if lease_row_locked(platform) and not any(write_locked(p) for p in sqlite_files(platform)):
            return
        os.kill(member.pid, signal.SIGCONT)
        time.sleep(rng.uniform(0.0, 0.005))
    raise AssertionError("the exchange was never paused inside a transaction")


@pytest.mark.postgres
def test_an_exchange_paused_inside_a_transaction_on_postgresql_loses_its_lease(
    tmp_path: Path,
    postgres_url: str,
    members: Callable[[Platform, str], Member],
    clean: dict[str, str],
) -> None:
    """The pause lands after the batch's fence (the member holds the lease row's lock): the
    server ends the idle transaction after one lease, the standby takes over and decides, and
    the woken member finds its connection closed, then its epoch superseded."""
    bus_url = f"sqlite:///{tmp_path / 'bus.db'}"
    platform, old, standby = one_active_one_standby(tmp_path, bus_url, members, postgres_url)
    waves = streamed_waves(platform)
    seen: dict[str, int] = {}

    def pause_mid_batch(index: int, wave: list[Submission], institutions: Institutions) -> bool:
        if index == len(waves) // 3:
            submit(platform, wave)
            pause_inside_a_transaction(old, platform)
            wait_for(lambda: holder_pid(platform) == standby.pid, "the takeover")
            institutions.wait_decided(wave, time.monotonic() + 90)
            seen["old"] = decisions_by_epoch(platform)[1]
            os.kill(old.pid, signal.SIGCONT)
            return True
        if index == 2 * len(waves) // 3:
            assert decisions_by_epoch(platform)[1] == seen["old"], "the woken member decided"
            wait_for(lambda: old.said("lost the lease"), "the old member noticing")
        return False

    stream(platform, waves, pause_mid_batch)
    assert decisions_by_epoch(platform)[1] == seen["old"]
    assert set(decisions_by_epoch(platform)) == {1, 2}
    assert_epochs_follow_the_log(platform)
    build_views(platform)
    # The paused batch may have published before its transaction was ended: a copy on
    # case-events, which every reader drops by event_id.
    assert_exactly_once(platform, clean, in_the_log=False)
    platform.close()
