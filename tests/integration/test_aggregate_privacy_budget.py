"""Differentially private releases: OpenDP noise, bounded contributions, a budget that runs out.

The aggregate's tables are filled directly (a real SQLite aggregate database) so the budget can be
exercised without running the pipeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from consumers.aggregate_tables import ALL_TABLES, cases
from consumers.aggregate_tables import metadata as aggregate_metadata
from services.bootstrap import Platform
from services.disclosure import store
from services.disclosure.privacy import BudgetExhausted, bound_contributions, ledger, mechanism
from services.disclosure.release import ReleaseRequest, release
from services.platform.settings import Settings


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    settings = Settings(
        data_dir=tmp_path, privacy_budget=1.0, contribution_bound=2, disclosure_threshold=1
    )
    system = Platform(settings)
    aggregate_metadata.create_all(system.aggregate_engine, tables=list(ALL_TABLES))
    rows = [
        {
            "case_ps": f"{n:032x}", "epoch": "2026", "month": f"2026-0{1 + n % 3}",
            "area": ("lazarevac", "kragujevac")[n % 2], "violence_types": "PHYSICAL",
            "victim_ps": f"{n % 17:032x}", "victim_sex": "FEMALE", "victim_age_band": "30-39",
            "repeat": False, "plan": n % 3 == 0, "plan_victim_participated": False,
        }
        for n in range(60)
    ]  # fmt: skip
    with system.aggregate_engine.begin() as conn:
        conn.execute(insert(cases), rows)
    yield system
    system.close()


def _spent(system: Platform) -> float:
    with system.aggregate_engine.connect() as conn:
        return float(conn.execute(select(func.sum(ledger.c.epsilon))).scalar_one() or 0)


def test_every_answer_spends_its_epsilon_and_the_budget_then_refuses(
    platform: Platform,
) -> None:
    by_month = ReleaseRequest("reported_cases", ("municipality", "month"), threshold=1,
                              epsilon=0.3)  # fmt: skip
    release(platform, by_month)
    assert _spent(platform) == pytest.approx(0.3)
    # Asked again: charged again, whether or not the answer is the same (a cache that answered
    # for free only while the truth was unchanged would tell when it changed).
    release(platform, by_month)
    assert _spent(platform) == pytest.approx(0.6)

    release(platform, ReleaseRequest("plan_coverage", ("municipality",), epsilon=0.3))
    assert _spent(platform) == pytest.approx(0.9)
    with pytest.raises(BudgetExhausted) as refused:
        release(platform, ReleaseRequest("reported_cases", ("year",), epsilon=0.2))
    assert refused.value.code == "privacy_budget_exhausted"
    assert _spent(platform) == pytest.approx(0.9)
    # Releases without noise are not charged: the protected cube alone protects them.
    release(platform, ReleaseRequest("reported_cases", ("year",)))
    # Every answer is in the release ledger auditors list, the refused one excepted.
    with platform.aggregate_engine.connect() as conn:
        entries = store.releases(conn)
    assert [e["epsilon"] for e in entries] == [0.3, 0.3, 0.3, None]


def test_noisy_tables_stay_consistent_and_non_negative(platform: Platform) -> None:
    published = release(
        platform,
        ReleaseRequest("reported_cases", ("municipality", "month"), threshold=1, epsilon=0.5),
    )
    cells = [r for r in published.rows if "*" not in (r["municipality"], r["month"])]
    assert all(r["count"] >= 0 for r in cells)
    for area in ("lazarevac", "kragujevac"):
        (total,) = (r for r in published.rows if r["municipality"] == area and r["month"] == "*")
        assert total["count"] == sum(r["count"] for r in cells if r["municipality"] == area)


def test_each_person_adds_at_most_the_bound() -> None:
    entries = [("ana", 3), ("ana", 1), ("ana", 2), ("bojan", 5), ("ana", 1)]
    assert bound_contributions(entries, 2) == [("ana", 1), ("ana", 1), ("bojan", 5)]


def test_the_noise_is_calibrated_by_opendp() -> None:
    for epsilon, bound in ((0.5, 1), (1.0, 3)):
        measurement = mechanism(epsilon, bound)
        assert measurement.map(bound) <= epsilon + 1e-9
        assert measurement.map(bound) > epsilon * 0.9  # not more noise than needed
