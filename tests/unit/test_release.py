"""The release door against an attacker who takes every release it can give.

Random aggregates of cases are released by every grouping the door offers for an indicator (the
municipality, a period at each level, one other dimension, in every order) at every threshold
from 5 to 10; then cases dated in the released months arrive late and everything is released
again. The attacker (``tests.support.release_attacker``, which owes nothing to the door's cube)
solves the linear programme of every published number for every withheld count that is small
at its threshold: none may be narrower than the threshold. Published numbers are the true ones,
and a late case changes none of them.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from consumers.indicators import INDICATORS, Facts
from services.disclosure.model import ReleaseError, ReleaseRequest
from services.disclosure.release import MemoryState, protected_release
from tests.support.release_attacker import CaseAttacker, atom_of, true_count

AREAS = ("lazarevac", "kragujevac", "pool:cuprija+golubac")
MONTHS = ("2026-01", "2026-02", "2026-03", "2026-05")
TYPES = ("PHYSICAL", "PSYCHOLOGICAL")
SEXES = ("FEMALE", "MALE")
AGES = ("20-29", "30-39")
HORIZON = "2026-06"
FLOOR = 5
NUMERATOR = {
    "reported_cases": lambda case: True,
    "high_risk_share": lambda case: case.assessed_risk == "HIGH",
    "plan_coverage": lambda case: case.plan,
}


@st.composite
def cases(draw: st.DrawFn, prefix: str = "c", months: tuple[str, ...] = MONTHS) -> dict[str, Any]:
    found = {}
    for n in range(draw(st.integers(1, 45))):
        case_ps = f"{prefix}{n:03d}"
        found[case_ps] = SimpleNamespace(
            case_ps=case_ps, month=draw(st.sampled_from(months)), area=draw(st.sampled_from(AREAS)),
            violence_types=",".join(sorted(draw(st.sets(st.sampled_from(TYPES), min_size=1)))),
            assessed_risk=draw(st.sampled_from(("HIGH", "MEDIUM"))), victim_ps=f"v{case_ps}",
            victim_sex=draw(st.sampled_from(SEXES)), victim_age_band=draw(st.sampled_from(AGES)),
            repeat=False, plan=draw(st.booleans()), plan_victim_participated=False, review=None,
        )  # fmt: skip
    return found


def facts_of(found: dict[str, Any]) -> Facts:
    return Facts(dict(found), [], [], [], [])


def groupings() -> list[tuple[str, ...]]:
    """Every grouping of a case indicator the door accepts, in every order of its dimensions."""
    found = []
    for area in ((), ("municipality",)):
        for period in ((), ("month",), ("quarter",), ("year",)):
            for other in ((), ("violence_type",), ("sex",), ("age_band",)):
                dims = (*area, *period, *other)
                found += list(itertools.permutations(dims)) if dims else []
    return sorted(set(found))


def release_everything(state: MemoryState, facts: Facts, name: str) -> list[tuple[int, Any]]:
    return [
        (t, protected_release(state, facts, ReleaseRequest(name, by, threshold=t), FLOOR, HORIZON))
        for t in range(FLOOR, 11)
        for by in groupings()
    ]


# Without shrinking: an example takes seconds, shrinking a failure tens of minutes; the seed
# it prints repeats it.
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), phases=NO_SHRINK)
@given(
    st.sampled_from(sorted(NUMERATOR)),
    cases(),
    cases(prefix="late", months=MONTHS[:2]),
)
def test_no_combination_of_releases_narrows_a_small_count(
    name: str, first: dict[str, Any], late: dict[str, Any]
) -> None:
    state = MemoryState()
    before = release_everything(state, facts_of(first), name)
    after = release_everything(state, facts_of(first | late), name)
    parts = _parts(name)
    # A late case changes no published number: the months were frozen when first released.
    assert [r.rows for _, r in after] == [r.rows for _, r in before]
    # A stricter threshold shows nothing a laxer one withholds.
    shown = {
        (t, r.by): [row[p] is not None for row in r.rows for p in _parts(name)] for t, r in before
    }
    for (t, by), published in shown.items():
        if t > FLOOR:
            laxer = shown[(t - 1, by)]
            assert all(lax or not strict for strict, lax in zip(published, laxer, strict=True))
    truth = Counter(atom_of(c, NUMERATOR[name](c)) for c in first.values())
    for threshold in range(FLOOR, 11):
        attacker = CaseAttacker.over(AREAS, MONTHS, TYPES, SEXES, AGES)
        attacker.learn(((r.by, r.rows) for t, r in [*before, *after] if t >= threshold), parts)
        _check_withheld(attacker, truth, [r for t, r in before if t == threshold], parts,
                        threshold)  # fmt: skip


@pytest.mark.xfail(
    strict=True,
    reason="known leak, not fixed: indicators are protected one by one, so a number a count and "
    "a rate share can be published in one and withheld in the other (docs/aggregate.md, Limits)",
)
def test_a_count_and_a_rate_over_the_same_cases_together_narrow_nothing() -> None:
    """``reported_cases`` and the denominator of ``high_risk_share`` are the same numbers: they
    should be published alike (super-consistent), and the two indicators' releases together,
    taken before and after late cases, should pin no small count of either. Frozen together,
    their values agree; their suppression patterns do not yet (fixed data, so that the expected
    failure is certain)."""
    rng = random.Random(7)
    first, late = _drawn(rng, "c", 40, MONTHS), _drawn(rng, "late", 10, MONTHS[:2])
    state = MemoryState()
    counts = release_everything(state, facts_of(first), "reported_cases")
    # The rate is first asked for after late cases arrived: it must still show the counts frozen.
    rates = release_everything(state, facts_of(first | late), "high_risk_share")
    for (t, count), (_, rate) in zip(counts, rates, strict=True):
        shared = {_labels(row, count.by): row["count"] for row in count.rows}
        assert shared == {_labels(row, rate.by): row["denominator"] for row in rate.rows}, (
            t, count.by
        )  # fmt: skip
    truth = Counter(atom_of(c, NUMERATOR["high_risk_share"](c)) for c in first.values())
    for threshold in range(FLOOR, 11):
        attacker = CaseAttacker.over(AREAS, MONTHS, TYPES, SEXES, AGES)
        attacker.learn(((r.by, r.rows) for t, r in counts if t >= threshold), ("count",))
        attacker.learn(
            ((r.by, r.rows) for t, r in rates if t >= threshold), _parts("high_risk_share")
        )
        at = [r for t, r in counts if t == threshold]
        _check_withheld(attacker, truth, at, ("count",), threshold)
        at = [r for t, r in rates if t == threshold]
        _check_withheld(attacker, truth, at, _parts("high_risk_share"), threshold)


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), phases=NO_SHRINK)
@given(cases(), cases(prefix="late", months=MONTHS[:2]))
def test_a_rate_first_asked_after_late_cases_counts_what_the_count_froze(
    first: dict[str, Any], late: dict[str, Any]
) -> None:
    """A month is frozen for every indicator at once (decision 0027): where both tables show a
    number, the rate's denominator is the count, though late cases arrived between them."""
    state = MemoryState()
    by = ("month",)
    count = protected_release(state, facts_of(first), ReleaseRequest("reported_cases", by), FLOOR,
                              HORIZON)  # fmt: skip
    rate = protected_release(state, facts_of(first | late), ReleaseRequest("high_risk_share", by),
                             FLOOR, HORIZON)  # fmt: skip
    counted = {_labels(row, by): row["count"] for row in count.rows}
    for row in rate.rows:
        shown = counted.get(_labels(row, by))
        if shown is not None and row["denominator"] is not None:
            assert row["denominator"] == shown, row


