"""A case that runs across New Year, and a victim who comes back in the new year.

With yearly pseudonym epochs the case keeps the pseudonym of the year it was opened in (its
January events find it by looking back), and the victim's return in February is still a repeat:
the aggregate looks back 12 months across the epoch on purpose, while her two cases store two
unrelated pseudonyms.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from sqlalchemy import select

from consumers.aggregate_tables import cases, clocks, failures, referrals, subjects
from producers.scenario import CaseScript, _coordination_path, urgent_measure_path
from services.bootstrap import Platform
from services.platform.settings import Settings
from tests.support.brokers import TEST_SESSION_TIMEOUT_MS
from tests.support.pipeline import pipeline_of, submit_in_order


def test_a_case_across_new_year_and_a_repeat_across_epochs(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", bus_url=f"sqlite:///{tmp_path / 'bus.db'}")
    system = Platform(settings, session_timeout_ms=TEST_SESSION_TIMEOUT_MS)
    first = CaseScript(random.Random(91), "kragujevac", system.vault)
    # Opened on 31 December: the extension, referral and conference happen in January.
    _coordination_path(
        first, urgent_measure_path(first, dt.datetime(2025, 12, 31, 8, tzinfo=dt.UTC))
    )
    again = CaseScript(random.Random(92), "kragujevac", system.vault)
    again.victim = first.victim
    urgent_measure_path(again, dt.datetime(2026, 2, 10, 8, tzinfo=dt.UTC))
    pipeline = pipeline_of(system)
    try:
        submit_in_order(system, pipeline, [*first.submissions, *again.submissions])
    finally:
        pipeline.close()

    with system.aggregate_engine.connect() as conn:
        assert conn.execute(select(failures)).all() == []
        opened = {r.month: r for r in conn.execute(select(cases))}
        victims = conn.execute(select(subjects.c.subject_ps).where(subjects.c.role == "VICTIM"))
        victim_pseudonyms = set(victims.scalars())
        answered = conn.execute(select(referrals.c.accepted, referrals.c.answer_timely)).all()
        pending = conn.execute(select(clocks)).all()
    system.close()

    assert sorted(opened) == ["2025-12", "2026-02"]
    assert opened["2025-12"].epoch == "2025" and opened["2026-02"].epoch == "2026"
    assert opened["2025-12"].plan and opened["2025-12"].review == "met"
    assert not opened["2025-12"].repeat and opened["2026-02"].repeat
    assert len(victim_pseudonyms) == 2  # one person, two epochs, two unrelated pseudonyms
    assert sorted(answered) == [(True, True), (True, True)]
    # The second case's review clock is still running: its instant is sealed, not readable.
    assert len(pending) == 1 and isinstance(pending[0].sealed_at, int)
