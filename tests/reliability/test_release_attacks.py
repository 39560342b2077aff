"""The attacks on the regional aggregate's releases (issue 20), each as the attacker ran it.

1. Two ordinary releases together: a quarter and its months pinned the months withheld.
2. Filling a hidden cell: a token opened cases in another municipality, dated in a released
   month, and the next release of the cell gave back what it had held.
3. Rate complements: a rate of 5 out of 6 named the 1 who was not.
4. A pool of one: a district pool that held one small municipality under another name.

Each is now refused or protected; the releases themselves are checked by an attacker who owes
nothing to the release door (``tests.support.release_attacker``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from consumers import generalise as g
from consumers.indicators import Facts
from consumers.pipeline import Pipeline
from producers.scenario import Submission
from schemas.institutions import MUNICIPALITIES
from services.bootstrap import Platform
from services.disclosure.model import ReleaseRequest
from services.disclosure.noisy import tabulate
from services.disclosure.release import MemoryState, protected_release, release
from services.platform.settings import Settings
from tests.api.world import case_opened
from tests.support.pipeline import decoded, pipeline_of, read_topic, submit
from tests.support.release_attacker import CaseAttacker, atom_of, true_count

FLOOR = 5
HORIZON = "2025-12"
BIG_AREAS = ("lazarevac", "kragujevac", "vozdovac")


def _case(n: int, area: str, month: str, *, high: bool = False) -> SimpleNamespace:
    return SimpleNamespace(
        case_ps=f"c{n:04d}", month=month, area=area, violence_types="PHYSICAL",
        assessed_risk="HIGH" if high else "MEDIUM", victim_ps=f"v{n}", victim_sex="FEMALE",
        victim_age_band="30-39", repeat=False, plan=False, plan_victim_participated=False,
        review=None,
    )  # fmt: skip


def _facts(cases: list[SimpleNamespace]) -> Facts:
    return Facts({c.case_ps: c for c in cases}, [], [], [], [])


def _region(small: dict[str, int]) -> list[SimpleNamespace]:
    """Large areas with 12 cases a month through 2025, and one pool with the counts given."""
    cases, n = [], 0
    for area in BIG_AREAS:
        for month in range(1, 13):
            for _ in range(12):
                cases.append(_case(n := n + 1, area, f"2025-{month:02d}"))
    for month, count in small.items():
        for _ in range(count):
            cases.append(_case(n := n + 1, "pool:cuprija+golubac", month))
    return cases


def _widths(
    cases: list[SimpleNamespace], releases: list[Any], part: str, numerator: Any = None
) -> dict[str, tuple[int, float]]:
    """For every withheld small count of ``releases``: its true value and the attacker's width."""
    areas = sorted({c.area for c in cases})
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    attacker = CaseAttacker.over(areas, months, ["PHYSICAL"], ["FEMALE"], ["30-39"])
    parts = ("numerator", "denominator") if numerator else ("count",)
    attacker.learn(((r.by, r.rows) for r in releases), parts)
    truth = Counter(atom_of(c, bool(numerator and numerator(c))) for c in cases)
    found = {}
    for published in releases:
        for row in published.rows:
            labels = {d: str(row[d]) for d in published.by}
            coefficients = attacker.coefficients(part, published.by, labels)
            value = true_count(attacker.atoms, truth, coefficients)
            if row.get(part, 0) is None and 0 < value < FLOOR:
                low, high = attacker.interval(coefficients)
                found[f"{published.by}:{labels}"] = (value, high - low)
    return found


def test_a_quarter_and_its_months_together_pin_no_withheld_month() -> None:
    # As found: the pool's 2025-Q2 published as 10, April as 7, May and June withheld (2 and 1):
    # so May + June = 3, each pinned to [0, 3].
    cases = _region({"2025-04": 7, "2025-05": 2, "2025-06": 1, "2025-07": 9, "2025-08": 8,
                     "2025-09": 6, "2025-01": 5, "2025-02": 6, "2025-03": 5, "2025-10": 7,
                     "2025-11": 5, "2025-12": 6})  # fmt: skip
    state, facts = MemoryState(), _facts(cases)
    releases = [
        protected_release(state, facts, ReleaseRequest("reported_cases", by), FLOOR, HORIZON)
        for by in (("municipality", "quarter"), ("municipality", "month"), ("municipality", "year"))
    ]
    widths = _widths(cases, releases, "count")
    assert widths, "the pool's small months are withheld"
    assert all(width >= FLOOR for _value, width in widths.values()), widths
    # The same releases each protected on its own, as they were: the attack works.
    alone = [tabulate(facts, r) for r in (ReleaseRequest("reported_cases", p.by) for p in releases)]
    assert any(width < FLOOR for _value, width in _widths(cases, alone, "count").values())


