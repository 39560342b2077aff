"""A simulated stretch of the seed network through the SDK and the exchange: every ordinary
submission is accepted, every deliberately wrong one is refused with the code it was made for."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from consumers.exchange import submissions_table
from consumers.views import referrals, timeline
from producers.simulator import simulate
from schemas.institutions import InstitutionRegistry
from services.demo.run import run_network
from services.operations.topology import topics
from tests.support.pipeline import platform_for

START = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


def test_every_ordinary_submission_is_accepted_and_every_bad_one_refused(tmp_path: Path) -> None:
    platform = platform_for(tmp_path)
    simulation = simulate(21, start=START, months=2, scale=0.12, vault=platform.vault)
    assert simulation.deliberate, "the sample must hold deliberately wrong submissions"
    try:
        run_network(platform, simulation)
        with platform.exchange_engine.connect() as conn:
            decided = {
                row.event_id: (row.status, row.code)
                for row in conn.execute(select(submissions_table))
            }
        with platform.views_engine.connect() as conn:
            shown = conn.execute(select(func.count()).select_from(timeline)).scalar_one()
            expired = conn.execute(
                select(func.count()).where(referrals.c.status == "expired")
            ).scalar_one()
        used = platform.bus.list_topics()
    finally:
        platform.close()
    # The platform expires only referrals left unanswered: none of its expiries comes too late.
    platform_refused = [outcome for outcome in decided.values() if outcome[0] == "rejected"]
    assert len(platform_refused) == len(simulation.deliberate)
    for case in simulation.cases:
        for submission in case.submissions:
            outcome = decided[str(submission.event_id)]
            expected = simulation.deliberate.get(submission.event_id)
            if expected is None:
                assert outcome == ("accepted", None), (submission.event_type, outcome)
            else:
                assert outcome == ("rejected", expected), submission.event_type
    ordinary = simulation.event_count - len(simulation.deliberate)
    # Production defines every topic the running code used (deploy/ cannot drift from the code).
    assert used <= {t.name for t in topics(InstitutionRegistry.default())}
    # Views show every accepted event once, plus the platform's expiries of unanswered referrals.
    assert shown == ordinary + expired
