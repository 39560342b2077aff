"""What the ingest bench compares, and how its table reads: each side against its baseline."""

from __future__ import annotations

from pathlib import Path

from schemas.codec import FRAME, MAGIC
from services.bench.ingest import (
    Clock,
    IngestRun,
    hand_encode,
    hand_records,
    in_partition_order,
    submitted_records,
)
from services.bench.report import _ingest_rows
from services.bench.sample_events import EventSet
from services.bench.workspace import Workspace
from services.bus.partitioning import partition_for


def test_the_hand_loop_sends_the_same_bytes_as_the_sdk_submits(tmp_path: Path) -> None:
    """The SDK's baseline encodes with fastavro alone: every record must come out as the
    codec's bytes, to the same topic under the same key, or the ratio compares different work.
    (Against the codec, not the log's bytes: regenerating the events draws fresh nonces for
    their encrypted fields.)"""
    codec = Workspace(tmp_path).codec
    events = EventSet.build(300, 7, codec)
    records = hand_records(events)
    assert len(records) == len(events)
    assert len({event_type for _t, _k, event_type, _r in records}) > 3  # several schemas
    for (topic, key, event_type, record), (s_topic, s_key, _value, headers) in zip(
        records, submitted_records(events), strict=True
    ):
        schema = codec.catalogue.record(event_type).parsed
        frame = FRAME.pack(MAGIC, codec.schema_id(event_type))
        assert hand_encode(schema, frame, record) == codec.encode(event_type, record)
        assert (topic, key, [("event-type", event_type.encode())]) == (s_topic, s_key, headers)


def test_the_relays_order_groups_partitions_and_keeps_each_partitions_order() -> None:
    header = [("event-type", b"CaseOpened")]
    messages = [
        (f"submissions.{inst}", f"case-{n % 5}".encode(), f"{n}".encode(), header)
        for n, inst in enumerate(["csr.lazarevac", "police.zvezdara"] * 20)
    ]
    grouped = in_partition_order(messages, 3)
    assert sorted(grouped) == sorted(messages)  # the same records
    places = [(t, partition_for(k, 3)) for t, k, _v, _h in grouped]
    assert places == sorted(places)  # one run per topic and partition
    for place in set(places):
        mine = [m for m in messages if (m[0], partition_for(m[1], 3)) == place]
        assert [m for m in grouped if (m[0], partition_for(m[1], 3)) == place] == mine


def run(**walls_and_cpus: tuple[float, float]) -> IngestRun:
    return IngestRun(1000, {side: Clock(wall, cpu) for side, (wall, cpu) in walls_and_cpus.items()})


def test_each_ingest_row_divides_a_side_by_its_baseline_in_wall_and_cpu_time() -> None:
    runs = [
        run(
            raw=(0.10, 0.08),
            raw_grouped=(0.05, 0.04),
            hand=(0.20, 0.16),
            hand_bulk=(0.125, 0.10),
            hand_grouped=(0.10, 0.08),
            port=(0.05, 0.04),
            sdk=(0.25, 0.20),
            sdk_thread=(0.40, 0.16),
            sdk_process=(0.10, 0.32),
        )
    ]
    table = {row[0]: row for row in _ingest_rows(runs)}
    sdk = table["ingest: producer SDK, relay after submitting, one thread ÷ hand loop (wall; CPU)"]
    assert sdk[2:] == ("4,000/s", "5,000/s", "0.800; 0.800", "≥ 0.9")
    raw_bytes = table["ingest: producer SDK, one thread ÷ raw kafka-python (wall; CPU)"]
    assert raw_bytes[2:5] == ("4,000/s", "10,000/s", "0.400; 0.400")
    hand = table["ingest: hand loop (fastavro + send) ÷ raw kafka-python (wall; CPU)"]
    assert hand[4] == "0.500; 0.500"
    thread = table["ingest: producer SDK, relay in its own thread ÷ hand loop (wall; CPU)"]
    assert thread[4] == "0.500; 1.000"
    process = table[
        "ingest: producer SDK, relay in its own process ÷ hand loop (wall; CPU of both)"
    ]
    assert process[4] == "2.000; 0.500"
    bulk = table[
        "ingest: producer SDK, one thread ÷ hand loop encoding the batch first (wall; CPU)"
    ]
    assert bulk[2:] == ("4,000/s", "8,000/s", "0.500; 0.500", "≥ 0.9")
    grouped = table[
        "ingest: producer SDK, one thread ÷ hand loop sending partition by partition (wall; CPU)"
    ]
    assert grouped[2:] == ("4,000/s", "10,000/s", "0.400; 0.400", "≥ 0.9")
    assert len(table) == 9


def test_without_the_sdk_the_table_says_so() -> None:
    rows = _ingest_rows(
        [run(raw=(0.1, 0.1), raw_grouped=(0.1, 0.1), hand=(0.1, 0.1), hand_bulk=(0.1, 0.1))]
    )
    assert [r[2] for r in rows if "producer SDK" in r[0]] == ["not in this tree"]
    assert any(r[0].startswith("ingest: hand loop") and r[4] == "1.000; 1.000" for r in rows)
