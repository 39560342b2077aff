"""The Kafka engine's producer keeps the leaders of every topic it published to.

tansu answers kafka-python's first metadata request (for no topics) with every topic; a send to a
topic learnt that way left it untracked, and the next refresh (a send to a topic created later)
forgot its leaders. The sender thread then spun asking for metadata and that topic's pending
records sat in ``flush`` until they expired: the exchange "stuck in flush" on ``case-events``.
"""

from __future__ import annotations

import time

import pytest
from kafka.structs import TopicPartition as KafkaTopicPartition

from services.bus.kafka import KafkaBus

pytestmark = pytest.mark.kafka


def _leaders(bus: KafkaBus, topic: str) -> list[int | None]:
    # The producer's own metadata: what its sender thread routes batches by.
    metadata = bus.producer._metadata
    return [metadata.leader_for_partition(KafkaTopicPartition(topic, p)) for p in range(3)]


def test_a_topic_known_from_the_first_metadata_keeps_leaders(tansu_url: str, names: str) -> None:
    setup = KafkaBus.from_url(tansu_url)
    early, later = f"{names}.early", f"{names}.later"
    setup.create_topic(early)
    bus = KafkaBus.from_url(tansu_url)
    try:
        bus.publish(early, b"k", b"first")
        bus.flush(timeout=10)
        setup.create_topic(later)
        # Unknown to the producer: its metadata is refreshed for the topics it tracks.
        bus.publish(later, b"k", b"second")
        bus.flush(timeout=10)
        deadline = time.monotonic() + 5
        while None in _leaders(bus, early) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert None not in _leaders(bus, early)
        assert None not in _leaders(bus, later)
        bus.publish(early, b"k", b"third")
        bus.flush(timeout=10)
    finally:
        bus.close()
        setup.close()
