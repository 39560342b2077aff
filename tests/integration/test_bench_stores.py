"""``povezimo bench --database``: the replay with every projection's store in PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from consumers import aggregate_tables, views
from services.bench.databases import is_postgresql, projection_stores
from services.bench.replay import replay_all
from services.bench.sample_events import EventSet
from services.bench.workspace import Workspace, append_case_log, platform_of
from tests.support.brokers import POSTGRES_URL, postgres_available

EVENTS = 400


def bench_schemas() -> set[str]:
    engine = create_engine(POSTGRES_URL)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT schema_name FROM information_schema.schemata")).scalars()
        schemas = {name for name in found if name.startswith("povezimo_bench_")}
    engine.dispose()
    return schemas


def test_only_a_postgresql_url_names_the_stores_database() -> None:
    assert is_postgresql("postgresql://127.0.0.1:5432/test")
    assert is_postgresql("postgresql+psycopg://postgres@127.0.0.1/test")
    assert not is_postgresql("sqlite:///views.db")
    with pytest.raises(ValueError, match="postgresql"), projection_stores("sqlite:///x.db"):
        pass


@pytest.mark.postgres
def test_the_replay_writes_every_store_to_fresh_schemas_that_are_dropped_after(
    tmp_path: Path,
) -> None:
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    workspace = Workspace(tmp_path)
    settings = workspace.settings("replay", None)
    system = platform_of(settings)
    append_case_log(system.bus, EventSet.build(EVENTS, seed=5, codec=workspace.codec))
    system.close()
    before = bench_schemas()

    with projection_stores(POSTGRES_URL) as urls:
        assert set(urls) == {"views_url", "aggregate_url"}
        assert len(bench_schemas() - before) == 2  # one each: the aggregate never shares
        run = replay_all("sqlite", settings | urls, EVENTS, workers=1)
        stores = platform_of(settings | urls)
        with stores.views_engine.connect() as conn:
            cases = conn.execute(select(func.count()).select_from(views.cases)).scalar_one()
        with stores.aggregate_engine.connect() as conn:
            counted = conn.execute(
                select(func.count()).select_from(aggregate_tables.cases)
            ).scalar_one()
        assert {stores.views_engine.dialect.name, stores.aggregate_engine.dialect.name} == {
            "postgresql"
        }
        stores.close()

    assert run.events == EVENTS and cases > 0 and counted > 0
    assert not (Path(settings["data_dir"]) / "views.db").exists()  # nothing went to SQLite
    assert bench_schemas() == before  # both schemas dropped


@pytest.mark.postgres
def test_the_schemas_are_dropped_when_the_run_fails() -> None:
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    before = bench_schemas()
    with pytest.raises(RuntimeError, match="stopped"), projection_stores(POSTGRES_URL):
        raise RuntimeError("stopped")
    assert bench_schemas() == before
