"""Ingest: how fast institutions' events get onto the bus, against hand-written kafka-python loops.

The producer SDK's baseline is the loop a careful user would write by hand (issue 24): each event's
Avro record encoded by fastavro (``schemaless_writer`` with the schema parsed once), framed the
Confluent way (magic byte 0, the 4-byte schema id looked up once per type), and sent with
kafka-python with the partition computed once per key, then one ``flush``; in submission order,
each record as it is encoded (``hand``) or after encoding the whole batch (``hand_bulk``); or, as
the relay sends, the encoded batch grouped partition by partition (``hand_grouped``, the grouping
on the clock). No hand loop keeps anything: a record not yet acknowledged is lost if the process
dies. An event the SDK accepted is in its SQLite outbox (WAL, ``synchronous=NORMAL``: it survives
the process dying, not the machine losing power) before ``submit_many`` returns. The SDK's models
and the hand loops' records are both built before the clock.

The raw-bytes ceiling is kafka-python's own ``send()`` loop of the same records to the same
topics, with the partition computed once per key (the submitted bytes as key and value, and the
``event-type`` header the relay adds, so the same bytes go over the wire). Every side uses the
producer settings our Kafka engine uses (idempotent, ``acks=all``, the same linger and batch),
so the ratios measure our layers, not a durability difference. Each side gets a fresh tansu
broker with the topics created beforehand.

Measured: the bus port (``Bus.publish`` + ``flush``, what the exchange and projections publish
through) and, where it exists, the producer SDK (``producers.publisher``: validate, encode,
outbox, relay) in three modes, each timed from the first ``submit_many`` until the relay has
delivered and marked the last event: the relay after the submissions in the same thread, the
relay in a thread of its own, and the relay in a process of its own. The relay sends each batch
partition by partition (``Bus.publish_all``); so that this is not mistaken for cheaper layers,
the raw loop is also timed sending the same records in that order. HTTP ingest (``POST
/v1/events``) is measured by ``http_ingest`` where the API exists.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib.util
import io
import multiprocessing
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fastavro import schemaless_writer

from schemas import Codec
from schemas.codec import FRAME, MAGIC
from schemas.topics import EVENT_TYPE, SUBMISSIONS_PARTITIONS, submissions_topic
from services.bench.sample_events import EventSet
from services.bench.workspace import Workspace
from services.bus.kafka import KafkaBus, parse_kafka_url
from services.bus.partitioning import partition_for

Message = tuple[str, bytes, bytes, list[tuple[str, bytes]]]
HandRecord = tuple[str, bytes, str, dict[str, Any]]
"""What a user's system holds before encoding: topic, key, event type and the Avro record."""
PARTITIONS = SUBMISSIONS_PARTITIONS  # of every submissions topic, as the platform creates them


@dataclass
class Clock:
    """Wall-clock and CPU seconds of one side (CPU: every thread of this process, the
    producer's sender included). On a shared machine the wall clock swings with other jobs and
    with how the interpreter lock passes between the caller and the sender thread; CPU time moves
    much less, so its ratio is the steadier figure.

    Every side starts from the same heap state: a full garbage collection, then ``gc.freeze()``
    until its clock stops, so the collections on the clock go over what the side allocated and
    not over the heap the bench holds (the events, and for the SDK the 10,000 models built just
    before its clock: a full collection over them took ~0.2 s, as long as ~6,000 raw sends, and
    fell on some clocks and not others). Full collections that still happen on the clock, now
    over what the side itself allocated, are counted."""

    wall: float = 0.0
    cpu: float = 0.0
    full_collections: int = 0

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        gc.collect()
        gc.freeze()
        before = gc.get_stats()[2]["collections"]
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
            self.wall = time.perf_counter() - wall
            self.cpu = time.process_time() - cpu
            self.full_collections = gc.get_stats()[2]["collections"] - before
        finally:
            gc.unfreeze()


