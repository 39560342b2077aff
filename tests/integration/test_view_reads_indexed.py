"""What an institution reads goes through an index, after a rebuild as after a live run.

The views hold every event of the region (``view_timeline``: ~6 million rows for a decade), and
the API reads them one institution or one case at a time. Each query ``consumers.queries`` runs is
captured as it runs and asked for SQLite's plan: none may scan a whole table. A rebuild drops the
indexes only readers use and builds them once at its end
(``services.platform.sql.reader_index``); they are there when it ends, and when it fails too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, inspect, select, text

from consumers import queries
from consumers.views import ALL_TABLES, participants, referrals
from services.bench.sample_events import EventSet
from services.bench.workspace import append_case_log
from services.bootstrap import Platform
from services.operations import replay as rebuild_module
from services.operations.replay import rebuild
from services.platform.settings import Settings
from services.platform.sql import reader_indexes
from tests.support.brokers import TEST_SESSION_TIMEOUT_MS
from tests.support.sql_plans import plans_of


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """Views rebuilt from a simulated log (the rebuild reports its index build)."""
    system = Platform(
        Settings(data_dir=tmp_path_factory.mktemp("views")),  # type: ignore[call-arg]
        TEST_SESSION_TIMEOUT_MS,
    )
    append_case_log(system.bus, EventSet.build(1500, seed=5, codec=system.codec))
    timings: dict[str, float] = {}
    rebuild(system, ["views"], lambda _name, _n: None, workers=1, timings=timings)
    assert "indexes" in timings
    yield system
    system.close()


def index_names(engine: Engine) -> set[str]:
    found = inspect(engine)
    return {i["name"] for t in ALL_TABLES for i in found.get_indexes(t.name) if i["name"]}


def test_every_index_the_readers_use_exists_after_a_rebuild(rebuilt: Platform) -> None:
    wanted = {index.name for index in reader_indexes(ALL_TABLES)}
    assert {"view_timeline_case", "view_participants_institution"} <= wanted
    assert wanted <= index_names(rebuilt.views_engine)


def test_a_failed_rebuild_still_leaves_the_readers_indexes(
    rebuilt: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("stopped halfway")

    monkeypatch.setattr(rebuild_module, "_rebuild_share", fail)
    with pytest.raises(RuntimeError, match="stopped halfway"):
        rebuild(rebuilt, ["views"], lambda _name, _n: None, workers=1)
    wanted = {index.name for index in reader_indexes(ALL_TABLES)}
    assert wanted <= index_names(rebuilt.views_engine)
    monkeypatch.undo()
    rebuild(rebuilt, ["views"], lambda _name, _n: None, workers=1)  # the next test reads these


def test_no_read_of_an_institution_or_a_case_scans_a_table(rebuilt: Platform) -> None:
    with rebuilt.views_engine.connect() as conn:
        institution, case_id = conn.execute(
            select(referrals.c.recipient, referrals.c.case_id).limit(1)
        ).one()
        sender = conn.execute(select(referrals.c.sender).limit(1)).scalar_one()
        assert conn.execute(text("SELECT count(*) FROM view_timeline")).scalar_one() >= 1500
        taking_part = conn.execute(
            select(participants.c.institution).where(participants.c.case_id == case_id).limit(1)
        ).scalar_one()
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    reads: dict[str, Callable[[Connection], object]] = {
        "cases": lambda c: queries.cases_for(c, institution),
        "open cases": lambda c: queries.cases_for(c, institution, status="open"),
        "one case": lambda c: queries.case_view(c, taking_part, case_id),
        "timeline": lambda c: queries.case_timeline(c, taking_part, case_id),
        "received": lambda c: queries.referrals_for(c, institution),
        "overdue": lambda c: queries.referrals_for(c, institution, overdue_at=now),
        "sent": lambda c: queries.referrals_for(c, sender, direction="sent"),
        "plan measures": lambda c: queries.plan_measures_for(c, institution),
    }
    for name, read in reads.items():
        for _statement, plan in plans_of(rebuilt.views_engine, read):
            assert "SCAN view_" not in plan, f"{name}: {plan}"


def test_a_live_store_from_before_the_indexes_gets_them_when_its_runner_starts(
    tmp_path: Path,
) -> None:
    system = Platform(Settings(data_dir=tmp_path), TEST_SESSION_TIMEOUT_MS)  # type: ignore[call-arg]
    projection = system.projections()["views"]
    system.runner(projection).close()
    with system.views_engine.begin() as tx:
        for index in reader_indexes(ALL_TABLES):
            index.drop(tx)
    assert not {i.name for i in reader_indexes(ALL_TABLES)} & index_names(system.views_engine)
    system.runner(projection).close()
    assert {i.name for i in reader_indexes(ALL_TABLES)} <= index_names(system.views_engine)
    system.close()
