"""The platform running as in production while faults are injected: each consumer in its own
thread with the runner's backoff loop, institutions sending scripted cases wave by wave."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select

from consumers.exchange import submissions_table
from consumers.pipeline import partitions_of
from consumers.runner import ProjectionRunner
from producers.scenario import Submission
from schemas.topics import CASE_EVENTS
from services.bootstrap import Platform
from services.bus import Bus, BusError, open_bus
from tests.reliability.support import case_event_ids, comparable, read_all, streamed_waves
from tests.support.brokers import TEST_SESSION_TIMEOUT_MS


@dataclass
class Running:
    """Every projection of ``platform`` in a thread of its own, each with its own bus client."""

    platform: Platform
    max_backoff: float = 2.0
    runners: list[ProjectionRunner] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _stopped: set[str] = field(default_factory=set)

    def __enter__(self) -> Running:
        url = self.platform.settings.resolved_bus_url
        for projection in self.platform.projections().values():
            # A bus client per thread: clients are not shared between consumers.
            runner = ProjectionRunner(
                projection,
                open_bus(url),
                self.platform.engine_for(projection),
                session_timeout_ms=TEST_SESSION_TIMEOUT_MS,
            )
            self.runners.append(runner)
            thread = threading.Thread(target=self._run, args=(runner,), daemon=True)
            self._threads.append(thread)
            thread.start()
        return self

    def _run(self, runner: ProjectionRunner) -> None:
        name = runner.projection.name
        try:
            runner.run(
                lambda: self._stop.is_set() or name in self._stopped, max_backoff=self.max_backoff
            )
        except BaseException as error:  # the test fails on it: a consumer must never die
            self.errors.append(error)

    def stop(self, name: str) -> None:
        """Stop one consumer alone (it falls behind the others), leaving its group member open."""
        self._stopped.add(name)
        index = [r.projection.name for r in self.runners].index(name)
        self._threads[index].join(30)

    def caught_up(self, bus: Bus) -> bool:
        for runner in self.runners:
            ends = bus.end_offsets(partitions_of(bus, runner.projection.topics))
            if not runner.caught_up(ends):
                return False
        return True

    def wait_caught_up(self, bus: Bus, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not self.caught_up(bus):
            assert not self.errors, f"a consumer died: {self.errors[0]!r}"
            assert time.monotonic() < deadline, "the consumers did not catch up"
            time.sleep(0.3)

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)
        for runner in self.runners:
            runner.close()
            runner.bus.close()


@dataclass
class Institutions:
    """The institutions' systems: publish a wave, retry what the bus refused, wait for answers."""

    platform: Platform
    bus: Bus
    engine: Engine
    retries: int = 0

    def send(self, wave: Iterable[Submission], timeout: float = 90) -> None:
        items = list(wave)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.bus.batch():
                    for item in items:
                        self.bus.publish(
                            f"submissions.{item.institution}",
                            str(item.case_id).encode(),
                            self.platform.codec.encode(item.event_type, item.event.to_avro()),
                        )
                self.bus.flush()
                break
            except BusError:
                # What an outbox does: keep the events and send them again; the exchange drops
                # the copies that did get through by event_id.
                assert time.monotonic() < deadline, "the bus refused the wave too long"
                self.retries += 1
                time.sleep(0.5)
        self.wait_decided(items, deadline)

    def wait_decided(self, items: list[Submission], deadline: float) -> None:
        """Institutions act on answers: the next wave waits until this one is decided."""
        ids = [str(i.event_id) for i in items]
        while True:
            try:
                with self.engine.connect() as conn:
                    decided = conn.execute(
                        select(func.count()).where(submissions_table.c.event_id.in_(ids))
                    ).scalar_one()
            except Exception:
                decided = -1  # the exchange's database may itself be the one that is down
            if decided == len(ids):
                return
            assert time.monotonic() < deadline, f"{len(ids) - decided} submissions undecided"
            time.sleep(0.1)


def during(seconds: float, start: Callable[[], None], end: Callable[[], None]) -> threading.Thread:
    """Run ``start``, then ``end`` after ``seconds``, in the background."""

    def outage() -> None:
        start()
        time.sleep(seconds)
        end()

    thread = threading.Thread(target=outage, daemon=True)
    thread.start()
    return thread


def stream_with_outage(
    platform: Platform, start: Callable[[], None], end: Callable[[], None], outage_s: float
) -> Institutions:
    """All waves sent; a third of the way in, the outage begins while a wave is in flight."""
    all_waves = streamed_waves(platform)
    checks = open_bus(platform.settings.resolved_bus_url)
    with Running(platform) as running:
        institutions = Institutions(platform, open_bus(platform.settings.resolved_bus_url),
                                    platform.exchange_engine)  # fmt: skip
        for index, wave in enumerate(all_waves):
            if index == len(all_waves) // 3:
                during(outage_s, start, end)
            institutions.send(wave)
        running.wait_caught_up(checks)
        assert not running.errors
    checks.close()
    institutions.bus.close()
    return institutions


def assert_exactly_once(
    platform: Platform, clean: dict[str, str], *, in_the_log: bool = True
) -> tuple[int, int]:
    """Every accepted event in case-events and applied once; returns (accepted, log copies).

    ``in_the_log=False`` allows a second copy in case-events itself: when the exchange's own
    database fails after it published a batch, the retried batch publishes it again, and every
    consumer drops the copy by event_id (the views equal to a clean run show it).
    """
    in_log = case_event_ids(platform, read_all(platform, [CASE_EVENTS]))
    with platform.exchange_engine.connect() as conn:
        accepted = set(
            conn.execute(
                select(submissions_table.c.event_id).where(submissions_table.c.status == "accepted")
            ).scalars()
        )
    assert set(in_log) == accepted, "an accepted event is missing from case-events"
    if in_the_log:
        assert max(in_log.values()) == 1, "an event is in case-events twice"
    now = comparable(platform)
    differ = sorted(k for k in {*now, *clean} if now.get(k) != clean.get(k))
    assert not differ, (
        f"views differ from a clean run: {[(k, now.get(k), clean.get(k)) for k in differ]}"
    )
    return len(accepted), sum(in_log.values()) - len(in_log)
