"""Bus outages while institutions stream scripted cases: the Kafka broker cut off the network
(through a loopback proxy) and the embedded bus's database locked by another writer. Afterwards
every accepted event is in case-events exactly once and the views equal those of a clean run."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.figures import record, scaled
from tests.reliability.streaming import assert_exactly_once, stream_with_outage
from tests.support.brokers import TansuBroker, free_port
from tests.support.pipeline import platform_for
from tests.support.tcp_proxy import TcpProxy

OUTAGE_S = float(scaled(3, 30))


@pytest.fixture
def broker_behind_proxy(tmp_path: Path) -> Iterator[tuple[TansuBroker, TcpProxy]]:
    port = free_port()
    broker = TansuBroker(log_path=tmp_path / "tansu.log", advertised_port=port).start()
    proxy = TcpProxy(target=broker.port, port=port)
    yield broker, proxy
    proxy.close()
    broker.stop()


@pytest.mark.kafka
def test_kafka_broker_cut_off_and_restored(
    tmp_path: Path, broker_behind_proxy: tuple[TansuBroker, TcpProxy], clean: dict[str, str]
) -> None:
    _broker, proxy = broker_behind_proxy
    platform = platform_for(tmp_path / "data", f"kafka://127.0.0.1:{proxy.port}")
    dropped: list[int] = []

    def cut() -> None:
        dropped.append(len(proxy._sockets) // 2)
        proxy.cut()

    institutions = stream_with_outage(platform, cut, proxy.restore, OUTAGE_S)
    accepted, _copies = assert_exactly_once(platform, clean)
    assert proxy.cuts == 1 and dropped[0] > 0, "the cut found no connection to drop"
    record(
        "kafka broker cut",
        outage_s=OUTAGE_S,
        accepted=accepted,
        connections_dropped=dropped[0],
        resent_waves=institutions.retries,
        lost=0,
        duplicates=0,
    )
    platform.close()


def test_embedded_bus_locked_by_another_writer(tmp_path: Path, clean: dict[str, str]) -> None:
    bus_file = tmp_path / "bus.db"
    platform = platform_for(tmp_path / "data", f"sqlite:///{bus_file}")
    platform.bus.create_topic("case-events")  # the file exists before the lock is taken
    held: dict[str, sqlite3.Connection] = {}
    locked_for: list[float] = []

    def lock() -> None:
        held["writer"] = sqlite3.connect(bus_file, timeout=30, isolation_level=None)
        held["writer"].execute("BEGIN EXCLUSIVE")
        locked_for.append(time.monotonic())

    def unlock() -> None:
        held["writer"].execute("ROLLBACK")
        held["writer"].close()
        locked_for[0] = time.monotonic() - locked_for[0]

    institutions = stream_with_outage(platform, lock, unlock, OUTAGE_S)
    accepted, _copies = assert_exactly_once(platform, clean)
    assert locked_for and locked_for[0] >= OUTAGE_S, "the other writer never held the lock"
    record(
        "sqlite bus locked",
        outage_s=OUTAGE_S,
        accepted=accepted,
        resent_waves=institutions.retries,
        lost=0,
        duplicates=0,
    )
    platform.close()