SIDES = (
    "raw",
    "raw_grouped",
    "hand",
    "hand_bulk",
    "hand_grouped",
    "port",
    "sdk",
    "sdk_thread",
    "sdk_process",
)
"""raw: kafka-python's ``send()`` loop of the encoded bytes in submission order; hand: the loop a
careful user writes (fastavro encode, framing, ``send``), the SDK's baseline; hand_bulk: the same
with the whole batch encoded before the first send; hand_grouped: the encoded batch sent partition
by partition, as the relay sends; raw_grouped: the same records sent
partition by partition (the relay's order); port: ``Bus.publish``; sdk: submit, then the relay,
in one thread; sdk_thread: the relay in a thread of its own; sdk_process: the relay in a process
of its own (CPU: both processes)."""


@dataclass
class IngestRun:
    """One repetition: each side's clock (sides missing from this tree are absent)."""

    events: int
    clocks: dict[str, Clock]

    def rate(self, side: str) -> float | None:
        clock = self.clocks.get(side)
        return self.events / clock.wall if clock and clock.wall else None

    def ratio(self, side: str, against: str = "raw") -> float | None:
        """``side`` ÷ ``against`` in events per wall-clock second."""
        ours, theirs = self.rate(side), self.rate(against)
        return ours / theirs if ours and theirs else None

    def cpu_ratio(self, side: str, against: str = "raw") -> float | None:
        """``side`` ÷ ``against`` in events per CPU second (their CPU time ÷ ours)."""
        ours, theirs = self.clocks.get(side), self.clocks.get(against)
        return theirs.cpu / ours.cpu if ours and theirs and ours.cpu else None

    @property
    def raw_rate(self) -> float:
        return self.rate("raw") or 0.0

    @property
    def port_rate(self) -> float:
        return self.rate("port") or 0.0

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"events": self.events}
        for side, clock in self.clocks.items():
            found[side] = {
                "rate": round(self.rate(side) or 0.0),
                "wall_s": round(clock.wall, 4),
                "cpu_s": round(clock.cpu, 4),
                "full_collections": clock.full_collections,
            }
            if side != "raw":
                found[side]["ratio"] = _rounded(self.ratio(side))
                found[side]["cpu_ratio"] = _rounded(self.cpu_ratio(side))
            if side.startswith("sdk"):
                for hand in ("hand", "hand_bulk", "hand_grouped"):
                    found[side][f"{hand}_ratio"] = _rounded(self.ratio(side, hand))
                    found[side][f"{hand}_cpu_ratio"] = _rounded(self.cpu_ratio(side, hand))
        return found


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def sdk_available() -> bool:
    return importlib.util.find_spec("producers.publisher") is not None


def measure_ingest(workspace: Workspace, events: EventSet, repetition: int = 0) -> IngestRun:
    """One repetition of every side, each against a fresh broker.

    Odd repetitions run the sides in the reverse order, so a machine that speeds up or slows
    down during a run favours neither the baselines nor the SDK (A/B, then B/A)."""
    messages = submitted_records(events)
    topics = sorted({topic for topic, _key, _value, _headers in messages})
    clocks = {side: Clock() for side in SIDES}
    grouped = in_partition_order(messages, PARTITIONS)
    records = hand_records(events)
    sides: dict[str, Callable[[str], float]] = {
        "raw": lambda url: raw_send_seconds(url, messages, clocks["raw"]),
        "raw_grouped": lambda url: raw_send_seconds(url, grouped, clocks["raw_grouped"]),
        "hand": lambda url: hand_send_seconds(url, workspace.codec, records, clocks["hand"]),
        "hand_bulk": lambda url: hand_send_seconds(
            url, workspace.codec, records, clocks["hand_bulk"], encode_first=True
        ),
        "hand_grouped": lambda url: hand_send_seconds(
            url, workspace.codec, records, clocks["hand_grouped"], by_partition=True
        ),
        "port": lambda url: port_publish_seconds(url, messages, clocks["port"]),
    }
    if sdk_available():
        sides |= {
            "sdk": lambda url: sdk_publish_seconds(workspace, url, events, clocks["sdk"]),
            "sdk_thread": lambda url: sdk_relay_thread_seconds(
                workspace, url, events, clocks["sdk_thread"]
            ),
            "sdk_process": lambda url: sdk_pipelined_seconds(
                workspace, url, events, clocks["sdk_process"]
            ),
        }
    order = list(sides.values())
    for measure in reversed(order) if repetition % 2 else order:
        _on_fresh_broker(workspace, topics, measure)
    return IngestRun(len(messages), {side: clocks[side] for side in sides})


