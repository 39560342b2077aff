"""A projection whose definition changed is rebuilt at start beside the old one, which serves.

``povezimo serve``'s pipeline finds the views stored by another version (here: the code version
raised, as a change to what the projection writes does), rebuilds them from offset 0 into a new
SQLite file or PostgreSQL schema while ``/v1/cases`` keeps answering from the old tables, and
switches in one transaction: a reader sees the old answer or the new one, never a table half
built.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, inspect, select

from consumers import views
from consumers.blue_green import build_place, rebuild_if_changed
from consumers.lease import leases_table
from consumers.pipeline import partitions_of
from consumers.runner import projection_version, version_changed
from consumers.versions import stored_version
from schemas.topics import CASE_EVENTS
from services.api.app import create_app
from services.api.background import BackgroundPipeline
from services.api.tokens import Role, TokenStore
from services.bench.sample_events import EventSet
from services.bench.workspace import append_case_log
from services.bootstrap import Platform
from services.operations.replay import rebuild_online
from services.platform.settings import Settings
from tests.support.brokers import TEST_SESSION_TIMEOUT_MS, postgres_schema
from tests.support.checksums import checksums

NOW = dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC)
HIDDEN = 10  # cases the old version's rows leave out for the institution (what tells them apart)


def _platform(settings: Settings) -> Platform:
    return Platform(settings, session_timeout_ms=TEST_SESSION_TIMEOUT_MS)


def _views_built_by_the_previous_version(system: Platform) -> tuple[str, int]:
    """The views of the whole log, then changed so that the old rows are recognisable: the
    busiest institution's list lacks ``HIDDEN`` cases. Returns it and its full count."""
    runner = system.runner(system.projections()["views"])
    runner.run_until(system.bus.end_offsets(partitions_of(system.bus, [CASE_EVENTS])))
    runner.close()
    p = views.participants
    with system.views_engine.begin() as tx:
        institution, count = tx.execute(
            select(p.c.institution, func.count(func.distinct(p.c.case_id)))
            .group_by(p.c.institution)
            .order_by(func.count(func.distinct(p.c.case_id)).desc())
            .limit(1)
        ).one()
        hidden = tx.execute(
            select(p.c.case_id).where(p.c.institution == institution).distinct().limit(HIDDEN)
        ).scalars()
        tx.execute(
            delete(p).where(p.c.institution == institution).where(p.c.case_id.in_(list(hidden)))
        )
    return institution, count


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The log on the embedded bus; the views in a SQLite file, or in a PostgreSQL schema."""
    views_url = None
    if request.param == "postgresql":
        views_url = str(request.getfixturevalue("postgres_url"))
    settings = Settings(data_dir=tmp_path / "data", views_url=views_url)
    system = _platform(settings)
    append_case_log(system.bus, EventSet.build(4000, seed=5, codec=system.codec))
    system.close()
    return settings


@pytest.fixture
def other_postgres_url() -> Iterator[str]:
    """A second PostgreSQL schema, for the rows a clean run builds."""
    with postgres_schema() as url:
        yield url


def test_views_of_another_version_rebuild_at_start_while_cases_keep_answering(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = _platform(settings)
    institution, everything = _views_built_by_the_previous_version(system)
    secret = TokenStore(system.views_engine).issue(institution, Role.INSTITUTION, now=NOW).secret

    # The new release: what the views write changed (its code version rose). Its batches are
    # slowed down so that the rebuild lasts long enough for readers to come meanwhile.
    monkeypatch.setattr(views.InstitutionViews, "code_version", 2)
    apply_batch = views.InstitutionViews.apply_batch

    def slowly(self: views.InstitutionViews, *args: Any) -> None:
        time.sleep(0.2)
        apply_batch(self, *args)

    monkeypatch.setattr(views.InstitutionViews, "apply_batch", slowly)
    new_version = projection_version(system.projections()["views"])
    assert version_changed(system.projections()["views"], system.views_engine)
    place = build_place(system.views_engine, "views", new_version[:12])

    def building() -> bool:  # the new file, or the new schema, is there
        if place.file is not None:
            return place.file.exists()
        with system.views_engine.connect() as conn:
            return "pvz_build_" in " ".join(inspect(conn).get_schema_names())

    background = BackgroundPipeline(settings, session_timeout_ms=TEST_SESSION_TIMEOUT_MS)
    answers: list[tuple[int, bool]] = []  # (cases listed, whether the new one was being built)
    with TestClient(create_app(system, background=background)) as client:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            was_building = building()
            reply = client.get("/v1/cases", headers={"Authorization": f"Bearer {secret}"})
            assert reply.status_code == 200, reply.text
            answers.append((len(reply.json()), was_building))
            if answers[-1][0] == everything and not building():
                break
    counts = [count for count, _ in answers]
    # Only ever the old answer or the new one: no reader saw a table half built.
    assert set(counts) <= {everything - HIDDEN, everything}
    # The old tables answered while the new ones were being built, then the new ones.
    assert (everything - HIDDEN, True) in answers
    assert counts[-1] == everything
    with system.views_engine.connect() as conn:
        assert stored_version(conn, "views") == new_version
    assert not building()
    system.close()


def test_a_current_version_is_left_alone(settings: Settings) -> None:
    system = _platform(settings)
    runner = system.runner(system.projections()["views"])
    runner.run_until(system.bus.end_offsets(partitions_of(system.bus, [CASE_EVENTS])))
    assert not rebuild_if_changed(runner)
    runner.close()
    system.close()


def test_a_store_from_before_versions_is_adopted(tmp_path: Path) -> None:
    system = _platform(Settings(data_dir=tmp_path))
    engine: Engine = system.views_engine
    views.metadata.create_all(engine)  # as the release before versions made them
    runner = system.runner(system.projections()["views"])
    with engine.connect() as conn:
        assert stored_version(conn, "views") == projection_version(runner.projection)
    runner.close()
    system.close()


@pytest.mark.parametrize(
    "engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_replay_online_switches_under_a_live_runner_that_goes_on_from_the_new_offsets(
    request: pytest.FixtureRequest, tmp_path: Path, engine: str
) -> None:
    """``povezimo replay --projection views`` while ``serve``'s runner holds the lease and events
    keep coming: after the switch the live runner stands by, takes the lease again and applies
    what came since from the switched offsets, ending with the rows a clean run builds."""
    shared = {"bus_url": f"sqlite:///{tmp_path / 'bus.db'}"}
    views_url, clean_url = None, None
    if engine == "postgresql":
        views_url = str(request.getfixturevalue("postgres_url"))
        clean_url = request.getfixturevalue("other_postgres_url")
    settings = Settings(
        data_dir=tmp_path / "data",
        lease_ms=2000,
        views_url=views_url,
        **shared,  # type: ignore[arg-type]
    )
    # Three platforms, as three processes would have: serve's runner, a producer, the replay.
    serve, producer, system = _platform(settings), _platform(settings), _platform(settings)
    append_case_log(system.bus, EventSet.build(2000, seed=7, codec=system.codec))
    live = serve.runner(serve.projections()["views"])
    stop = threading.Event()
    serving = threading.Thread(target=live.run, args=(stop.is_set,), daemon=True)
    serving.start()
    more = EventSet.build(1500, seed=8, codec=producer.codec)
    arriving = threading.Thread(target=append_case_log, args=(producer.bus, more), daemon=True)
    arriving.start()  # events keep coming while the replay builds and switches

    rebuilt = rebuild_online(system, ["views"], lambda _name, _n: None, workers=1)

    arriving.join()
    # And after the switch: the live runner applies them to the new tables.
    append_case_log(producer.bus, EventSet.build(500, seed=9, codec=producer.codec))
    ends = system.bus.end_offsets(partitions_of(system.bus, [CASE_EVENTS]))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        # What the database holds, not what the live runner remembers committing before.
        stored = live.stored_offsets({CASE_EVENTS})
        with system.views_engine.connect() as conn:
            epoch = conn.execute(
                select(leases_table.c.epoch).where(leases_table.c.projection == "views")
            ).scalar_one()
        if epoch == 3 and all(stored.get(tp, 0) >= end for tp, end in ends.items()):
            break
        time.sleep(0.1)
    stop.set()
    serving.join(10)
    live.close()
    assert rebuilt and rebuilt[0].name == "views"
    # The switch took the lease: the live runner stood by and took it again (epoch 1, 2, 3).
    assert epoch == 3

    clean = _platform(
        Settings(data_dir=tmp_path / "clean", views_url=clean_url, **shared)  # type: ignore[arg-type]
    )
    reference = clean.runner(clean.projections()["views"])
    reference.run_until(ends)
    reference.close()
    tables = system.projections()["views"].tables
    assert checksums(system.views_engine, tables) == checksums(clean.views_engine, tables)
    assert not list((tmp_path / "data").glob("*.build.db"))
    clean.close()
    for platform in (serve, producer, system):
        platform.close()
