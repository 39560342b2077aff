"""Ingest: how fast institutions' events get onto the bus, against a raw kafka-python loop.

The ceiling is kafka-python's own ``send()`` loop of the same records to the same topics (the
submitted bytes as key and value, and the ``event-type`` header the relay adds, so the same bytes
go over the wire), with the producer settings our Kafka engine uses (idempotent, ``acks=all``,
the same linger and batch), so the ratio measures our layers, not a durability difference. Each
side gets a fresh tansu broker with the topics created beforehand.

Measured: the bus port (``Bus.publish`` + ``flush``, what the exchange and projections publish
through) and, where it exists, the producer SDK (``producers.publisher``: validate, encode,
outbox, relay). HTTP ingest (``POST /v1/events``) is measured by ``http_ingest`` where the API
exists.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from services.bench.events import EventSet, bench_events
from services.bench.workspace import Workspace
from services.bus.kafka import KafkaBus, parse_kafka_url

Message = tuple[str, bytes, bytes, list[tuple[str, bytes]]]


@dataclass
class IngestRun:
    events: int
    raw_seconds: float
    port_seconds: float
    sdk_seconds: float | None  # None: the producer SDK is not in this tree

    @property
    def raw_rate(self) -> float:
        return self.events / self.raw_seconds

    @property
    def port_rate(self) -> float:
        return self.events / self.port_seconds

    @property
    def sdk_rate(self) -> float | None:
        return self.events / self.sdk_seconds if self.sdk_seconds else None

    def as_dict(self) -> dict[str, Any]:
        sdk = self.sdk_rate
        return {
            "events": self.events,
            "raw_rate": round(self.raw_rate),
            "port_rate": round(self.port_rate),
            "port_ratio": round(self.port_rate / self.raw_rate, 3),
            "sdk_rate": round(sdk) if sdk else None,
            "sdk_ratio": round(sdk / self.raw_rate, 3) if sdk else None,
        }


def sdk_available() -> bool:
    return importlib.util.find_spec("producers.publisher") is not None


def measure_ingest(workspace: Workspace, events: EventSet) -> IngestRun:
    """One repetition of every side, each against a fresh broker."""
    messages = submitted_records(events)
    topics = sorted({topic for topic, _key, _value, _headers in messages})
    raw = _on_fresh_broker(workspace, topics, lambda url: raw_send_seconds(url, messages))
    port = _on_fresh_broker(workspace, topics, lambda url: port_publish_seconds(url, messages))
    sdk = None
    if sdk_available():
        sdk = _on_fresh_broker(
            workspace, topics, lambda url: sdk_publish_seconds(workspace, url, events)
        )
    return IngestRun(len(messages), raw, port, sdk)


def submitted_records(events: EventSet) -> list[Message]:
    """What goes over the wire for each submission: topic, key, value and the relay's header."""
    return [
        (topic, key, value, [("event-type", event_type.encode())])
        for (topic, key, value), event_type in zip(
            events.submissions(), events.event_types, strict=True
        )
    ]


def _on_fresh_broker(
    workspace: Workspace, topics: Sequence[str], measure: Callable[[str], float]
) -> float:
    with workspace.bus_url("kafka") as url:
        assert url is not None
        bus = KafkaBus.from_url(url)
        for topic in topics:
            bus.create_topic(topic)
        bus.close()
        return measure(url)


def _producer_settings(url: str) -> dict[str, Any]:
    """The settings ``KafkaBus`` gives its producer, so both sides promise the same durability."""
    servers, options, _replication = parse_kafka_url(url)
    probe = KafkaBus(servers, options=options)
    producer = probe.producer
    config = {
        name: producer.config[name]
        for name in ("enable_idempotence", "acks", "linger_ms", "batch_size")
    }
    probe.close()
    return {"bootstrap_servers": servers, **options, **config}


def raw_send_seconds(url: str, messages: Sequence[Message]) -> float:
    """kafka-python alone: ``send()`` every message, then ``flush()``."""
    from kafka import KafkaProducer

    producer = KafkaProducer(**_producer_settings(url))
    producer.send(messages[0][0], key=b"warm-up", value=b"")  # connect before the clock
    producer.flush()
    started = time.perf_counter()
    futures = [
        producer.send(topic, key=key, value=value, headers=headers)
        for topic, key, value, headers in messages
    ]
    producer.flush()
    seconds = time.perf_counter() - started
    failed = sum(1 for f in futures if f.failed())
    producer.close()
    if failed:
        raise RuntimeError(f"raw producer: {failed} sends failed")
    return seconds


def port_publish_seconds(url: str, messages: Sequence[Message]) -> float:
    """The bus port: ``publish`` every message inside ``batch()``, which ends with a flush."""
    bus = KafkaBus.from_url(url)
    bus.publish(messages[0][0], b"warm-up", b"")
    bus.flush()
    started = time.perf_counter()
    with bus.batch():
        for topic, key, value, headers in messages:
            bus.publish(topic, key, value, headers)
    seconds = time.perf_counter() - started
    bus.close()
    return seconds


def sdk_publish_seconds(workspace: Workspace, url: str, events: EventSet) -> float:
    """The producer SDK end to end: validate + encode + outbox (``submit_many``), then relay."""
    from producers.publisher import Publisher, Relay
    from services.sql import sql_engine

    outbox = sql_engine(f"sqlite:///{workspace.root / 'ingest-outbox.db'}")
    # The same events as models (the SDK takes what an institution's system builds).
    by_institution: dict[str, list[Any]] = {}
    for submission in bench_events(len(events), events.seed):
        by_institution.setdefault(submission.institution, []).append(submission.event)
    publishers = {i: Publisher(i, workspace.codec, outbox) for i in by_institution}
    bus = KafkaBus.from_url(url)
    relay = Relay(outbox, bus)
    started = time.perf_counter()
    for institution, models in by_institution.items():
        publishers[institution].submit_many(models)
    delivered = relay.deliver()
    seconds = time.perf_counter() - started
    bus.close()
    outbox.dispose()
    (workspace.root / "ingest-outbox.db").unlink(missing_ok=True)
    if delivered < len(events):
        raise RuntimeError(f"relay delivered {delivered} of {len(events)} events")
    return seconds
