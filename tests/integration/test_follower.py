"""The demo's second process: projections follow the bus there until told to finish, and what
they log and apply comes back to the parent."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from consumers.runner import failures_table
from consumers.views import timeline
from schemas.topics import CASE_EVENTS
from services.operations.follower import FollowerProcess
from tests.reliability.support import scripted_cases
from tests.support.pipeline import pipeline_of, platform_for, submit


def test_the_follower_applies_everything_and_its_logs_reach_the_parent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    platform = platform_for(tmp_path / "data")
    (case,) = scripted_cases(platform, 1)
    opening = case.submissions[:3]
    submit(platform, opening)
    exchange = pipeline_of(platform, ["exchange"])
    exchange.drain()
    platform.bus.publish(CASE_EVENTS, b"case-x", b"not an event")  # one the views cannot apply
    platform.bus.flush()

    caplog.set_level(logging.ERROR)
    follower = FollowerProcess(platform.settings, ["views"], platform.session_timeout_ms).start()
    follower.finish(timeout=120)

    assert follower.applied() == len(opening) + 1  # every record read, the bad one included
    with platform.views_engine.connect() as conn:
        shown = conn.execute(select(func.count()).select_from(timeline)).scalar_one()
        kept = conn.execute(select(failures_table.c.error)).scalars().all()
    assert shown == len(opening)
    assert len(kept) == 1 and kept[0].startswith("DecodeError")
    relayed = [r for r in caplog.records if r.name == "consumers.runner"]
    assert any("views: cannot apply case-events/" in r.getMessage() for r in relayed)
    exchange.close()
    platform.close()


def test_settle_returns_once_everything_written_before_it_is_applied(tmp_path: Path) -> None:
    platform = platform_for(tmp_path / "data")
    (case,) = scripted_cases(platform, 1)
    exchange = pipeline_of(platform, ["exchange"])
    follower = FollowerProcess(platform.settings, ["views"], platform.session_timeout_ms).start()
    try:
        shown = []
        for part in (case.submissions[:2], case.submissions[2:4]):
            submit(platform, part)
            exchange.drain()
            follower.settle(timeout=120)
            with platform.views_engine.connect() as conn:
                shown.append(conn.execute(select(func.count()).select_from(timeline)).scalar_one())
        assert shown == [2, 4]  # each settle saw what the exchange had accepted before it
        assert follower.applied() == 4
    finally:
        follower.finish(timeout=120)
        exchange.close()
        platform.close()
