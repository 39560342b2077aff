"""What the ingest bench compares, and how its table reads: each side against its baseline."""

from __future__ import annotations

from services.bench.ingest import Clock, IngestRun, in_partition_order
from services.bench.report import _ingest_rows
from services.bus.partitioning import partition_for


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
            port=(0.05, 0.04),
            sdk=(0.125, 0.10),
            sdk_thread=(0.10, 0.10),
            sdk_process=(0.05, 0.12),
        )
    ]
    table = {row[0]: row for row in _ingest_rows(runs)}
    sdk = table["ingest: producer SDK, relay after submitting, one thread ÷ raw (wall; CPU)"]
    assert sdk[2:] == ("8,000/s", "10,000/s", "0.800; 0.800", "≥ 0.9")
    against_grouped = table[
        "ingest: producer SDK, one thread ÷ raw sent partition by partition (wall; CPU)"
    ]
    assert against_grouped[2:5] == ("8,000/s", "20,000/s", "0.400; 0.400")
    process = table["ingest: producer SDK, relay in its own process ÷ raw (wall; CPU of both)"]
    assert process[4] == "2.000; 0.667"
    assert len(table) == 6


def test_without_the_sdk_the_table_says_so() -> None:
    rows = _ingest_rows([run(raw=(0.1, 0.1), raw_grouped=(0.1, 0.1), port=(0.1, 0.1))])
    assert [r[2] for r in rows if "producer SDK" in r[0]] == ["not in this tree"]
