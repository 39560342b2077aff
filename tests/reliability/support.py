"""What the reliability tests share: scripted cases, reading whole topics, the views' checksums."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence, Set

from sqlalchemy import Engine, Table, select

from consumers.exchange import submissions_table
from consumers.pipeline import partitions_of
from consumers.runner import applied_table, failures_table
from consumers.views import timeline
from producers.scenario import CaseScript, Submission, coordinated_script
from schemas.topics import CASE_EVENTS
from services.bootstrap import Platform
from services.bus import Record
from tests.support.brokers import TEST_SESSION_TIMEOUT_MS
from tests.support.checksums import table_checksum

START = dt.datetime(2026, 1, 5, 7, tzinfo=dt.UTC)
PROJECTIONS = ("views", "inbox", "deadlines")


def scripted_cases(platform: Platform, count: int, seed: int = 11) -> list[CaseScript]:
    """``count`` coordinated cases across the seed municipalities, one a day from ``START``, their
    people sealed by ``platform``'s vault (the exchange refuses what no key of it opens)."""
    rng = random.Random(seed)
    places = ("lazarevac", "kragujevac", "loznica", "zvezdara")
    return [
        coordinated_script(
            rng, START + dt.timedelta(days=n), places[n % len(places)], platform.vault
        )
        for n in range(count)
    ]


def streamed_waves(platform: Platform) -> list[list[Submission]]:
    """The cases the outage tests stream, in waves (each decided before the next is sent)."""
    from producers.scenario import in_waves

    return in_waves([c.submissions for c in scripted_cases(platform, 2)])


def read_all(
    platform: Platform, topics: Sequence[str] | re.Pattern[str], timeout: float = 60
) -> list[Record]:
    """Every record now on ``topics``, read by a fresh consumer group."""
    partitions = partitions_of(platform.bus, topics)
    expected = sum(platform.bus.end_offsets(partitions).values())
    consumer = platform.bus.consumer(
        f"reader-{time.monotonic_ns()}", topics, session_timeout_ms=TEST_SESSION_TIMEOUT_MS
    )
    records: list[Record] = []
    deadline = time.monotonic() + timeout
    try:
        while len(records) < expected and time.monotonic() < deadline:
            records += consumer.poll(max_records=2000, timeout=0.5)
    finally:
        consumer.close()
    assert len(records) == expected, f"read {len(records)} of {expected} records"
    return records


def view_tables(platform: Platform) -> dict[Engine, list[Table]]:
    """Every table a projection fills (the exchange's case state included), by its database."""
    found: dict[Engine, list[Table]] = {}
    for projection in platform.projections().values():
        tables = found.setdefault(platform.engine_for(projection), [applied_table, failures_table])
        tables += [t for t in projection.tables if t is not submissions_table]
    return found


def merged_checksums(platform: Platform, skip: Set[str] = frozenset()) -> dict[str, str]:
    """A checksum per table name, its rows gathered from every database that holds it: the
    same whether the exchange shares the views' database (PostgreSQL) or has its own (SQLite)."""
    rows: dict[str, list[str]] = {}
    for engine, tables in view_tables(platform).items():
        with engine.connect() as conn:
            for table in tables:
                if table.name not in skip:
                    found = rows.setdefault(table.name, [])
                    found += (repr(tuple(r)) for r in conn.execute(select(table)))
    return {name: _digest(found) for name, found in rows.items()}


def _digest(rows: list[str]) -> str:
    digest = hashlib.sha256()
    for row in sorted(rows):
        digest.update(row.encode() + b"\n")
    return f"{len(rows)}:{digest.hexdigest()[:16]}"


def view_checksums(platform: Platform) -> dict[str, str]:
    sums = merged_checksums(platform)
    sums["exchange_submissions(accepted)"] = table_checksum(
        platform.exchange_engine, submissions_table, where=submissions_table.c.status == "accepted"
    )
    return sums


def case_event_ids(platform: Platform, records: Iterable[Record]) -> Counter[str]:
    """How many times each event_id is in ``records`` of case-events."""
    return Counter(
        str(platform.codec.decode(r.value or b"").record["header"]["event_id"]) for r in records
    )


def accepted_exactly_once(platform: Platform, expected: Iterable[Submission]) -> Counter[str]:
    """case-events holds each of ``expected`` once and nothing else; returns the counts."""
    counts = case_event_ids(platform, read_all(platform, [CASE_EVENTS]))
    wanted = {str(s.event_id) for s in expected}
    assert set(counts) == wanted, (
        f"missing {len(wanted - set(counts))}, unexpected {len(set(counts) - wanted)}"
    )
    return counts


POSITIONS = {"topic", "partition", "offset"}
WHO_DECIDED = {"epoch"}  # which member's lease a decision was made under
ARCHIVE = {"archive_records", "archive_checkpoints"}


def comparable(platform: Platform) -> dict[str, str]:
    """Checksums of every view and of the exchange's decisions, without log positions.

    A record published twice (a retry after a lost acknowledgement, a crash before the commit)
    shifts the offsets of those after it, so positions differ between two correct runs; what an
    institution sees (which events, decided how, applied once) may not.
    """
    positional = (timeline, submissions_table)
    sums = merged_checksums(platform, {t.name for t in positional} | ARCHIVE)
    for engine, tables in view_tables(platform).items():
        for table in tables:
            if table.name == "archive_records":
                # The archive chains the log as it is (times, positions, any copy, sealed
                # bytes that differ per run): compare which events it holds; its own tests
                # verify the chain.
                with engine.connect() as conn:
                    values = [
                        Record("case-events", 0, 0, None, v)
                        for v in conn.execute(select(table.c.value)).scalars()
                    ]
                ids = sorted(case_event_ids(platform, values))
                sums["archive(events)"] = (
                    f"{len(ids)}:{hashlib.sha256(repr(ids).encode()).hexdigest()[:16]}"
                )
    for engine, table in ((platform.views_engine, timeline),
                          (platform.exchange_engine, submissions_table)):  # fmt: skip
        with engine.connect() as conn:
            kept = (c for c in table.c if c.name not in POSITIONS | WHO_DECIDED)
            rows = conn.execute(select(*kept)).all()
            sums[table.name] = repr(sorted(map(tuple, rows)))
    return sums
