"""The referral funnel: referrals sent, accepted, declined and completed in one table, each
stage exactly as its own indicator's release shows it, so the table tells nothing the four
releases do not."""

from __future__ import annotations

import itertools
import random
from types import SimpleNamespace
from typing import Any

import pytest

from consumers.indicators import FUNNELS, INDICATORS, Facts
from services.disclosure import funnel
from services.disclosure.model import Release, ReleaseError, ReleaseRequest
from services.disclosure.release import MemoryState, protected_release

AREAS = ("lazarevac", "kragujevac", "pool:cuprija+golubac")
MONTHS = ("2026-01", "2026-02", "2026-04")
HORIZON = "2026-06"
FLOOR = 5
STAGES = ("sent", "accepted", "declined", "completed")


def referral(
    n: int, area: str, month: str, outcome: str, service: str = "COUNSELLING"
) -> tuple[Any, Any]:
    case = SimpleNamespace(
        case_ps=f"c{n}", month=month, area=area, violence_types="PHYSICAL", victim_ps=f"v{n}",
        victim_sex="FEMALE", victim_age_band="30-39", assessed_risk="MEDIUM", repeat=False,
        plan=False, plan_victim_participated=False, review=None,
    )  # fmt: skip
    row = SimpleNamespace(
        referral_ps=f"r{n}", case_ps=f"c{n}", month=month, service_type=service, urgency="P2",
        recipient_kind="NGO", accepted=outcome in ("accepted", "completed"),
        declined=outcome == "declined", decline_reason="NO_CAPACITY" if outcome == "declined"
        else None, completed=outcome == "completed", expired=outcome == "expired",
        answer_timely=None, hours_to_accept=3 if outcome in ("accepted", "completed") else None,
    )  # fmt: skip
    return case, row


def facts_of(referrals: list[tuple[Any, Any]]) -> Facts:
    return Facts({c.case_ps: c for c, _ in referrals}, [], [], [r for _, r in referrals], [])


def drawn(seed: int, n: int = 60) -> Facts:
    rng = random.Random(seed)
    outcomes = ("accepted", "accepted", "completed", "declined", "expired", "pending")
    return facts_of([
        referral(i, rng.choice(AREAS), rng.choice(MONTHS), rng.choice(outcomes),
                 rng.choice(("COUNSELLING", "FREE_LEGAL_AID")))
        for i in range(n)
    ])  # fmt: skip


def funnel_release(state: MemoryState, facts: Facts, request: ReleaseRequest) -> Release:
    stages = funnel.stages(request)
    assert stages is not None
    return funnel.combine(
        request, [protected_release(state, facts, s, FLOOR, HORIZON) for s in stages]
    )


GROUPINGS = [
    by
    for dims in (
        ("municipality",),
        ("month",),
        ("municipality", "month"),
        ("quarter", "service_type"),
        ("municipality", "year", "urgency"),
        ("recipient_kind",),
    )
    for by in itertools.permutations(dims)
]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_funnel_shows_each_stage_as_its_own_release_does(seed: int) -> None:
    facts = drawn(seed)
    state = MemoryState()
    for threshold, by in itertools.product((5, 7), GROUPINGS):
        request = ReleaseRequest("referral_funnel", by, threshold)
        table = funnel_release(state, facts, request)
        assert table.kind == "funnel" and table.measures == STAGES
        for measure, name in FUNNELS["referral_funnel"].stages:
            own = protected_release(state, facts, ReleaseRequest(name, by, threshold), FLOOR,
                                    HORIZON)  # fmt: skip
            shown = {tuple(row[d] for d in by): row["count"] for row in own.rows}
            for row in table.rows:
                key = tuple(row[d] for d in by)
                assert row[measure] == shown.get(key), (by, threshold, measure, key)
                assert row[measure] is None or row[measure] == 0 or row[measure] >= FLOOR


def test_the_funnel_limited_to_a_quarter_is_the_quarter_of_each_stage() -> None:
    facts = drawn(4)
    state = MemoryState()
    by = ("municipality", "month")
    request = ReleaseRequest("referral_funnel", by, 5, None, "2026-Q1", "2026-Q1")
    table = funnel_release(state, facts, request)
    assert {row["month"] for row in table.rows} == {"2026-01", "2026-02", "2026-03", "*"}
    assert (table.period_from, table.period_to) == ("2026-01", "2026-03")
    whole = funnel_release(state, facts, ReleaseRequest("referral_funnel", by, 5))
    by_quarter = funnel_release(
        state, facts, ReleaseRequest("referral_funnel", ("municipality", "quarter"), 5)
    )
    quarter = {r["municipality"]: r for r in by_quarter.rows if r["quarter"] == "2026-Q1"}
    months = {(r["municipality"], r["month"]): r for r in whole.rows}
    for row in table.rows:
        same = quarter[row["municipality"]] if row["month"] == "*" else months[
            (row["municipality"], row["month"])]  # fmt: skip
        assert all(row[m] == same[m] for m in STAGES)


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (ReleaseRequest("referral_funnel", ("decline_reason",)), "unknown_dimension"),
        (ReleaseRequest("referral_funnel", ("measure_type",)), "unknown_dimension"),
        (ReleaseRequest("referral_funnel", ("sex", "urgency")), "too_many_dimensions"),
        (ReleaseRequest("referral_funnel", epsilon=0.02), "bad_epsilon"),
        (ReleaseRequest("referral_funnel", ("quarter",), 5, None, "2026-02"), "period_not_whole"),
    ],
)
def test_a_funnel_the_door_cannot_give_is_refused_with_a_code(
    request_: ReleaseRequest, code: str
) -> None:
    with pytest.raises(ReleaseError) as refused:
        funnel.stages(request_)
    assert refused.value.code == code
    assert "referral_funnel" not in INDICATORS  # a funnel is not an indicator of its own


@pytest.mark.xfail(
    strict=True,
    reason="known leak, not fixed: the funnel's stages are indicators protected one by one, so "
    "sent minus accepted bounds a withheld number declined (docs/aggregate.md, Limits)",
)
def test_the_stages_together_narrow_no_small_count() -> None:
    """Lazarevac in January: 8 sent, 6 accepted, 2 declined. Sent and accepted are large enough
    to be published; declined is withheld, yet it is at most 8 - 6 = 2."""
    plan = [
        ("lazarevac", "2026-01", "accepted", 6),
        ("lazarevac", "2026-01", "declined", 2),
        ("kragujevac", "2026-01", "accepted", 9),
        ("lazarevac", "2026-02", "accepted", 10),
        ("kragujevac", "2026-02", "accepted", 3),
        ("kragujevac", "2026-02", "declined", 3),
    ]
    serial = itertools.count()
    facts = facts_of([referral(next(serial), area, month, outcome)
                      for area, month, outcome, n in plan for _ in range(n)])  # fmt: skip
    table = funnel_release(
        MemoryState(), facts, ReleaseRequest("referral_funnel", ("municipality", "month"), 5)
    )
    for row in table.rows:
        sent, accepted, declined = row["sent"], row["accepted"], row["declined"]
        if declined is None and sent is not None and accepted is not None:
            assert sent - accepted >= FLOOR, row  # the room declined keeps
