"""An archive killed at random points ends complete, without duplicates, and verifies."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from consumers.archive import archive_records
from consumers.pipeline import partitions_of
from services.audit.verify import cross_check, verify_chain
from services.platform.signing import load_public_key
from tests.reliability.figures import scaled
from tests.support.audit import audit_platform

KILLS = int(scaled(10, 50))  # issue 9: ten kills in CI, fifty in the long run
RECORDS = int(scaled(600, 2400))  # enough batches of 5 that the kills land mid-run


def run_child(data_dir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.crashing_archive", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_archive_killed_anywhere_ends_complete_and_intact(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    platform = audit_platform(data_dir)
    with platform.bus.batch():
        for n in range(RECORDS):
            topic = "case-events" if n % 4 else "access-log"
            platform.bus.publish(topic, f"case-{n % 9}".encode(), f"record {n}".encode())
    platform.bus.flush()
    platform.close()

    rng = random.Random(6)
    kills = 0
    for _ in range(KILLS):
        child = run_child(data_dir)
        for _batch in range(rng.randrange(1, 4)):
            if not child.stdout or not child.stdout.readline():
                break
        time.sleep(rng.uniform(0.0, 0.03))
        if child.poll() is None:
            child.kill()
            kills += 1
        child.wait(30)
    assert kills >= KILLS // 2, "the child finished before most kills: make the work longer"
    final = run_child(data_dir)
    assert final.wait(180) == 0, final.stderr.read() if final.stderr else ""

    platform = audit_platform(data_dir)
    key = load_public_key(platform.settings.resolved_archive_key_file)
    topics = partitions_of(platform.bus, ["case-events", "access-log"])
    total = sum(platform.bus.end_offsets(topics).values())
    records = archive_records.c
    with platform.archive_engine.connect() as conn:
        result = verify_chain(conn, key)
        distinct = conn.execute(
            select(func.count()).select_from(
                select(records.topic, records.partition, records.offset).distinct().subquery()
            )
        ).scalar_one()
        bus = cross_check(platform.bus, conn)
    platform.close()
    assert total == RECORDS
    assert result.intact, result.summary()
    assert result.records == distinct == RECORDS
    assert (bus.equal, bus.mismatch, bus.not_archived) == (RECORDS, None, 0)
