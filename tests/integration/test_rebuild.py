"""Rebuilding from the log (``povezimo replay``) ends with the rows the live runners build.

A rebuild reads each record once for every projection, holds rows in memory from chunk to chunk
and writes them a chunk at a time, with several processes on different partitions. The log here is
the simulated network's (victims reported again in other cases, so repeat victimisation crosses
partitions), with what a real log can hold besides: a copy of an event the exchange appended twice,
bytes that do not decode, and an event a projection cannot apply.
"""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from consumers.aggregate_tables import cases as agg_cases
from consumers.aggregate_tables import failures as agg_failures
from consumers.event_projection import EventProjection
from consumers.pipeline import partitions_of
from consumers.rebuilder import Rebuilder
from consumers.runner import failures_table
from schemas.topics import CASE_EVENTS
from services.bench.sample_events import EventSet
from services.bench.workspace import append_case_log
from services.bootstrap import Platform
from services.operations.replay import ShareDone, _process_context, rebuild, shares_of
from services.platform.memory import memory_map_mb, proportional_mb
from services.platform.settings import Settings
from tests.support.brokers import TEST_SESSION_TIMEOUT_MS, postgres_available, postgres_schema
from tests.support.checksums import checksums
from tests.support.pipeline import pipeline_of

PROJECTIONS = ["views", "inbox", "deadlines", "aggregate"]
KEY = "a pseudonym key the three stores share"


