"""The Kafka broker stopped while institutions stream, and started again empty (tansu keeps
nothing), then restored as an operator would: platform stopped, ``restore_bus`` from the
archive and the stored offsets, every outbox resent, platform started. Afterwards every accepted
event is in case-events exactly once, the views equal those of a clean run, and the archive still
verifies against the restored bus record by record."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from consumers.exchange import submissions_table
from producers.publisher import Publisher, Relay, pending
from producers.scenario import Submission
from services.audit.verify import verify_archive
from services.bootstrap import Platform
from services.bus.kafka import KafkaBus
from services.operations.restore import restore_bus
from services.platform.signing import load_or_create_private_key
from services.platform.sql import sql_engine
from tests.reliability.figures import record, scaled
from tests.reliability.streaming import Institutions, Running, assert_exactly_once
from tests.reliability.support import streamed_waves
from tests.support.brokers import TansuBroker, free_port
from tests.support.pipeline import platform_for
from tests.support.tcp_proxy import TcpProxy

OUTAGE_S = float(scaled(3, 30))


@dataclass
class Outboxes:
    """Each institution's own system: its database with the SDK's outbox, and its relay."""

    root: Path
    platform: Platform
    url: str
    engines: dict[str, Engine] = field(default_factory=dict)
    relays: dict[str, Relay] = field(default_factory=dict)
    errors: list[BaseException] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def submit(self, wave: list[Submission]) -> None:
        for item in wave:
            if item.institution not in self.engines:
                self._start(item.institution)
            Publisher(item.institution, self.platform.codec, self.engines[item.institution]).submit(
                item.event
            )

    def _start(self, institution: str) -> None:
        engine = sql_engine(f"sqlite:///{self.root / f'{institution}.db'}")
        # A short flush timeout: the relay gives up on a dead broker at once and backs off.
        bus = KafkaBus.from_url(self.url)
        bus.flush_timeout = 2.0
        relay = Relay(engine, bus, institution)
        self.engines[institution], self.relays[institution] = engine, relay
        thread = threading.Thread(target=self._run, args=(relay,), daemon=True)
        self._threads.append(thread)
        thread.start()

    def _run(self, relay: Relay) -> None:
        try:
            relay.run(self._stop.is_set, idle=0.05, max_backoff=1.0)
        except BaseException as error:  # the test fails on it: a relay must never die
            self.errors.append(error)

    def waiting(self) -> int:
        return sum(pending(engine) for engine in self.engines.values())

    def resend_everything(self, pause: float) -> int:
        """Institutions resend whenever they get to it: here the last to join goes first."""
        resent = 0
        for relay in reversed(self.relays.values()):
            resent += relay.resend_since(None)
            time.sleep(pause)
        return resent

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)
        for relay in self.relays.values():
            relay.bus.close()
        for engine in self.engines.values():
            engine.dispose()


@dataclass
class Broker:
    """tansu behind a proxy whose port the clients know: a restarted broker gets a new port."""

    log: Path
    port: int = field(default_factory=free_port)
    process: TansuBroker | None = None
    proxy: TcpProxy | None = None
    restarts: int = 0

    def start(self) -> None:
        self.process = TansuBroker(log_path=self.log, advertised_port=self.port).start()
        if self.proxy is None:
            self.proxy = TcpProxy(target=self.process.port, port=self.port)
        else:
            self.proxy.target = self.process.port
            self.restarts += 1

    def stop(self) -> None:
        assert self.process is not None
        self.process.stop()  # memory storage: every topic, record and group is gone

    @property
    def url(self) -> str:
        return f"kafka://127.0.0.1:{self.port}"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    found = Broker(tmp_path / "tansu.log")
    found.start()
    yield found
    if found.proxy is not None:
        found.proxy.close()
    if found.process is not None:
        found.process.stop()


def decided(platform: Platform, items: list[Submission]) -> int:
    ids = [str(i.event_id) for i in items]
    with platform.exchange_engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).where(submissions_table.c.event_id.in_(ids))
            ).scalar_one()
        )


@pytest.mark.kafka
def test_kafka_broker_restarted_empty_and_restored(
    tmp_path: Path, broker: Broker, clean: dict[str, str]
) -> None:
    platform = platform_for(tmp_path / "data", broker.url)
    waves = streamed_waves(platform)
    # The lost tail spans two waves from different institutions (police, then prosecutor).
    outage_at = len(waves) // 3 + 1
    outboxes = Outboxes(tmp_path / "institutions", platform, broker.url)
    outboxes.root.mkdir()
    watcher = Institutions(platform, platform.bus, platform.exchange_engine)
    running = Running(platform).__enter__()
    try:
        for index, wave in enumerate(waves[:outage_at]):
            if index == outage_at - 1:
                # The archive falls behind the log, as it may at any time: what the exchange
                # accepts from now on is on no store the restore reads, only in the outboxes.
                running.stop("archive")
            outboxes.submit(wave)
            watcher.wait_decided(wave, time.monotonic() + 90)

        # The broker dies as soon as the exchange has decided part of a wave in flight: the
        # archive has likely not chained that part yet, and the rest is still in the outboxes.
        wave = waves[outage_at]
        outboxes.submit(wave[:1])
        deadline = time.monotonic() + 90
        while decided(platform, wave[:1]) < 1:
            assert time.monotonic() < deadline, "the first event of the wave was not decided"
            time.sleep(0.01)
        broker.stop()
        stopped = time.monotonic()
        outboxes.submit(wave[1:])  # the SDK accepts events while the broker is down
        time.sleep(OUTAGE_S)
        running.__exit__(None, None, None)  # the operator stops the platform …
        assert not running.errors, f"a consumer died: {running.errors[0]!r}"
        down_for = time.monotonic() - stopped
        broker.start()  # … starts the broker again, empty …

        operator = Platform(platform.settings, session_timeout_ms=platform.session_timeout_ms)
        restored = restore_bus(operator)  # … restores the log and the offsets …
        operator.close()
        running = Running(platform).__enter__()  # … starts the platform again …
        resent = outboxes.resend_everything(pause=1.0)  # … and has the institutions resend.

        watcher.wait_decided(wave, time.monotonic() + 120)
        for wave in waves[outage_at + 1 :]:
            outboxes.submit(wave)
            watcher.wait_decided(wave, time.monotonic() + 90)
        deadline = time.monotonic() + 60
        while outboxes.waiting():
            assert time.monotonic() < deadline, "the relays did not empty the outboxes"
            time.sleep(0.1)
        checks = KafkaBus.from_url(broker.url)
        running.wait_caught_up(checks)
        checks.close()
        assert not running.errors and not outboxes.errors
    finally:
        running.__exit__(None, None, None)
        outboxes.close()

    accepted, _copies = assert_exactly_once(platform, clean)
    key = load_or_create_private_key(platform.settings.resolved_archive_key_file)
    audit = verify_archive(platform, key.public_key())
    assert audit.intact, audit.summary()
    assert audit.bus is not None and audit.bus.not_on_bus == 0 and audit.bus.not_archived == 0
    assert broker.restarts == 1 and sum(restored.records.values()) > 0
    assert restored.awaiting_resend > len(waves[outage_at - 1]), "no accepted event was unarchived"
    assert restored.offsets_lowered["views"] > 0, "no projection had read past the archive"
    record(
        "kafka broker restarted empty",
        outage_s=round(down_for, 1),
        accepted=accepted,
        restored_from_archive=sum(restored.records.values()),
        accepted_but_unarchived=restored.awaiting_resend,
        outbox_rows_resent=resent,
        lost=0,
        duplicates=0,
    )
    platform.close()