def submitted_records(events: EventSet) -> list[Message]:
    """What goes over the wire for each submission: topic, key, value and the relay's header."""
    return [
        (topic, key, value, [(EVENT_TYPE, event_type.encode())])
        for (topic, key, value), event_type in zip(
            events.submissions(), events.event_types, strict=True
        )
    ]


def hand_records(events: EventSet) -> list[HandRecord]:
    """Each submission as a user's system holds it before encoding: its Avro record (a dict)."""
    return [
        (
            submissions_topic(submission.institution),
            str(submission.case_id).encode(),
            submission.event_type,
            submission.event.to_avro(),
        )
        for submission in events.models()
    ]


def hand_encode(schema: Any, frame: bytes, record: dict[str, Any]) -> bytes:
    """A careful user's encoder: the frame, then fastavro's Avro of ``record``."""
    buffer = io.BytesIO()
    buffer.write(frame)
    schemaless_writer(buffer, schema, record)
    return buffer.getvalue()


Keyed = TypeVar("Keyed", bound=tuple[Any, ...])  # a record that starts (topic, key, …)


def in_partition_order(messages: Sequence[Keyed], partitions: int) -> list[Keyed]:
    """The same records grouped by topic and partition, each partition's in the order given:
    what ``KafkaBus.publish_all`` sends for a relay's batch."""
    return sorted(messages, key=lambda m: (m[0], partition_for(m[1], partitions) if m[1] else -1))


def _on_fresh_broker(
    workspace: Workspace, topics: Sequence[str], measure: Callable[[str], float]
) -> float:
    with workspace.bus_url("kafka") as url:
        assert url is not None
        bus = KafkaBus.from_url(url)
        for topic in topics:
            bus.create_topic(topic, PARTITIONS)
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
        # The partition computed once per key, as a careful hand loop (and our port) does:
        # left to kafka-python, its pure-Python murmur2 ran on every send and handicapped the
        # baseline (an audit of the bench, 2026-12-06: raw rose from 9,746/s to 14,755/s).
        partition = functools.cache(lambda key: partition_for(key, PARTITIONS))
        futures = [
            producer.send(
                topic,
                key=key,
                value=value,
                headers=headers,
                partition=None if key is None else partition(key),
            )
            for topic, key, value, headers in messages
        ]
        producer.flush()
    failed = sum(1 for f in futures if f.failed())
    producer.close()
    if failed:
        raise RuntimeError(f"raw producer: {failed} sends failed")
    return clock.wall


