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

import contextlib
import importlib.util
import multiprocessing
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from services.bench.events import EventSet
from services.bench.workspace import Workspace
from services.bus.kafka import KafkaBus, parse_kafka_url

Message = tuple[str, bytes, bytes, list[tuple[str, bytes]]]


@dataclass
class Clock:
    """Wall-clock and CPU seconds of one side (CPU: every thread of this process, the
    producer's sender included). On a shared machine the wall clock swings with other jobs and
    with how the interpreter lock passes between the caller and the sender thread; CPU time moves
    much less, so its ratio is the steadier figure."""

    wall: float = 0.0
    cpu: float = 0.0

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.wall = time.perf_counter() - wall
        self.cpu = time.process_time() - cpu


@dataclass
class IngestRun:
    events: int
    raw_seconds: float
    port_seconds: float
    sdk_seconds: float | None  # None: the producer SDK is not in this tree
    raw_cpu: float = float("nan")
    port_cpu: float = float("nan")
    sdk_cpu: float | None = None
    # The SDK with its relay in a process of its own (two cores), as a deployment runs it.
    pipelined_seconds: float | None = None
    pipelined_cpu: float | None = None

    @property
    def pipelined_rate(self) -> float | None:
        return self.events / self.pipelined_seconds if self.pipelined_seconds else None

    @property
    def raw_rate(self) -> float:
        return self.events / self.raw_seconds

    @property
    def port_rate(self) -> float:
        return self.events / self.port_seconds

    @property
    def sdk_rate(self) -> float | None:
        return self.events / self.sdk_seconds if self.sdk_seconds else None

    @property
    def port_cpu_ratio(self) -> float:
        """Port ÷ raw in events per CPU second (raw CPU ÷ port CPU)."""
        return self.raw_cpu / self.port_cpu

    @property
    def sdk_cpu_ratio(self) -> float | None:
        return self.raw_cpu / self.sdk_cpu if self.sdk_cpu else None

    def as_dict(self) -> dict[str, Any]:
        sdk = self.sdk_rate
        sdk_cpu = self.sdk_cpu_ratio
        return {
            "events": self.events,
            "raw_rate": round(self.raw_rate),
            "port_rate": round(self.port_rate),
            "port_ratio": round(self.port_rate / self.raw_rate, 3),
            "sdk_rate": round(sdk) if sdk else None,
            "sdk_ratio": round(sdk / self.raw_rate, 3) if sdk else None,
            "raw_cpu_s": round(self.raw_cpu, 3),
            "port_cpu_ratio": round(self.port_cpu_ratio, 3),
            "sdk_cpu_ratio": round(sdk_cpu, 3) if sdk_cpu else None,
            "pipelined_rate": round(self.pipelined_rate) if self.pipelined_rate else None,
            "pipelined_ratio": (
                round(self.pipelined_rate / self.raw_rate, 3) if self.pipelined_rate else None
            ),
            "pipelined_cpu_s": round(self.pipelined_cpu, 3) if self.pipelined_cpu else None,
        }


def sdk_available() -> bool:
    return importlib.util.find_spec("producers.publisher") is not None


def measure_ingest(workspace: Workspace, events: EventSet) -> IngestRun:
    """One repetition of every side, each against a fresh broker."""
    messages = submitted_records(events)
    topics = sorted({topic for topic, _key, _value, _headers in messages})
    raw, port, sdk = Clock(), Clock(), Clock()
    _on_fresh_broker(workspace, topics, lambda url: raw_send_seconds(url, messages, raw))
    _on_fresh_broker(workspace, topics, lambda url: port_publish_seconds(url, messages, port))
    if not sdk_available():
        return IngestRun(len(messages), raw.wall, port.wall, None, raw.cpu, port.cpu)
    _on_fresh_broker(
        workspace, topics, lambda url: sdk_publish_seconds(workspace, url, events, sdk)
    )
    piped = Clock()
    _on_fresh_broker(
        workspace, topics, lambda url: sdk_pipelined_seconds(workspace, url, events, piped)
    )
    return IngestRun(
        len(messages), raw.wall, port.wall, sdk.wall, raw.cpu, port.cpu, sdk.cpu,
        piped.wall, piped.cpu,
    )  # fmt: skip


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


def raw_send_seconds(url: str, messages: Sequence[Message], clock: Clock | None = None) -> float:
    """kafka-python alone: ``send()`` every message, then ``flush()``."""
    clock = clock or Clock()
    from kafka import KafkaProducer

    producer = KafkaProducer(**_producer_settings(url))
    producer.send(messages[0][0], key=b"warm-up", value=b"")  # connect before the clock
    producer.flush()
    with clock.running():
        futures = [
            producer.send(topic, key=key, value=value, headers=headers)
            for topic, key, value, headers in messages
        ]
        producer.flush()
    failed = sum(1 for f in futures if f.failed())
    producer.close()
    if failed:
        raise RuntimeError(f"raw producer: {failed} sends failed")
    return clock.wall