class Stopped(Exception):
    """A rebuild interrupted halfway (a crash, an operator's Ctrl-C)."""


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A case-events log on a SQLite bus, with its registry: the settings every run shares."""
    root = tmp_path_factory.mktemp("rebuild")
    shared = {
        "bus_url": f"sqlite:///{root / 'bus.db'}",
        "registry_url": f"sqlite:///{root / 'registry.db'}",
        "pseudonym_key": KEY,
    }
    system = platform(root / "writer", shared)
    events = EventSet.build(3000, seed=11, codec=system.codec)
    append_case_log(system.bus, events)
    odd_ones(system, events)
    system.close()
    return shared


def place_of(system: Platform, value: bytes) -> tuple[int, int]:
    """(partition, offset) of the record holding ``value`` (the test's own SQLite log)."""
    for tp in partitions_of(system.bus, [CASE_EVENTS]):
        for record in system.bus.read(tp, 0, 10_000):  # type: ignore[attr-defined]
            if record.value == value:
                return record.partition, record.offset
    raise LookupError("not on the log")


def odd_ones(system: Platform, events: EventSet) -> None:
    """Append a copy of an earlier event, bytes that do not decode, and a second registration of
    a subject already registered in its case (the views refuse it; the others take it)."""
    codec = system.codec
    registration = next(
        i for i, kind in enumerate(events.event_types) if kind == "SubjectRegistered"
    )
    decoded = codec.decode(events.values[registration]).record
    header = {**decoded["header"], "event_id": uuid.uuid4()}
    again = codec.encode("SubjectRegistered", {**decoded, "header": header})
    key = events.keys[registration]
    with system.bus.batch():
        system.bus.publish(CASE_EVENTS, events.keys[100], events.values[100])
        system.bus.publish(CASE_EVENTS, key, UNDECODABLE)
        system.bus.publish(CASE_EVENTS, key, again)
    system.bus.flush()
    ODD["undecodable"] = place_of(system, UNDECODABLE)
    ODD["refused"] = place_of(system, again)


UNDECODABLE = b"\x00\x00\x00\x00\x01not avro at all"
ODD: dict[str, tuple[int, int]] = {}


def platform(data_dir: Path, shared: dict[str, str]) -> Platform:
    return Platform(Settings(data_dir=data_dir, **shared), TEST_SESSION_TIMEOUT_MS)  # type: ignore[arg-type]


def outcome(system: Platform) -> dict[str, Any]:
    """Every projection's tables, and where each noted a record it could not apply."""
    found: dict[str, Any] = {}
    for name in PROJECTIONS:
        projection = system.projections()[name]
        engine: Engine = system.engine_for(projection)
        found |= {f"{name}.{t}": c for t, c in checksums(engine, projection.tables).items()}
    with system.views_engine.connect() as conn:
        found["failures"] = sorted(
            tuple(r)
            for r in conn.execute(
                select(
                    failures_table.c.projection, failures_table.c.partition, failures_table.c.offset
                ).where(failures_table.c.projection.in_(PROJECTIONS))
            )
        )
    with system.aggregate_engine.connect() as conn:
        found["aggregate failures"] = sorted(
            tuple(r) for r in conn.execute(select(agg_failures.c.partition, agg_failures.c.offset))
        )
    return found


def live_run(data_dir: Path, shared: dict[str, str]) -> dict[str, Any]:
    system = platform(data_dir, shared)
    pipeline = pipeline_of(system, PROJECTIONS)
    pipeline.drain(timeout=300)
    pipeline.close()
    found = outcome(system)
    with system.aggregate_engine.connect() as conn:
        repeats = conn.execute(select(agg_cases.c.case_ps).where(agg_cases.c.repeat)).all()
    assert repeats, "the log names no victim twice: repeats across partitions go untested"
    system.close()
    return found


@pytest.fixture(scope="module")
def live(log: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return live_run(tmp_path_factory.mktemp("live"), log)


@pytest.mark.parametrize("workers", [1, 3])
def test_a_rebuild_ends_with_the_rows_the_live_runners_build(
    log: dict[str, str], live: dict[str, Any], tmp_path: Path, workers: int
) -> None:
    system = platform(tmp_path, log)
    rebuilt = rebuild(system, PROJECTIONS, lambda _name, _n: None, workers=workers)
    found = outcome(system)
    system.close()

    assert {r.name: r.events for r in rebuilt} == dict.fromkeys(PROJECTIONS, 3003)
    assert found == live
    # Every event once: the copy dropped by its id, the refused registration left out.
    assert found["views.view_timeline"].startswith("3000:")
    # The views refused the second registration; every projection noted the undecodable bytes.
    noted = {(projection, partition, offset) for projection, partition, offset in found["failures"]}
    assert noted == {
        ("views", *ODD["refused"]),
        *((name, *ODD["undecodable"]) for name in ("views", "inbox", "deadlines")),
    }
    assert found["aggregate failures"] == [ODD["undecodable"]]


def test_rebuild_processes_share_the_imports_of_their_fork_server(
    log: dict[str, str], tmp_path: Path
) -> None:
    """The processes are forked from one server that imported the rebuild: the pages of those
    imports are shared, so what each holds of its own (PSS) is less than its resident size,
    and the server itself is counted once."""
    if proportional_mb() is None:
        pytest.skip("the kernel reports no PSS here (/proc/self/smaps_rollup)")
    system = platform(tmp_path, log)
    done: list[ShareDone] = []
    rebuild(system, PROJECTIONS, lambda _name, _n: None, workers=3, done=done)
    system.close()

    assert len(done) == 3
    assert all(0 < d.peak_pss_mb < d.peak_rss_mb for d in done)
    assert all(d.parent_pss_mb > 0 for d in done)
    together = sum(d.peak_pss_mb for d in done) + done[0].parent_pss_mb
    assert together < sum(d.peak_rss_mb for d in done)


def _private_dirty_mb() -> float:
    found = memory_map_mb("Private_Dirty")
    assert found is not None, "no Private_Dirty in /proc/self/smaps_rollup"
    return found


def _collect_everything(answers: multiprocessing.Queue[tuple[int, float]]) -> None:
    """In a rebuild process: what a full collection copies of the fork server's pages."""
    before = _private_dirty_mb()
    gc.collect()
    answers.put((gc.get_freeze_count(), _private_dirty_mb() - before))


def test_a_full_collection_in_a_rebuild_process_leaves_the_imports_shared() -> None:
    """A long rebuild runs full collections; one that examined the imports' objects would copy
    their pages into each process (about 30 MB each here). The fork server freezes them."""
    if proportional_mb() is None:
        pytest.skip("the kernel reports no memory map here (/proc/self/smaps_rollup)")
    context = _process_context()
    if context.get_start_method() != "forkserver":
        pytest.skip("no fork server on this platform: each process imports for itself")
    answers = context.Queue()
    process = context.Process(target=_collect_everything, args=(answers,))
    process.start()
    frozen, copied_mb = answers.get(timeout=60)
    process.join(10)

    assert frozen > 10_000  # the objects of the rebuild's imports
    assert copied_mb < 8


@pytest.mark.parametrize("rows_in_memory", [25_000, 40])
def test_small_chunks_written_every_few_give_the_same_rows(
    log: dict[str, str], live: dict[str, Any], tmp_path: Path, rows_in_memory: int
) -> None:
    """Chunks staged one after another and written together, with a failing event and bytes
    that do not decode among them: the write that redoes them decodes its chunks again. With a
    budget of a few dozen rows, every write ages the rows (cases come back from the old
    generation or from the database, groups whole), and the rows are the same."""
    system = platform(tmp_path, log)
    for name in PROJECTIONS:
        system.runner(system.projections()[name]).reset()
    projections = [p for p in map(system.projections().get, PROJECTIONS) if p is not None]
    rebuilder = Rebuilder(
        [p for p in projections if isinstance(p, EventProjection)],
        system.engine_for,
        system.bus,
        system.codec,
        chunk_events=300,
        write_events=900,
        rows_in_memory=rows_in_memory,
    )
    (share,) = shares_of(system, workers=1)
    assert rebuilder.run(share, "rebuild.small") == 3003
    found = outcome(system)
    system.close()
    assert found == live


@pytest.mark.postgres
def test_a_rebuild_into_postgresql_ends_with_the_same_rows(
    log: dict[str, str], live: dict[str, Any], tmp_path: Path
) -> None:
    """The production engine: several processes writing one PostgreSQL database (repeat
    victimisation judged under the advisory lock, writers taking turns), rows added by COPY."""
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    with postgres_schema() as views, postgres_schema() as aggregate:
        system = platform(tmp_path, {**log, "views_url": views, "aggregate_url": aggregate})
        rebuild(system, PROJECTIONS, lambda _name, _n: None, workers=3)
        found = outcome(system)
        system.close()
    assert found == live


def test_a_rebuild_stopped_halfway_is_finished_by_the_live_runners(
    log: dict[str, str], live: dict[str, Any], tmp_path: Path
) -> None:
    """Rows and offsets are written together chunk by chunk, so what a stopped rebuild leaves is
    a consistent place for the live runners to go on from."""
    system = platform(tmp_path, log)
    for name in PROJECTIONS:
        system.runner(system.projections()[name]).reset()
    projections = [system.projections()[n] for n in PROJECTIONS]
    assert all(isinstance(p, EventProjection) for p in projections)
    rebuilder = Rebuilder(
        [p for p in projections if isinstance(p, EventProjection)],
        system.engine_for,
        system.bus,
        system.codec,
        chunk_events=400,
        write_events=800,  # two chunks staged, then written together
    )
    writes: list[int] = []

    def stop_after_two_writes(count: int) -> None:
        writes.append(count)
        if len(writes) == 2:
            raise Stopped

    (share,) = shares_of(system, workers=1)
    with pytest.raises(Stopped):
        rebuilder.run(share, "rebuild.stopped", stop_after_two_writes)
    system.close()

    assert live_run(tmp_path, log) == live
    assert writes == [800, 800]


def test_a_share_covers_the_partitions_it_owns_up_to_their_ends(log: dict[str, str]) -> None:
    system = platform(Path(log["bus_url"][len("sqlite:///") :]).parent / "shares", log)
    partitions = partitions_of(system.bus, [CASE_EVENTS])
    shares = shares_of(system, workers=2)
    system.close()
    owned = [tp for share in shares for tp in share.partitions]
    assert sorted(owned) == sorted(partitions)
    assert sum(s.events for s in shares) == 3003
    assert all(dataclasses.replace(s).ends == shares[0].ends for s in shares)
