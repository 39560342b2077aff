"""How fast ``audit verify`` walks an archive: events/s over a chain of N signed records.

CI size by default; ``POVEZIMO_BENCH_ARCHIVE_EVENTS=1000000`` runs the one-million-event archive.
Run with ``pytest tests/benchmarks -m slow``.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from consumers import runner
from consumers.archive import Archive
from consumers.runner import BatchOutput
from services.audit.verify import Verification, verify_chain
from services.bus import Record
from services.platform.sql import sql_engine

pytestmark = pytest.mark.slow

EVENTS = int(os.environ.get("POVEZIMO_BENCH_ARCHIVE_EVENTS", "20000"))
BATCH = 5000
PARTITIONS = 3


def build_archive(path: Path, events: int) -> Archive:
    """An archive of ``events`` records (≈400-byte values, three partitions), built in batches
    as the projection builds it, with a signed checkpoint every 1000 records and every batch."""
    engine = sql_engine(f"sqlite:///{path / 'archive.db'}")
    archive = Archive(engine, path / "keys" / "archive-signing.key", checkpoint_every=1000)
    for table in archive.tables:
        table.create(engine, checkfirst=True)
    runner.metadata.create_all(engine)
    rng = random.Random(1)
    next_offset = [0] * PARTITIONS
    for start in range(0, events, BATCH):
        records = []
        for n in range(start, min(start + BATCH, events)):
            partition = n % PARTITIONS
            records.append(
                Record(
                    "case-events",
                    partition,
                    next_offset[partition],
                    f"case-{n // 16}".encode(),
                    rng.randbytes(400),
                    (("event-type", b"ReferralSent"), ("submitted-by", b"csr.lazarevac")),
                    1_700_000_000_000 + n,
                )
            )
            next_offset[partition] += 1
        with engine.begin() as tx:
            archive.apply_batch(records, tx, BatchOutput())
    return archive


def test_verify_rate(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    archive = build_archive(tmp_path, EVENTS)
    public_key = archive.signing_key.public_key()

    def verify() -> Verification:
        with archive.engine.connect() as conn:
            return verify_chain(conn, public_key)

    result = benchmark.pedantic(verify, rounds=3 if EVENTS <= 100_000 else 1, iterations=1)
    assert result.intact and result.records == EVENTS
    rate = EVENTS / benchmark.stats.stats.mean
    benchmark.extra_info["events"] = EVENTS
    benchmark.extra_info["events_per_second"] = round(rate)
    print(f"\nverified {EVENTS:,} archived events at {rate:,.0f} events/s")