def port_publish_seconds(
    url: str, messages: Sequence[Message], clock: Clock | None = None
) -> float:
    """The bus port: ``publish`` every message inside ``batch()``, which ends with a flush."""
    clock = clock or Clock()
    bus = KafkaBus.from_url(url)
    bus.publish(messages[0][0], b"warm-up", b"")
    bus.flush()
    with clock.running(), bus.batch():
        for topic, key, value, headers in messages:
            bus.publish(topic, key, value, headers)
    bus.close()
    return clock.wall


def sdk_publish_seconds(
    workspace: Workspace, url: str, events: EventSet, clock: Clock | None = None
) -> float:
    """The producer SDK end to end: validate + encode + outbox (``submit_many``), then relay."""
    clock = clock or Clock()
    from producers.publisher import Relay

    warm_up = next(events.submissions())[0]
    with _outbox(workspace, "ingest-outbox.db", events) as (outbox, publishers):
        bus = _warm_bus(url, warm_up)
        relay = Relay(outbox, bus)
        with clock.running():
            for publisher, models in publishers:
                publisher.submit_many(models)
            delivered = relay.deliver()
        bus.close()
    if delivered < len(events):
        raise RuntimeError(f"relay delivered {delivered} of {len(events)} events")
    return clock.wall


def sdk_pipelined_seconds(
    workspace: Workspace, url: str, events: EventSet, clock: Clock | None = None
) -> float:
    """The SDK as deployed: the institution's system submits while the relay runs on its own.

    The relay is a process of its own (the second core) that delivers what the outbox holds as
    soon as it is committed; the clock runs from the first ``submit_many`` until the relay has
    delivered the last event. CPU time is both processes'.
    """
    clock = clock or Clock()
    context = multiprocessing.get_context("spawn")
    warm_up = next(events.submissions())[0]
    with _outbox(workspace, "ingest-outbox-pipelined.db", events) as (outbox, publishers):
        ready, results = context.Event(), context.Queue()
        relay = context.Process(
            target=_relay_process,
            args=(str(outbox.url), url, warm_up, len(events), ready, results),
            daemon=True,
        )
        relay.start()
        try:
            if not ready.wait(120):
                raise RuntimeError("the relay process did not start")
            with clock.running():
                for publisher, models in publishers:
                    publisher.submit_many(models)
                delivered, relay_cpu = results.get(timeout=300)
            clock.cpu += relay_cpu
        finally:
            relay.join(timeout=30)
            if relay.is_alive():
                relay.kill()
    if delivered < len(events):
        raise RuntimeError(f"relay delivered {delivered} of {len(events)} events")
    return clock.wall


def _relay_process(
    outbox_url: str, bus_url: str, warm_up: str, expected: int, ready: Any, results: Any
) -> None:
    """In the child: deliver until ``expected`` events are on the bus, then report (count, CPU)."""
    from producers.publisher import Relay
    from services.sql import sql_engine

    outbox = sql_engine(outbox_url)
    bus = _warm_bus(bus_url, warm_up)
    relay = Relay(outbox, bus)
    ready.set()
    cpu = time.process_time()
    delivered = 0
    while delivered < expected:
        count = relay.deliver()
        delivered += count
        if not count:
            time.sleep(0.002)  # the submitter has not committed the next rows yet
    results.put((delivered, time.process_time() - cpu))
    bus.close()
    outbox.dispose()


Publishers = list[tuple[Any, list[Any]]]


@contextlib.contextmanager
def _outbox(workspace: Workspace, name: str, events: EventSet) -> Iterator[tuple[Any, Publishers]]:
    """A fresh outbox and a ``Publisher`` per institution with its events as models."""
    from producers.publisher import Publisher
    from services.sql import sql_engine

    path = workspace.root / name
    for leftover in workspace.root.glob(f"{name}*"):
        leftover.unlink()
    outbox = sql_engine(f"sqlite:///{path}")
    # The same events as models (the SDK takes what an institution's system builds).
    by_institution: dict[str, list[Any]] = {}
    for submission in events.models():
        by_institution.setdefault(submission.institution, []).append(submission.event)
    try:
        yield (
            outbox,
            [(Publisher(i, workspace.codec, outbox), m) for i, m in by_institution.items()],
        )
    finally:
        outbox.dispose()
        for leftover in workspace.root.glob(f"{name}*"):
            leftover.unlink()


def _warm_bus(url: str, topic: str) -> KafkaBus:
    """A bus connected before the clock starts, as the raw loop's producer is."""
    bus = KafkaBus.from_url(url)
    bus.publish(topic, b"warm-up", b"")
    bus.flush()
    return bus
