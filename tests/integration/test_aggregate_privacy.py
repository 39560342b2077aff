"""The regional aggregate holds and releases nobody: proven by scanning for every identifier.

Simulated cases with synthetic names, JMBGs, addresses and phones (sealed in SubjectRegistered
by the key vault) go through the exchange into the aggregate. Then the aggregate database files
(raw bytes, write-ahead log included), every export format of every indicator, and the logs of
building and releasing the aggregate (DEBUG) are searched for each generated identifier, every
case, subject, referral, measure and event id, and the pseudonym key: zero hits.

Rotating the pseudonym key by epoch changes the pseudonyms and leaves every indicator equal.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import select

from consumers.aggregate_tables import cases as agg_cases
from consumers.aggregate_tables import failures, subjects
from consumers.indicators import INDICATORS
from consumers.pipeline import partitions_of
from producers.scenario import Submission, coordinated_script
from schemas.topics import CASE_EVENTS
from services.bootstrap import Platform
from services.cli.aggregate import render_csv, render_json, render_table
from services.disclosure.release import ReleaseRequest, release
from services.platform.pseudonyms import load_key
from services.platform.settings import Settings
from tests.support.aggregate_scenario import START, region
from tests.support.brokers import TEST_SESSION_TIMEOUT_MS
from tests.support.pipeline import pipeline_of, submit_in_order

MORE = [("kragujevac", 81), ("golubac", 82), ("cuprija", 83), ("palilula", 84), ("loznica", 85)]


def _uuids(value: Any) -> Iterator[uuid.UUID]:
    if isinstance(value, uuid.UUID):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _uuids(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _uuids(item)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Platform, set[str]]]:
    tmp = tmp_path_factory.mktemp("privacy")
    # Threshold 1 as the operator's policy: the exports scanned below hold the raw counts too.
    settings = Settings(
        data_dir=tmp / "data", bus_url=f"sqlite:///{tmp / 'bus.db'}", disclosure_threshold=1
    )
    system = Platform(settings, session_timeout_ms=TEST_SESSION_TIMEOUT_MS)
    scripted, ids = region(system.vault)
    extra = [
        coordinated_script(random.Random(seed), START + dt.timedelta(days=9 * n), place,
                           system.vault)
        for n, (place, seed) in enumerate(MORE)
    ]  # fmt: skip
    submissions: list[Submission] = [s for case in scripted for s in case]
    submissions += [s for script in extra for s in script.submissions]
    pipeline = pipeline_of(system)
    submit_in_order(system, pipeline, submissions)
    pipeline.close()

    needles = {str(i) for s in submissions for i in _uuids(s.event.model_dump())}
    needles |= set(ids["identifiers"])  # type: ignore[arg-type]
    needles |= {i for s in extra for p in s.people.values() for i in p.identifiers()}
    assert set(ids["cases"]) <= needles and set(ids["subjects"]) <= needles  # type: ignore[arg-type]
    assert len(ids["identifiers"]) > 20  # type: ignore[arg-type]
    yield system, needles
    system.close()


def _forms(needle: str) -> list[bytes]:
    """How an identifier could sit in a file: as text, and a UUID also as hex or 16 bytes."""
    found = [needle.encode()]
    try:
        as_uuid = uuid.UUID(needle)
    except ValueError:
        return found
    return [*found, as_uuid.hex.encode(), as_uuid.bytes]


def _hits(haystack: bytes, needles: set[str]) -> list[str]:
    return sorted(n for n in needles if any(form in haystack for form in _forms(n)))


def _rebuild_aggregate(system: Platform) -> None:
    runner = system.runner(system.projections()["aggregate"])
    runner.reset()
    ends = system.bus.end_offsets(partitions_of(system.bus, runner.projection.topics))
    runner.run_until(ends, publish=False)
    runner.close()


def _every_export(system: Platform) -> str:
    """Every indicator by every common dimension pair, in every format, threshold 1 included."""
    out = []
    for name, found in INDICATORS.items():
        period = "year" if found.kind == "distinct" else "month"
        for by in (("municipality", period), ("sex", "year"), ("violence_type", "year")):
            for threshold in (1, 5):
                published = release(system, ReleaseRequest(name, by, threshold=threshold))
                console = Console(file=io.StringIO(), width=200)
                console.print(render_table(published))
                out += [render_json(published), render_csv(published), console.file.getvalue()]  # type: ignore[attr-defined]
    return "\n".join(out)


def test_nothing_identifying_in_the_database_exports_or_logs(
    simulated: tuple[Platform, set[str]], caplog: pytest.LogCaptureFixture
) -> None:
    system, needles = simulated
    # A record the aggregate cannot use must be noted without its content: an event of a case
    # the aggregate never saw (its case id is a needle too) and bytes that are no event.
    stray_case = uuid.uuid4()
    needles.add(str(stray_case))
    stray = next(s for s in region()[0][0] if s.event_type == "RiskAssessed")
    body = stray.event.to_avro()
    body["header"]["case_id"] = str(stray_case)
    body["header"]["event_id"] = str(uuid.uuid4())
    needles.add(body["header"]["event_id"])
    system.bus.publish(CASE_EVENTS, str(stray_case).encode(),
                       system.codec.encode("RiskAssessed", body))  # fmt: skip
    system.bus.publish(CASE_EVENTS, str(stray_case).encode(), b"not an event " + stray_case.bytes)
    system.bus.flush()

    with caplog.at_level(logging.DEBUG):
        _rebuild_aggregate(system)
        exports = _every_export(system)

    with system.aggregate_engine.connect() as conn:
        assert len(conn.execute(select(failures)).all()) == 2  # noted, and the consumer went on
        assert len(conn.execute(select(agg_cases)).all()) == 9
    database = Path(system.settings.resolved_aggregate_url.removeprefix("sqlite:///"))
    files = sorted(database.parent.glob(database.name + "*"))  # the db, its -wal and -shm
    assert database in files
    stored = b"".join(f.read_bytes() for f in files)
    logs = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
    )  # fmt: skip
    assert any("cannot apply" in r.getMessage() for r in caplog.records)

    assert _hits(stored, needles) == []
    assert _hits(exports.encode(), needles) == []
    assert _hits(logs.encode(), needles) == []
    key = load_key(system.settings)
    assert key not in stored and key.hex().encode() not in stored


def _indicators(system: Platform) -> dict[tuple[str, tuple[str, ...]], Any]:
    found = {}
    for name, indicator in INDICATORS.items():
        fine = ("year", "year") if indicator.kind == "distinct" else ("month", "quarter")
        for by in (("municipality", fine[0]), ("year",), ("sex", fine[1])):
            found[(name, by)] = release(system, ReleaseRequest(name, by, threshold=1)).rows
    return found


def test_rotating_the_key_by_epoch_changes_pseudonyms_not_indicators(
    simulated: tuple[Platform, set[str]], tmp_path: Path
) -> None:
    system, _ = simulated
    _rebuild_aggregate(system)
    yearly = _indicators(system)
    rotated = Platform(
        Settings(
            data_dir=system.settings.data_dir,
            bus_url=system.settings.bus_url,
            aggregate_url=f"sqlite:///{tmp_path / 'monthly.db'}",
            pseudonym_epoch="month",
            pseudonym_key_file=tmp_path / "other.key",
            disclosure_threshold=1,
        ),
        session_timeout_ms=TEST_SESSION_TIMEOUT_MS,
    )
    try:
        _rebuild_aggregate(rotated)
        monthly = _indicators(rotated)
        # A person is one pseudonym within an epoch: distinct people (released by year) are
        # not comparable across epochs of a month; every other indicator is equal.
        coarse = {k for k in yearly if k[0].startswith("distinct_")}
        assert {k: v for k, v in monthly.items() if k not in coarse} == {
            k: v for k, v in yearly.items() if k not in coarse
        }
        assert len(coarse) == 6
        with system.aggregate_engine.connect() as conn:
            before = set(conn.execute(select(subjects.c.subject_ps)).scalars())
        with rotated.aggregate_engine.connect() as conn:
            after = set(conn.execute(select(subjects.c.subject_ps)).scalars())
            repeats = conn.execute(select(agg_cases.c.repeat)).scalars().all()
        assert before and after and not before & after
        # A's victim came back in March: in monthly epochs her two pseudonyms differ, and the
        # repeat is still found (the one deliberate 12-month look across epochs).
        assert len(after) == len(before) + 1
        assert sum(repeats) == 1
    finally:
        rotated.close()


@pytest.mark.postgres
def test_the_aggregate_on_postgresql_gives_the_same_release(
    simulated: tuple[Platform, set[str]], postgres_url: str
) -> None:
    system, _ = simulated
    _rebuild_aggregate(system)
    on_sqlite = _indicators(system)
    on_postgres = Platform(
        Settings(
            data_dir=system.settings.data_dir,  # the same key file, so the same pseudonyms
            bus_url=system.settings.bus_url,
            aggregate_url=postgres_url,
            disclosure_threshold=1,
        ),
        session_timeout_ms=TEST_SESSION_TIMEOUT_MS,
    )
    try:
        _rebuild_aggregate(on_postgres)
        assert _indicators(on_postgres) == on_sqlite
    finally:
        on_postgres.close()