def hand_send_seconds(
    url: str,
    codec: Codec,
    records: Sequence[HandRecord],
    clock: Clock | None = None,
    *,
    encode_first: bool = False,
    by_partition: bool = False,
) -> float:
    """The loop a careful user writes without our SDK: encode each record with fastavro, frame
    it, ``send()`` it with its partition computed once per key, and ``flush()`` at the end.

    ``encode_first``: encode the whole batch, then send it (still in submission order). The
    sends then follow each other as fast as the raw loop's, and kafka-python fills fuller
    batches before ``linger_ms`` runs out; sending each record as it is encoded leaves the
    client more, smaller batches. ``by_partition``: encode the batch, then send it grouped
    partition by partition as the relay does (the grouping on the clock), so kafka-python
    fills one batch per partition at a time. The SDK gets both for free, so its ratio is given
    against every loop.

    What such a user prepares once is prepared before the clock: each event type's parsed
    schema, schema id (the frame) and ``event-type`` header, and a connected producer with our
    settings."""
    clock = clock or Clock()
    from kafka import KafkaProducer

    prepared = {
        event_type: (
            codec.catalogue.record(event_type).parsed,
            FRAME.pack(MAGIC, codec.schema_id(event_type)),
            [(EVENT_TYPE, event_type.encode())],
        )
        for event_type in {event_type for _topic, _key, event_type, _record in records}
    }
    producer = KafkaProducer(**_producer_settings(url))
    producer.send(records[0][0], key=b"warm-up", value=b"")  # connect before the clock
    producer.flush()
    with clock.running():
        partition = functools.cache(lambda key: partition_for(key, PARTITIONS))
        encoded: Iterable[tuple[str, bytes, str, bytes]] = (
            (topic, key, event_type, hand_encode(*prepared[event_type][:2], record))
            for topic, key, event_type, record in records
        )
        if by_partition:
            encoded = in_partition_order(list(encoded), PARTITIONS)
        elif encode_first:
            encoded = list(encoded)
        futures = [
            producer.send(
                topic,
                key=key,
                value=value,
                headers=prepared[event_type][2],
                partition=partition(key),
            )
            for topic, key, event_type, value in encoded
        ]
        producer.flush()
    failed = sum(1 for f in futures if f.failed())
    producer.close()
    if failed:
        raise RuntimeError(f"hand loop: {failed} sends failed")
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


def sdk_relay_thread_seconds(
    workspace: Workspace, url: str, events: EventSet, clock: Clock | None = None
) -> float:
    """The SDK with its relay in a thread of the submitting process (``Relay.run`` beside the
    application's own work): one interpreter, so the two overlap only where either waits
    outside it (SQLite, the socket). Timed from the first ``submit_many`` until the relay has
    delivered the last event."""
    clock = clock or Clock()
    from producers.publisher import Relay

    warm_up = next(events.submissions())[0]
    with _outbox(workspace, "ingest-outbox-thread.db", events) as (outbox, publishers):
        bus = _warm_bus(url, warm_up)
        relay = Relay(outbox, bus)
        start = threading.Event()
        delivered: list[int] = []
        failed: list[BaseException] = []

        def deliver() -> None:
            start.wait()
            try:
                delivered.append(_deliver_until(relay, len(events)))
            except BaseException as error:  # reported below, in the measuring thread
                failed.append(error)

        thread = threading.Thread(target=deliver, name="relay", daemon=True)
        thread.start()
        with clock.running():
            start.set()
            for publisher, models in publishers:
                publisher.submit_many(models)
            thread.join(timeout=300)
        bus.close()
    if failed:
        raise failed[0]
    if not delivered or delivered[0] < len(events):
        raise RuntimeError(f"relay delivered {delivered} of {len(events)} events")
    return clock.wall


def _deliver_until(relay: Any, expected: int) -> int:
    delivered = 0
    while delivered < expected:
        count = relay.deliver()
        delivered += count
        if not count:
            time.sleep(0.002)  # the submitter has not committed the next rows yet
    return delivered


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
    from services.platform.sql import sql_engine

    outbox = sql_engine(outbox_url)
    bus = _warm_bus(bus_url, warm_up)
    relay = Relay(outbox, bus)
    gc.collect()  # as the submitter does before its clock starts
    gc.freeze()
    ready.set()
    cpu = time.process_time()
    delivered = _deliver_until(relay, expected)
    results.put((delivered, time.process_time() - cpu))
    bus.close()
    outbox.dispose()


Publishers = list[tuple[Any, list[Any]]]


@contextlib.contextmanager
def _outbox(workspace: Workspace, name: str, events: EventSet) -> Iterator[tuple[Any, Publishers]]:
    """A fresh outbox and a ``Publisher`` per institution with its events as models."""
    from producers.publisher import Publisher
    from services.platform.sql import sql_engine

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
