"""The release door over random case streams: what is published is safe and true.

Random aggregates (cases with their people, urgent measures and referrals, as the projection
stores them) are tabulated by every indicator; in every count table of the release, each
published count is the true one and is zero or at least the threshold, each withheld one has a
feasible interval (by linear programming over the published cells and totals) of more than one
value, and a rate is withheld whenever its numerator or denominator is.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers.indicators import INDICATORS, MEASURE_TYPES, Facts
from services.disclosure.release import ReleaseError, ReleaseRequest, _counts, _layout, tabulate
from services.disclosure.suppression import Grid
from tests.support.feasible import feasible_interval, integer_values

AREAS = ("lazarevac", "kragujevac", "pool:branicevski")
MONTHS = ("2026-01", "2026-02", "2026-05")
TYPES = ("PHYSICAL", "PSYCHOLOGICAL", "ECONOMIC")


@st.composite
def aggregates(draw: st.DrawFn) -> Facts:
    cases: dict[str, Any] = {}
    subjects, measures, referrals = [], [], []
    victims = [f"v{i:02d}" for i in range(draw(st.integers(1, 25)))]
    for n in range(draw(st.integers(1, 40))):
        case_ps = f"c{n:03d}"
        victim = draw(st.sampled_from(victims))
        cases[case_ps] = SimpleNamespace(
            case_ps=case_ps, month=draw(st.sampled_from(MONTHS)), area=draw(st.sampled_from(AREAS)),
            violence_types=",".join(sorted(draw(st.sets(st.sampled_from(TYPES), min_size=1)))),
            assessed_risk=draw(st.sampled_from(("HIGH", "MEDIUM", None))), victim_ps=victim,
            victim_sex=draw(st.sampled_from(("FEMALE", "MALE"))),
            victim_age_band=draw(st.sampled_from(("20-29", "30-39"))), repeat=draw(st.booleans()),
            plan=(plan := draw(st.booleans())),
            plan_victim_participated=plan and draw(st.booleans()),
            review=draw(st.sampled_from((None, "met", "late", "missed"))),
        )  # fmt: skip
        subjects.append(SimpleNamespace(case_ps=case_ps, subject_ps=victim, role="VICTIM",
                                        sex="FEMALE", age_band="30-39"))  # fmt: skip
        subjects.append(SimpleNamespace(case_ps=case_ps, subject_ps=f"p{n}", role="PERPETRATOR",
                                        sex="MALE", age_band="40-49"))  # fmt: skip
        for m in range(draw(st.integers(0, 2))):
            measures.append(SimpleNamespace(
                measure_ps=f"{case_ps}m{m}", case_ps=case_ps, month=cases[case_ps].month,
                measure_type=draw(st.sampled_from(MEASURE_TYPES)), served=True,
                proposed=draw(st.booleans()), proposal_timely=draw(st.booleans()),
                decided=True, decision_timely=draw(st.booleans()), granted=draw(st.booleans()),
                breaches=draw(st.integers(0, 2)),
            ))  # fmt: skip
        for r in range(draw(st.integers(0, 2))):
            referrals.append(SimpleNamespace(
                referral_ps=f"{case_ps}r{r}", case_ps=case_ps, month=cases[case_ps].month,
                service_type=draw(st.sampled_from(("COUNSELLING", "SHELTER"))),
                urgency=draw(st.sampled_from(("P1", "P2"))), recipient_kind="NGO",
                accepted=(ok := draw(st.booleans())), declined=not ok,
                decline_reason=None if ok else "NO_CAPACITY", completed=ok and draw(st.booleans()),
                expired=False, answer_timely=draw(st.booleans()),
                hours_to_accept=draw(st.integers(0, 60)) if ok else None,
            ))  # fmt: skip
    return Facts(cases, subjects, measures, referrals, [])


BY = [("municipality", "month"), ("violence_type",), ("sex", "quarter"), ("year", "age_band")]


def _check_table(rows: list[dict[str, Any]], measure: str, truth: Grid, threshold: int) -> None:
    positions = sorted(truth.values)
    assert len(rows) == len(positions)
    withheld = frozenset(p for p, row in zip(positions, rows, strict=True) if row[measure] is None)
    for position, row in zip(positions, rows, strict=True):
        if row[measure] is not None:
            assert row[measure] == truth.values[position]
            assert row[measure] == 0 or row[measure] >= threshold
    for position in withheld:
        assert integer_values(feasible_interval(truth, withheld, position)) > 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    aggregates(),
    st.sampled_from(sorted(INDICATORS)),
    st.sampled_from(BY),
    st.integers(2, 6),
)
def test_every_release_of_a_random_aggregate_is_protected(
    facts: Facts, name: str, by: tuple[str, ...], threshold: int
) -> None:
    found = INDICATORS[name]
    published = tabulate(facts, ReleaseRequest(name, by, threshold=threshold))
    layout = _layout(list(found.units(facts, by)), by)
    if not layout.cells:
        assert published.rows == []
        return
    if found.kind == "rate":
        _check_table(
            published.rows, "numerator", Grid.of(_counts(layout, True, None)[0]), threshold
        )
        _check_table(published.rows, "denominator", Grid.of(_counts(layout, None, None)[0]),
                     threshold)  # fmt: skip
        for row in published.rows:
            if row["numerator"] is None or row["denominator"] is None:
                assert row["rate"] is None
    else:
        _check_table(published.rows, "count", Grid.of(_counts(layout, True, None)[0]), threshold)
        if found.kind == "median":
            for row in published.rows:
                if row["count"] is None:
                    assert row["median_hours"] is None
    # The same aggregate and request give the same release.
    assert tabulate(facts, ReleaseRequest(name, by, threshold=threshold)) == published


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (ReleaseRequest("no_such_thing"), "unknown_indicator"),
        (ReleaseRequest("reported_cases", ("measure_type",)), "unknown_dimension"),
        (ReleaseRequest("reported_cases", ("month", "year")), "dimensions_overlap"),
        (ReleaseRequest("reported_cases", threshold=0), "bad_threshold"),
        (ReleaseRequest("median_hours_to_accept", epsilon=1.0), "bad_epsilon"),
    ],
)
def test_bad_requests_are_refused_with_a_code(request_: ReleaseRequest, code: str) -> None:
    with pytest.raises(ReleaseError) as refused:
        request_.checked()
    assert refused.value.code == code