def test_a_rate_of_five_out_of_six_does_not_name_the_one() -> None:
    # As found: repeat_victimisation 5 of 6 published for a group: the 1 who was not is known.
    cases = _region({"2025-03": 6})
    for case in cases:
        case.assessed_risk = "HIGH" if case.area != "pool:cuprija+golubac" else case.assessed_risk
    pool = [c for c in cases if c.area == "pool:cuprija+golubac"]
    for case in pool[:5]:
        case.assessed_risk = "HIGH"
    state, facts = MemoryState(), _facts(cases)
    releases = [
        protected_release(state, facts, ReleaseRequest("high_risk_share", by), FLOOR, HORIZON)
        for by in (("municipality", "month"), ("municipality", "quarter"), ("month",))
    ]
    for published in releases:
        for row in published.rows:
            shown = row["numerator"] is not None and row["denominator"] is not None
            if shown:
                assert row["denominator"] - row["numerator"] == 0 or (
                    row["denominator"] - row["numerator"] >= FLOOR
                ), row
    high = lambda c: c.assessed_risk == "HIGH"  # noqa: E731
    widths = _widths(cases, releases, "numerator", high)
    assert all(width >= FLOOR for _value, width in widths.values()), widths


def test_no_published_place_is_a_small_municipality_alone() -> None:
    # As found: pool:branicevski held Golubac alone (6,744 people).
    cases = _region({"2025-01": 9})
    published = protected_release(
        MemoryState(), _facts(cases), ReleaseRequest("reported_cases", ("municipality",)),
        FLOOR, HORIZON,
    )  # fmt: skip
    members: dict[str, list[str]] = {}
    for slug, area in g.areas(20_000).items():
        members.setdefault(area, []).append(slug)
    for row in published.rows:
        area = row["municipality"]
        if area == "*":
            continue
        people = sum(MUNICIPALITIES[s].population for s in members[area])
        assert people >= 20_000 and (len(members[area]) >= 2 or area in MUNICIPALITIES), area


# -- 2. filling a hidden cell, through the real exchange ----------------------------------------

AFTER = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
IN_MARCH = dt.datetime(2025, 3, 20, 10, tzinfo=dt.UTC)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Platform, Pipeline]]:
    settings = Settings(data_dir=tmp_path / "data", bus_url=f"sqlite:///{tmp_path / 'bus.db'}")
    system = Platform(settings)
    pipeline = pipeline_of(system)
    yield system, pipeline
    pipeline.close()
    system.close()


def _open(system: Platform, pipeline: Pipeline, opener: str, place: str, count: int) -> None:
    submit(system, [Submission(opener, case_opened(opener, uuid.uuid4(), place, IN_MARCH))
                    for _ in range(count)])  # fmt: skip
    pipeline.drain()


def test_cases_added_late_or_elsewhere_change_no_released_count(
    running: tuple[Platform, Pipeline],
) -> None:
    system, pipeline = running
    _open(system, pipeline, "police.pu-pozarevac.golubac", "golubac", 2)
    _open(system, pipeline, "police.pu-beograd.lazarevac", "lazarevac", 12)
    request = ReleaseRequest("reported_cases", ("municipality", "month"))
    before = release(system, request, now=AFTER)
    march = {r["municipality"]: r["count"] for r in before.rows if r["month"] == "2025-03"}
    assert march["pool:cuprija+golubac"] is None  # 2: withheld

    # As found: a Zvezdara police station opened three cases in Golubac, dated March.
    _open(system, pipeline, "police.pu-beograd.zvezdara", "golubac", 3)
    refused = [r.record["code"] for r in decoded(
        system, read_topic(system, "rejections.police.pu-beograd.zvezdara"))]  # fmt: skip
    assert refused == ["outside_area"] * 3
    # Golubac's own police, backdating three into the released March, moves nothing either.
    _open(system, pipeline, "police.pu-pozarevac.golubac", "golubac", 3)
    after = release(system, request, now=AFTER)
    assert after.rows == before.rows
