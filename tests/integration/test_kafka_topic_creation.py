"""A client that outlives its broker's memory creates no topic with the broker's defaults.

The broker restarts empty while an institution's relay and a projection still hold the Kafka
bus's clients. Their metadata requests name the topics they knew; a broker asked to create
those would give them its own partition count (tansu: 4) and every key would move. Only the
platform creates topics, with its count: the relay's next attempt does, after its send fails.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemas.topics import PARTITIONS_BY_PREFIX, SUBMISSIONS_PARTITIONS
from services.bus import BusError
from services.bus.kafka import KafkaBus
from tests.support.brokers import TansuBroker
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.kafka

SUBMISSIONS = "submissions.csr.lazarevac"
CASE_EVENTS = "case-events"


@pytest.fixture
def restarted(tmp_path: Path) -> Iterator[tuple[TcpProxy, list[TansuBroker]]]:
    """A broker behind a proxy, and the list its restarts are added to."""
    first = TansuBroker(log_path=tmp_path / "tansu.log").start()
    proxy = TcpProxy(target=first.port)
    first.stop()
    first.advertised_port = proxy.port
    first.start()
    proxy.target = first.port
    brokers = [first]
    yield proxy, brokers
    proxy.close()
    for broker in brokers:
        broker.stop()


def test_clients_outliving_an_empty_broker_recreate_nothing(
    tmp_path: Path, restarted: tuple[TcpProxy, list[TansuBroker]]
) -> None:
    proxy, brokers = restarted
    url = f"kafka://127.0.0.1:{proxy.port}"
    # Both as the platform opens them (services.bootstrap): with its partition counts.
    relay = KafkaBus.from_url(url, partitions_by_prefix=PARTITIONS_BY_PREFIX)
    relay.flush_timeout = 3.0
    projection = KafkaBus.from_url(url, partitions_by_prefix=PARTITIONS_BY_PREFIX)
    relay.publish(SUBMISSIONS, b"case-1", b"before")
    relay.flush()
    member = projection.consumer("views", [CASE_EVENTS], session_timeout_ms=2000)
    member.poll(timeout=1.0)

    brokers[0].stop()
    empty = TansuBroker(log_path=tmp_path / "tansu-again.log", advertised_port=proxy.port).start()
    brokers.append(empty)
    proxy.target = empty.port

    # The relay sends into a topic the broker no longer has; the member keeps polling.
    relay.publish(SUBMISSIONS, b"case-1", b"after")
    with pytest.raises(BusError):
        relay.flush()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        member.poll(timeout=0.2)
    checks = KafkaBus.from_url(url)
    try:
        assert checks.list_topics() == set(), "a client had the broker create a topic"

        relay.publish(SUBMISSIONS, b"case-1", b"after")  # the relay's next attempt
        relay.flush()
        # The platform's count, not tansu's 4.
        assert checks.partitions_for(SUBMISSIONS) == SUBMISSIONS_PARTITIONS
        assert CASE_EVENTS not in checks.list_topics()
    finally:
        member.close()
        for bus in (relay, projection, checks):
            bus.close()
