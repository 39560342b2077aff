"""The bus contract: one suite, run unchanged against every engine (see ``bus_url`` in conftest).

SQLite and PostgreSQL carry the SQL log; tansu (started by a fixture) and, where Docker runs,
Apache Kafka carry the Kafka engine.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator

import pytest

from services.bus import (
    BadRecord,
    Bus,
    BusError,
    Consumer,
    Reader,
    Record,
    TopicPartition,
    consume,
    open_bus,
)
from services.bus.partitioning import partition_for
from tests.support.brokers import TEST_SESSION_TIMEOUT_MS

WAIT_S = 30.0


@pytest.fixture
def bus(bus_url: str) -> Iterator[Bus]:
    engine = open_bus(bus_url)
    yield engine
    engine.close()


def join(bus: Bus, group: str, topics: list[str] | re.Pattern[str], **options: object) -> Consumer:
    return bus.consumer(group, topics, session_timeout_ms=TEST_SESSION_TIMEOUT_MS, **options)  # type: ignore[arg-type]


def drain(consumer: Consumer | Reader, count: int, timeout: float = WAIT_S) -> list[Record]:
    """Poll until ``count`` records arrived (or fail after ``timeout``)."""
    records: list[Record] = []
    deadline = time.monotonic() + timeout
    while len(records) < count and time.monotonic() < deadline:
        records += consumer.poll(timeout=0.5)
    assert len(records) >= count, f"got {len(records)} of {count} records in {timeout}s"
    return records


def publish_values(bus: Bus, topic: str, items: list[tuple[bytes | None, bytes | None]]) -> None:
    for key, value in items:
        bus.publish(topic, key, value)
    bus.flush()


def test_records_of_one_key_keep_their_order_on_the_kafka_partition(bus: Bus, names: str) -> None:
    topic = f"{names}.case-events"
    bus.create_topic(topic, partitions=3)
    keys = [f"case-{n}".encode() for n in range(6)]
    publish_values(bus, topic, [(k, f"{k.decode()}:{i}".encode()) for i in range(20) for k in keys])

    consumer = join(bus, f"{names}-g", [topic])
    records = drain(consumer, 120)
    consumer.close()

    seen: dict[bytes, list[int]] = defaultdict(list)
    for record in records:
        assert record.key is not None and record.value is not None
        # The same partition as Kafka's default partitioner picks, on every engine.
        assert record.partition == partition_for(record.key, 3)
        seen[record.key].append(int(record.value.rsplit(b":", 1)[1]))
    assert all(sequence == list(range(20)) for sequence in seen.values())
    assert set(seen) == set(keys)
    # End offsets are exact after a batched produce (the Kafka engine reads the high watermark).
    ends = bus.end_offsets([TopicPartition(topic, p) for p in range(3)])
    assert sum(ends.values()) == 120


def test_threads_publish_in_batches_of_their_own_at_once(bus: Bus, names: str) -> None:
    """Projections running side by side in one process share a bus, a batch each."""
    topic = f"{names}.inbox"
    bus.create_topic(topic, partitions=1)
    inside = threading.Barrier(2)
    failures: list[BaseException] = []

    def publish(name: str) -> None:
        try:
            with bus.batch():
                bus.publish(topic, name.encode(), f"{name}-1".encode())
                inside.wait(timeout=WAIT_S)  # both blocks are open now
                bus.publish(topic, name.encode(), f"{name}-2".encode())
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=publish, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S)
    assert not failures
    values = [r.value for r in drain(join(bus, f"{names}-g", [topic]), 4)]
    assert sorted(values) == [b"a-1", b"a-2", b"b-1", b"b-2"]
    assert values.index(b"a-1") < values.index(b"a-2")
    assert values.index(b"b-1") < values.index(b"b-2")


def test_partition_counts_answer_for_many_topics_at_once(bus: Bus, names: str) -> None:
    bus.create_topic(f"{names}.one", partitions=1)
    bus.create_topic(f"{names}.four", partitions=4)
    counts = bus.partition_counts([f"{names}.one", f"{names}.four", f"{names}.missing"])
    assert counts == {f"{names}.one": 1, f"{names}.four": 4, f"{names}.missing": 0}
    assert bus.partitions_for(f"{names}.four") == 4


def test_a_new_topic_gets_the_partitions_given_for_its_prefix(bus_url: str, names: str) -> None:
    """The platform gives its rule (one partition per submissions topic); the bus knows none."""
    narrow = f"narrow-{names}."
    bus = open_bus(bus_url, partitions_by_prefix={narrow: 1})
    try:
        created, published, other = f"{narrow}a", f"{narrow}b", f"{names}.x"
        bus.create_topic(created)
        bus.publish(published, b"case-1", b"v")  # created on first use
        bus.create_topic(other)
        bus.create_topic(f"{narrow}wide", partitions=4)  # a count asked for wins
        counts = bus.partition_counts([created, published, other, f"{narrow}wide"])
    finally:
        bus.close()
    assert counts == {created: 1, published: 1, other: 3, f"{narrow}wide": 4}


def test_two_members_of_a_group_split_the_partitions(bus: Bus, names: str) -> None:
    topic = f"{names}.submissions"
    bus.create_topic(topic, partitions=4)
    expected = {f"v{n}".encode() for n in range(200)}
    publish_values(bus, topic, [(f"k{n}".encode(), f"v{n}".encode()) for n in range(200)])

    got: dict[str, set[bytes]] = {"a": set(), "b": set()}
    assignments: dict[str, set[TopicPartition]] = {}
    both_joined = threading.Barrier(2)
    stop = threading.Event()

    def member(name: str) -> None:
        consumer = join(bus, f"{names}-g", [topic])
        both_joined.wait(timeout=WAIT_S)
        deadline = time.monotonic() + WAIT_S
        stable_since = time.monotonic()
        while time.monotonic() < deadline and not stop.is_set():
            records = consumer.poll(timeout=0.2)
            got[name] |= {r.value for r in records if r.value is not None}
            if records:
                consumer.commit()
                stable_since = time.monotonic()
            if stop.is_set():
                break  # the other member may be leaving: its partitions come to us, as they should
            assignment = consumer.assignment()
            if assignment != assignments.get(name):
                assignments[name] = assignment
                stable_since = time.monotonic()
            if got["a"] | got["b"] == expected and time.monotonic() - stable_since > 3:
                stop.set()
        consumer.close()

    threads = [threading.Thread(target=member, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert got["a"] | got["b"] == expected
    assert assignments["a"] and assignments["b"], assignments
    assert not assignments["a"] & assignments["b"]
    assert assignments["a"] | assignments["b"] == {TopicPartition(topic, p) for p in range(4)}


def test_a_restarted_member_resumes_after_its_commit(bus: Bus, names: str) -> None:
    topic = f"{names}.inbox"
    bus.create_topic(topic, partitions=2)
    publish_values(bus, topic, [(f"k{n}".encode(), f"old{n}".encode()) for n in range(10)])

    first = join(bus, f"{names}-g", [topic])
    drain(first, 10)
    first.commit()
    tp = TopicPartition(topic, partition_for(b"k0", 2))
    assert first.committed(tp) == first.position(tp)
    first.close()

    publish_values(bus, topic, [(f"k{n}".encode(), f"new{n}".encode()) for n in range(5)])
    second = join(bus, f"{names}-g", [topic])
    records = drain(second, 5)
    time.sleep(0.5)
    records += second.poll(timeout=0.5)
    second.close()
    assert sorted(r.value for r in records if r.value) == sorted(
        f"new{n}".encode() for n in range(5)
    )


def test_seek_to_beginning_and_to_an_offset_replays(bus: Bus, names: str) -> None:
    topic = f"{names}.case-events"
    bus.create_topic(topic, partitions=1)
    publish_values(bus, topic, [(b"case", f"{n}".encode()) for n in range(10)])
    consumer = join(bus, f"{names}-g", [topic])
    drain(consumer, 10)
    tp = TopicPartition(topic, 0)

    consumer.seek_to_beginning()
    assert [r.value for r in drain(consumer, 10)] == [f"{n}".encode() for n in range(10)]
    consumer.seek(tp, 7)
    assert [r.offset for r in drain(consumer, 3)] == [7, 8, 9]
    assert bus.end_offsets([tp]) == {tp: 10}
    consumer.close()


def test_a_reader_reads_named_partitions_from_their_offsets_without_a_group(
    bus: Bus, names: str
) -> None:
    topic = f"{names}.inbox"
    bus.create_topic(topic, partitions=2)
    keys = [f"k{n}".encode() for n in range(40)]
    by_partition = {p: [k for k in keys if partition_for(k, 2) == p] for p in range(2)}
    publish_values(bus, topic, [(k, k) for k in by_partition[0][:6] + by_partition[1][:4]])
    first, second = TopicPartition(topic, 0), TopicPartition(topic, 1)
    member = join(bus, f"{names}-g", [topic])
    assert len(drain(member, 10)) == 10
    member.commit()

    reader = bus.reader({first: 4, second: 0})
    read = drain(reader, 6)
    assert sorted((r.partition, r.offset) for r in read) == [(0, 4), (0, 5)] + [
        (1, n) for n in range(4)
    ]
    assert reader.poll(timeout=0.2) == []
    publish_values(bus, topic, [(by_partition[0][6], b"later")])
    assert [(r.offset, r.value) for r in drain(reader, 1)] == [(6, b"later")]
    only_second = bus.reader({second: 3})
    assert [(r.partition, r.offset) for r in drain(only_second, 1)] == [(1, 3)]
    reader.close()
    only_second.close()

    # The readers neither joined the member's group nor moved its offsets.
    assert [r.value for r in drain(member, 1)] == [b"later"]
    member.commit()
    assert member.committed(first) == 7 and member.committed(second) == 4
    member.close()


def test_seeking_a_partition_not_assigned_is_a_bus_error(bus: Bus, names: str) -> None:
    """A rebalance can take a partition between ``assignment()`` and ``seek``: the runner waits
    that out as it waits out any bus error, where another exception would end its thread."""
    topic = f"{names}.case-events"
    bus.create_topic(topic, partitions=1)
    publish_values(bus, topic, [(b"case", b"0")])
    consumer = join(bus, f"{names}-g", [topic])
    drain(consumer, 1)
    with pytest.raises(BusError, match="not assigned"):
        consumer.seek(TopicPartition(topic, 5), 0)
    with pytest.raises(BusError, match="not assigned"):
        consumer.seek(TopicPartition(f"{names}.elsewhere", 0), 0)
    consumer.seek(TopicPartition(topic, 0), 0)  # the member is unharmed
    assert [r.value for r in drain(consumer, 1)] == [b"0"]
    consumer.close()


def test_headers_and_null_values_round_trip(bus: Bus, names: str) -> None:
    topic = f"{names}.case-events"
    headers = [("event-type", b"CaseOpened"), ("trace", b"\x00\xff\x10"), ("trace", b"second")]
    bus.publish(topic, b"case-1", None, headers)
    bus.publish(topic, None, b"no key")
    bus.flush()
    consumer = join(bus, f"{names}-g", [topic])
    records = {r.value: r for r in drain(consumer, 2)}
    consumer.close()

    tombstone = records[None]
    assert tombstone.key == b"case-1"
    assert list(tombstone.headers) == headers
    assert tombstone.header("trace") == b"second"
    assert records[b"no key"].key is None
    assert records[b"no key"].headers == ()


def test_publishing_many_at_once_keeps_each_case_in_order_and_is_durable_on_return(
    bus: Bus, names: str
) -> None:
    """An outbox relay's batch: two institutions' topics, cases interleaved, one header each."""
    topics = [f"{names}.submissions.csr.lazarevac", f"{names}.submissions.police.zvezdara"]
    for topic in topics:
        bus.create_topic(topic, partitions=3)
    opened = [("event-type", b"CaseOpened")]
    records = [
        (topics[n % 2], f"case-{n % 7}".encode(), f"{n}".encode(), opened) for n in range(140)
    ]
    bus.publish_all(records)
    ends = bus.end_offsets([TopicPartition(t, p) for t in topics for p in range(3)])
    assert sum(ends.values()) == len(records)  # every record was durable when it returned

    consumer = join(bus, f"{names}-g", topics)
    got = drain(consumer, len(records))
    consumer.close()
    assert len(got) == len(records)
    by_case: dict[tuple[str, bytes | None], list[int]] = defaultdict(list)
    for record in got:
        assert record.key is not None and record.value is not None
        assert record.partition == partition_for(record.key, 3)
        assert list(record.headers) == opened
        by_case[(record.topic, record.key)].append(int(record.value))
    expected: dict[tuple[str, bytes | None], list[int]] = defaultdict(list)
    for topic, key, value, _headers in records:
        expected[(topic, key)].append(int(value))
    assert by_case == expected


def test_a_restored_record_keeps_its_original_timestamp(bus: Bus, names: str) -> None:
    topic = f"{names}.case-events"
    before = int(time.time() * 1000)
    original = 1_767_600_000_123  # 2026-01-05: a record replayed from the archive
    with bus.batch():
        bus.publish(topic, b"case-1", b"restored", timestamp_ms=original)
        bus.publish(topic, b"case-1", b"new")
    consumer = join(bus, f"{names}-g", [topic])
    records = {r.value: r for r in drain(consumer, 2)}
    consumer.close()

    assert records[b"restored"].timestamp_ms == original
    assert records[b"new"].timestamp_ms >= before


def test_a_pattern_subscription_finds_topics_created_later(bus: Bus, names: str) -> None:
    early, late = f"{names}.submissions.csr.lazarevac", f"{names}.submissions.ngo.azc"
    bus.create_topic(early, partitions=1)
    bus.create_topic(f"{names}.rejections.csr.lazarevac", partitions=1)
    consumer = join(bus, f"{names}-g", re.compile(rf"{names}\.submissions\..+"))
    publish_values(bus, early, [(b"a", b"from csr")])
    drain(consumer, 1)

    bus.create_topic(late, partitions=1)
    publish_values(bus, late, [(b"b", b"from ngo")])
    publish_values(bus, f"{names}.rejections.csr.lazarevac", [(b"c", b"not subscribed")])
    records = drain(consumer, 1)
    consumer.close()
    assert [(r.topic, r.value) for r in records] == [(late, b"from ngo")]
    assert {early, late} <= bus.list_topics()


def test_a_member_that_polls_briefly_with_pauses_between_still_joins(bus: Bus, names: str) -> None:
    # A caller that does other work between short polls (the demo's exchange checks its own
    # database between half-second polls). kafka-python 3.0 dropped a join that finished in such
    # a pause and started another, for ever: with a pattern on tansu, 40 s without partitions.
    topic = f"{names}.submissions.csr.golubac"
    bus.create_topic(topic, partitions=1)
    publish_values(bus, topic, [(b"case", b"decide me")])
    consumer = join(bus, f"{names}-g", re.compile(rf"{names}\.submissions\..+"))
    records: list[Record] = []
    deadline = time.monotonic() + WAIT_S
    while not records and time.monotonic() < deadline:
        records = consumer.poll(timeout=0.1)
        time.sleep(0.5)
    consumer.close()
    assert [r.value for r in records] == [b"decide me"]


def test_on_assign_lets_a_projection_start_from_its_own_offsets(bus: Bus, names: str) -> None:
    topic = f"{names}.case-events"
    bus.create_topic(topic, partitions=1)
    publish_values(bus, topic, [(b"case", f"{n}".encode()) for n in range(6)])
    stored = {TopicPartition(topic, 0): 4}  # what the projection's own table would hold

    def seek_to_stored(consumer: Consumer, assigned: set[TopicPartition]) -> None:
        for tp in assigned:
            consumer.seek(tp, stored.get(tp, 0))

    consumer = join(bus, f"{names}-g", [topic], on_assign=seek_to_stored)
    records = drain(consumer, 2)
    consumer.close()
    assert [r.offset for r in records] == [4, 5]


def test_a_bad_record_does_not_stop_the_consumer(bus: Bus, names: str) -> None:
    topic = f"{names}.submissions"
    bus.create_topic(topic, partitions=1)
    values = [b'{"n": 1}', b"\x00\x00\x00\x00\x07garbage", None, b'{"n": 2}', b'{"n": 3}']
    publish_values(bus, topic, [(b"k", v) for v in values])
    consumer = join(bus, f"{names}-g", [topic])

    handled: list[int] = []
    bad: list[BadRecord] = []

    def handle(record: Record) -> None:
        handled.append(json.loads(record.value or b"")["n"])

    deadline = time.monotonic() + WAIT_S
    while len(handled) + len(bad) < len(values) and time.monotonic() < deadline:
        consume(consumer, handle, bad.append, max_batches=1)
    tp = TopicPartition(topic, 0)
    committed = consumer.committed(tp)
    consumer.close()

    assert handled == [1, 2, 3]
    assert [b.record.offset for b in bad] == [1, 2]
    assert all(b.reason for b in bad)
    assert committed == len(values)


def test_records_read_but_not_committed_by_a_killed_member_are_delivered_again(
    bus: Bus, bus_url: str, names: str
) -> None:
    topic = f"{names}.case-events"
    group = f"{names}-g"
    bus.create_topic(topic, partitions=2)
    publish_values(bus, topic, [(f"k{n}".encode(), f"v{n}".encode()) for n in range(20)])

    # The member reads everything, then dies by SIGKILL before it commits.
    child = subprocess.run(
        [sys.executable, "-m", "tests.contract.die_before_commit", bus_url, group, topic, "20"],
        capture_output=True,
        text=True,
        timeout=WAIT_S * 2,
    )
    assert child.returncode == -9, child.stderr
    assert child.stdout.strip() == "read 20"

    survivor = join(bus, group, [topic])
    records = drain(survivor, 20, timeout=WAIT_S * 2)
    survivor.close()
    assert {r.value for r in records} == {f"v{n}".encode() for n in range(20)}