def _drawn(rng: random.Random, prefix: str, n: int, months: tuple[str, ...]) -> dict[str, Any]:
    """``n`` cases drawn with ``rng`` (fixed data beside hypothesis' random ones)."""
    return {f"{prefix}{i}": SimpleNamespace(
        case_ps=f"{prefix}{i}", month=rng.choice(months), area=rng.choice(AREAS),
        violence_types=",".join(sorted(rng.sample(TYPES, rng.randint(1, 2)))),
        assessed_risk=rng.choice(("HIGH", "HIGH", "MEDIUM")), victim_ps=f"v{prefix}{i}",
        victim_sex=rng.choice(SEXES), victim_age_band=rng.choice(AGES), repeat=False,
        plan=False, plan_victim_participated=False, review=None,
    ) for i in range(n)}  # fmt: skip


def _labels(row: dict[str, Any], by: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(str(row[d]) for d in by)


def _parts(name: str) -> tuple[str, ...]:
    return ("numerator", "denominator") if INDICATORS[name].kind == "rate" else ("count",)


def _check_withheld(
    attacker: CaseAttacker, truth: Counter, releases: list[Any], parts: tuple[str, ...], t: int
) -> None:
    checked: set[bytes] = set()
    for published in releases:
        for row in published.rows:
            labels = {d: str(row[d]) for d in published.by}
            for part in parts:
                coefficients = attacker.coefficients(part, published.by, labels)
                value = true_count(attacker.atoms, truth, coefficients)
                if row[part] is not None:
                    assert row[part] == value, (published.by, labels, part)
                    assert value == 0 or value >= FLOOR
                    continue
                if not 0 < value < t or coefficients.tobytes() in checked:
                    continue
                checked.add(coefficients.tobytes())
                low, high = attacker.interval(coefficients)
                assert high - low >= t - 1e-6, (published.by, labels, part, value, low, high)
            if "rate" in row and (row["numerator"] is None or row["denominator"] is None):
                assert row["rate"] is None


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (ReleaseRequest("no_such_thing"), "unknown_indicator"),
        (ReleaseRequest("reported_cases", ("measure_type",)), "unknown_dimension"),
        (ReleaseRequest("reported_cases", ("month", "year")), "dimensions_overlap"),
        (ReleaseRequest("reported_cases", ("sex", "age_band")), "too_many_dimensions"),
        (ReleaseRequest("distinct_victims", ("municipality", "month")), "period_too_fine"),
        (ReleaseRequest("reported_cases", threshold=0), "bad_threshold"),
        (ReleaseRequest("median_hours_to_accept", epsilon=1.0), "bad_epsilon"),
    ],
)
def test_bad_requests_are_refused_with_a_code(request_: ReleaseRequest, code: str) -> None:
    with pytest.raises(ReleaseError) as refused:
        request_.checked()
    assert refused.value.code == code


def test_the_attacker_finds_what_primary_suppression_alone_gives_away(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check above can fail: with only the small counts withheld, it pins them."""
    import services.disclosure.release as door

    def primary_only(cube, threshold, branches=(), fixed=None, floor=None):  # type: ignore[no-untyped-def]
        return {c for c in cube.cells(list(branches)) if 0 < cube.value(c) < threshold}

    monkeypatch.setattr(door, "protect", primary_only)
    found = _drawn(random.Random(3), "c", 40, MONTHS)
    state = MemoryState()
    releases = [r for t, r in release_everything(state, facts_of(found), "reported_cases")
                if t == FLOOR]  # fmt: skip
    attacker = CaseAttacker.over(AREAS, MONTHS, TYPES, SEXES, AGES)
    attacker.learn(((r.by, r.rows) for r in releases), ("count",))
    truth = Counter(atom_of(c, True) for c in found.values())
    with pytest.raises(AssertionError):
        _check_withheld(attacker, truth, releases, ("count",), FLOOR)
