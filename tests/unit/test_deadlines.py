"""Deadline rules (consumers.deadlines): LPDV periods, Serbian working days, verdicts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consumers.deadlines import (
    BELGRADE,
    COORDINATION_REVIEW_DAYS,
    EXTENSION_DAYS,
    EXTENSION_DECISION_HOURS,
    EXTENSION_PROPOSAL_HOURS,
    URGENT_MEASURE_HOURS,
    Deadline,
    Verdict,
    add_working_days,
    coordination_next_review_due,
    coordination_review_due,
    extension_decision_due,
    extension_expires,
    extension_proposal_due,
    holidays,
    is_working_day,
    judge,
    orthodox_easter,
    referral_due,
    urgent_measure_expires,
)

CASE = UUID("00000000-0000-4000-8000-000000000001")
REF = UUID("00000000-0000-4000-8000-000000000002")


def u(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A UTC instant."""
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def bg(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A Belgrade wall-clock time, as a UTC instant."""
    return datetime(y, mo, d, h, mi, tzinfo=BELGRADE).astimezone(UTC)


# --- calendar -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2016, date(2016, 5, 1)),
        (2021, date(2021, 5, 2)),
        (2024, date(2024, 5, 5)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 12)),
        (2027, date(2027, 5, 2)),
    ],
)
def test_orthodox_easter(year: int, easter: date) -> None:
    assert orthodox_easter(year) == easter
    assert easter.isoweekday() == 7


@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        (date(2026, 3, 4), True, "ordinary Wednesday"),
        (date(2026, 3, 7), False, "Saturday"),
        (date(2026, 3, 8), False, "Sunday"),
        (date(2026, 1, 1), False, "New Year"),
        (date(2026, 1, 2), False, "New Year, second day"),
        (date(2026, 1, 7), False, "Orthodox Christmas"),
        (date(2026, 2, 16), False, "Statehood Day, second day (Monday)"),
        (date(2026, 2, 17), False, "15 Feb 2026 is a Sunday: next working day off (Art. 3a)"),
        (date(2026, 4, 10), False, "Orthodox Good Friday 2026"),
        (date(2026, 4, 13), False, "Orthodox Easter Monday 2026"),
        (date(2026, 4, 14), True, "Tuesday after Easter"),
        (date(2026, 4, 3), True, "Western Good Friday is a working day"),
        (date(2026, 5, 1), False, "Labour Day (Friday)"),
        (date(2026, 5, 4), True, "2 May 2026 is a Saturday: no extra day"),
        (date(2025, 5, 9), True, "Victory Day (Friday 9 May 2025) is worked"),
        (date(2026, 11, 11), False, "Armistice Day"),
        (date(2018, 11, 12), False, "11 Nov 2018 is a Sunday: Monday off"),
        (date(2023, 1, 3), False, "1 Jan 2023 is a Sunday: 2 Jan already off, so 3 Jan"),
        (date(2022, 1, 3), False, "2 Jan 2022 is a Sunday"),
        (date(2025, 2, 17), False, "16 Feb 2025 is a Sunday"),
        (date(2025, 4, 18), False, "Good Friday 2025"),
        (date(2025, 4, 21), False, "Easter Monday 2025"),
        (date(2025, 4, 22), True, "Easter Sunday triggers no extra day (religious holiday)"),
        (date(2016, 5, 3), False, "2016: 1 May Sunday (and Easter), 2 May Easter Monday"),
        (date(2027, 4, 30), False, "Good Friday 2027"),
        (date(2027, 5, 3), False, "Easter Monday 2027"),
        (date(2027, 5, 4), False, "2 May 2027 Sunday: first working day after Easter Monday"),
        (date(2027, 5, 5), True, "Wednesday 5 May 2027"),
        (date(2029, 1, 8), True, "7 Jan 2029 is a Sunday: no extra day for Christmas"),
    ],
)
def test_is_working_day(day: date, working: bool, why: str) -> None:
    assert is_working_day(day) is working, why


def test_holidays_2027_are_exactly() -> None:
    got = sorted(d.isoformat() for d in holidays(2027))
    assert got == [
        "2027-01-01",
        "2027-01-02",
        "2027-01-07",
        "2027-02-15",
        "2027-02-16",
        "2027-04-30",
        "2027-05-01",
        "2027-05-02",
        "2027-05-03",
        "2027-05-04",
        "2027-11-11",
    ]


def test_is_working_day_rejects_datetime() -> None:
    with pytest.raises(TypeError):
        is_working_day(u(2026, 3, 4))  # type: ignore[arg-type]


# --- working-day arithmetic ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected", "why"),
    [
        (bg(2026, 3, 6, 14), 5, bg(2026, 3, 13, 14), "Friday 14:00 + 5 = next Friday 14:00"),
        (bg(2026, 3, 6, 14), 1, bg(2026, 3, 9, 14), "Friday + 1 = Monday"),
        (bg(2026, 3, 7, 10), 1, bg(2026, 3, 9, 10), "from Saturday the first day is Monday"),
        (bg(2026, 3, 8, 23, 30), 5, bg(2026, 3, 13, 23, 30), "Sunday late evening"),
        (bg(2026, 3, 4, 9), 0, bg(2026, 3, 4, 9), "zero days is the start itself"),
        (bg(2026, 4, 9, 12), 1, bg(2026, 4, 14, 12), "Thursday before Orthodox Easter 2026"),
        (bg(2026, 4, 8, 8), 5, bg(2026, 4, 17, 8), "Easter 2026 swallows Fri and Mon"),
        (bg(2026, 4, 30, 16), 1, bg(2026, 5, 4, 16), "1 May 2026 Friday, 2 May Saturday"),
        (bg(2027, 4, 29, 10), 1, bg(2027, 5, 5, 10), "Easter + May Day 2027: 30 Apr-4 May off"),
        (bg(2025, 12, 31, 11), 1, bg(2026, 1, 5, 11), "New Year 2026: Thu-Fri, then weekend"),
        (bg(2026, 3, 27, 14), 5, bg(2026, 4, 3, 14), "across the DST change (29 March)"),
    ],
)
def test_add_working_days(start: datetime, days: int, expected: datetime, why: str) -> None:
    got = add_working_days(start, days)
    assert got == expected, why
    assert got.tzinfo is UTC


def test_add_working_days_keeps_belgrade_time_across_dst() -> None:
    start = u(2026, 3, 27, 13)  # Friday 14:00 CET
    got = add_working_days(start, 5)
    assert got == u(2026, 4, 3, 12)  # Friday 14:00 CEST
    assert got - start == timedelta(days=7, hours=-1)


def test_add_working_days_uses_belgrade_day_not_utc_day() -> None:
    # Friday 23:30 UTC is already Saturday 00:30 in Belgrade, so counting starts from Saturday.
    # Monday 00:30 Belgrade is Sunday 23:30 UTC.
    assert add_working_days(u(2026, 3, 6, 23, 30), 1) == u(2026, 3, 8, 23, 30)
    # Sunday 23:30 UTC is Monday 00:30 in Belgrade: the first day counted is Tuesday.
    assert add_working_days(u(2026, 3, 8, 23, 30), 1) == u(2026, 3, 9, 23, 30)


def test_add_working_days_rejects_negative() -> None:
    with pytest.raises(ValueError):
        add_working_days(u(2026, 3, 4), -1)


# --- referrals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent_at", "urgency", "stated", "expected", "why"),
    [
        (u(2026, 3, 6, 13), "P1", None, u(2026, 3, 7, 13), "P1: 24 h, weekends count"),
        (u(2026, 3, 6, 13), "P2", None, u(2026, 3, 9, 13), "P2: 72 h, weekends count"),
        (bg(2026, 3, 6, 14), "P3", None, bg(2026, 3, 13, 14), "P3 on a Friday"),
        (bg(2026, 3, 6, 14), "OTHER", None, bg(2026, 3, 13, 14), "OTHER falls back to P3"),
        (bg(2026, 4, 27, 9), "P3", None, bg(2026, 5, 5, 9), "P3 across May Day 2026"),
        (bg(2027, 4, 28, 9), "P3", None, bg(2027, 5, 10, 9), "P3 across Easter+May Day 2027"),
        (bg(2025, 4, 16, 15), "P3", None, bg(2025, 4, 25, 15), "P3 across Easter 2025"),
        (u(2026, 3, 6, 13), "P3", u(2026, 3, 6, 20), u(2026, 3, 6, 20), "stated due wins"),
        (u(2026, 3, 6, 13), "P1", u(2026, 3, 20), u(2026, 3, 20), "stated due wins over P1"),
    ],
)
def test_referral_due(
    sent_at: datetime, urgency: str, stated: datetime | None, expected: datetime, why: str
) -> None:
    assert referral_due(sent_at, urgency, stated) == expected, why


def test_referral_due_normalises_to_utc() -> None:
    plus2 = timezone(timedelta(hours=2))
    got = referral_due(datetime(2026, 3, 6, 15, tzinfo=plus2), "P1")
    assert got == u(2026, 3, 7, 13)
    assert got.tzinfo is UTC


def test_referral_due_rejects_unknown_urgency() -> None:
    with pytest.raises(ValueError, match="urgency"):
        referral_due(u(2026, 3, 6), "P9")


# --- statutory LPDV deadlines -------------------------------------------------------------------


SERVED = u(2026, 3, 6, 21, 15)


@pytest.mark.parametrize(
    ("rule", "moment", "expected"),
    [
        (urgent_measure_expires, SERVED, u(2026, 3, 8, 21, 15)),  # Art. 21(1): 48 h
        (extension_proposal_due, SERVED, u(2026, 3, 7, 21, 15)),  # Art. 18(2): 24 h
        (extension_decision_due, u(2026, 3, 7, 9), u(2026, 3, 8, 9)),  # Art. 19(3): 24 h
        (coordination_review_due, u(2026, 3, 6, 10), u(2026, 3, 21, 10)),  # Art. 25(3): 15 d
        (coordination_next_review_due, u(2026, 3, 21, 10), u(2026, 4, 5, 10)),
        (extension_expires, u(2026, 3, 8, 9), u(2026, 4, 7, 9)),  # Art. 21(2): 30 d
    ],
)
def test_statutory_deadline(
    rule: Callable[[datetime], datetime], moment: datetime, expected: datetime
) -> None:
    assert rule(moment) == expected


def test_statutory_constants() -> None:
    assert URGENT_MEASURE_HOURS == 48
    assert EXTENSION_PROPOSAL_HOURS == 24
    assert EXTENSION_DECISION_HOURS == 24
    assert EXTENSION_DAYS == 30
    assert COORDINATION_REVIEW_DAYS == 15


def test_statutory_periods_are_elapsed_time_not_wall_clock() -> None:
    # Served Saturday 28 March 2026 03:00 CET; DST starts the next night: 48 h are 48 h.
    served = bg(2026, 3, 28, 3)
    assert urgent_measure_expires(served) - served == timedelta(hours=48)
    assert urgent_measure_expires(served) == bg(2026, 3, 30, 4)


def test_extension_expires_stated_and_days() -> None:
    decided = u(2026, 3, 8, 9)
    assert extension_expires(decided, days=10) == u(2026, 3, 18, 9)
    stated = u(2026, 4, 7, 23, 59)
    assert extension_expires(decided, new_expires_at=stated) == stated
    with pytest.raises(ValueError):
        extension_expires(decided, days=0)


# --- judge ----------------------------------------------------------------------------------------


DUE = u(2026, 3, 7, 12)
DEADLINE = Deadline("extension_proposal", CASE, REF, DUE)


@pytest.mark.parametrize(
    ("met_at", "now", "status"),
    [
        (u(2026, 3, 7, 11), u(2026, 3, 7, 11), "met"),
        (DUE, u(2026, 3, 9), "met"),
        (u(2026, 3, 7, 12, 1), u(2026, 3, 9), "late"),
        (None, u(2026, 3, 7, 12, 1), "missed"),
        (None, DUE, "open"),
        (None, u(2026, 3, 6), "open"),
    ],
)
def test_judge(met_at: datetime | None, now: datetime, status: str) -> None:
    verdict = judge(DEADLINE, met_at, now)
    assert verdict == Verdict(DEADLINE, met_at, status)


def test_deadline_validates() -> None:
    with pytest.raises(ValueError, match="kind"):
        Deadline("coffee_break", CASE, REF, DUE)
    with pytest.raises(ValueError, match="status"):
        Verdict(DEADLINE, None, "pending")
    for kind in ("referral_answer", "extension_proposal", "extension_decision"):
        assert Deadline(kind, CASE, REF, DUE).kind == kind
    assert Deadline("coordination_review", CASE, REF, DUE).due_at == DUE


# --- naive datetimes ----------------------------------------------------------------------------


NAIVE = datetime(2026, 3, 6, 12)


@pytest.mark.parametrize(
    "call",
    [
        lambda: referral_due(NAIVE, "P1"),
        lambda: referral_due(u(2026, 3, 6), "P1", NAIVE),
        lambda: add_working_days(NAIVE, 1),
        lambda: urgent_measure_expires(NAIVE),
        lambda: extension_proposal_due(NAIVE),
        lambda: extension_decision_due(NAIVE),
        lambda: extension_expires(NAIVE),
        lambda: extension_expires(u(2026, 3, 6), new_expires_at=NAIVE),
        lambda: coordination_review_due(NAIVE),
        lambda: coordination_next_review_due(NAIVE),
        lambda: Deadline("referral_answer", CASE, REF, NAIVE),
        lambda: judge(DEADLINE, NAIVE, u(2026, 3, 9)),
        lambda: judge(DEADLINE, None, NAIVE),
    ],
)
def test_naive_datetime_rejected(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


# --- properties -----------------------------------------------------------------------------------


instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 12, 31), timezones=st.just(UTC)
)


@given(start=instants, n=st.integers(min_value=1, max_value=60))
def test_add_working_days_lands_on_working_day_after_start(start: datetime, n: int) -> None:
    got = add_working_days(start, n)
    assert got > start
    assert is_working_day(got.astimezone(BELGRADE).date())
    assert got.astimezone(BELGRADE).time() == start.astimezone(BELGRADE).time()


@given(start=instants, n=st.integers(min_value=0, max_value=60))
def test_add_working_days_is_monotonic(start: datetime, n: int) -> None:
    assert add_working_days(start, n) < add_working_days(start, n + 1)


@given(year=st.integers(min_value=1900, max_value=2099))
def test_orthodox_easter_is_sunday_in_april_or_may(year: int) -> None:
    easter = orthodox_easter(year)
    assert easter.isoweekday() == 7
    assert date(year, 4, 4) <= easter <= date(year, 5, 8)
