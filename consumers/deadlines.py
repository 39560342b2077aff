"""Deadline rules of the Law on Prevention of Domestic Violence, as pure functions.

LPDV = Zakon o sprečavanju nasilja u porodici (Sl. glasnik RS 94/2016, applied from 1 June 2017).

Everything here is pure: no I/O and no wall clock. Every moment is passed in, so the deadline
watcher, which is driven by event time, computes the same deadlines and verdicts on every replay.

Inputs must be timezone-aware datetimes (a naive one raises ``ValueError``); every datetime
returned is in UTC. Statutory periods in hours or days (Art. 18, 19, 21, 25) are elapsed time
added to the UTC instant. Working days (the P3 referral default) are counted on the calendar of
Europe/Belgrade: the local day an instant falls on decides whether it is a working day, and the
local time of day is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from uuid import UUID
from zoneinfo import ZoneInfo

__all__ = [
    "COORDINATION_REVIEW_DAYS",
    "DEADLINE_KINDS",
    "EXTENSION_DAYS",
    "EXTENSION_DECISION_HOURS",
    "EXTENSION_PROPOSAL_HOURS",
    "REFERRAL_DEFAULT_HOURS",
    "REFERRAL_P3_WORKING_DAYS",
    "URGENT_MEASURE_HOURS",
    "VERDICT_STATUSES",
    "Deadline",
    "Verdict",
    "add_working_days",
    "coordination_next_review_due",
    "coordination_review_due",
    "extension_decision_due",
    "extension_expires",
    "extension_proposal_due",
    "holidays",
    "is_working_day",
    "judge",
    "orthodox_easter",
    "referral_due",
    "urgent_measure_expires",
]

BELGRADE = ZoneInfo("Europe/Belgrade")

URGENT_MEASURE_HOURS = 48  # LPDV Art. 21(1): 48 hours from service of the order
EXTENSION_PROPOSAL_HOURS = 24  # LPDV Art. 18(2): prosecutor's proposal within 24 h of service
EXTENSION_DECISION_HOURS = 24  # LPDV Art. 19(3): court decides within 24 h of the proposal
EXTENSION_DAYS = 30  # LPDV Art. 21(2): the court may extend the measure "for another 30 days"
COORDINATION_REVIEW_DAYS = 15  # LPDV Art. 25(3): the group meets at least once every 15 days

REFERRAL_DEFAULT_HOURS = {"P1": 24, "P2": 72}  # common.Urgency
REFERRAL_P3_WORKING_DAYS = 5  # common.Urgency P3; OTHER falls back to P3 here

DEADLINE_KINDS = frozenset(
    {"referral_answer", "extension_proposal", "extension_decision", "coordination_review"}
)
VERDICT_STATUSES = frozenset({"met", "late", "missed", "open"})


def _utc(moment: datetime, name: str = "datetime") -> datetime:
    """Return ``moment`` in UTC; raise ValueError if it is naive."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {moment!r}")
    return moment.astimezone(UTC)


# --- Serbian calendar -------------------------------------------------------------------------


def orthodox_easter(year: int) -> date:
    """Orthodox Easter Sunday of ``year`` as a Gregorian date.

    Julian computus (Meeus' algorithm), then Julian -> Gregorian by adding the calendar drift
    ``year // 100 - year // 400 - 2`` days (13 days for 1900-2099). Orthodox Easter is a
    Serbian religious holiday (Law on State and Other Holidays, Art. 2).
    """
    a, b, c = year % 4, year % 7, year % 19
    d = (19 * c + 15) % 30
    e = (2 * a + 4 * b - d + 34) % 7
    month, day = divmod(d + e + 114, 31)
    julian = date(year, month, day + 1)
    return julian + timedelta(days=year // 100 - year // 400 - 2)


# State holidays that are non-working days (Law on State and Other Holidays in the Republic of
# Serbia, Sl. glasnik RS 43/2001, 101/2007, 92/2011, Art. 1, 1a, 3): New Year 1-2 January,
# Statehood Day (Sretenje) 15-16 February, Labour Day 1-2 May, Armistice Day 11 November.
# Victory Day (9 May) is a state holiday but a working day (Art. 3), so it is not listed.
_STATE_HOLIDAYS: tuple[tuple[tuple[int, int], ...], ...] = (
    ((1, 1), (1, 2)),
    ((2, 15), (2, 16)),
    ((5, 1), (5, 2)),
    ((11, 11),),
)
_CHRISTMAS = (1, 7)  # first day of (Orthodox) Christmas, religious holiday (Art. 2(1))


@lru_cache(maxsize=256)
def holidays(year: int) -> frozenset[date]:
    """Serbian public non-working days of ``year`` (besides Saturdays and Sundays).

    Implemented exactly as follows:
    - the state holidays above (1-2 Jan, 15-16 Feb, 1-2 May, 11 Nov);
    - the religious holidays of Art. 2: 7 January (Orthodox Christmas) and the Easter holidays
      from Orthodox Good Friday through Easter Monday (Friday, Saturday, Sunday, Monday);
    - Art. 3a: when a day of a *state* holiday falls on a Sunday, the first following working
      day is also off; "working day" there skips Saturdays, Sundays and every holiday above
      (e.g. 2016 and 2027: 2 May is Easter Sunday and 3 May Easter Monday, so 4 May is off).
      The rule is not applied to 7 January or to the Easter holidays (religious holidays), nor
      to 9 May (a working day anyway).
    Holidays of other faiths (Art. 4, for their members only) are not non-working days for the
    institutions as a whole and are not included.
    """
    easter = orthodox_easter(year)
    base = {date(year, m, d) for group in _STATE_HOLIDAYS for m, d in group}
    base.add(date(year, *_CHRISTMAS))
    base.update(easter + timedelta(days=k) for k in (-2, -1, 0, 1))
    extra: set[date] = set()
    for group in _STATE_HOLIDAYS:
        for sunday in (date(year, m, d) for m, d in group):
            if sunday.isoweekday() != 7:
                continue
            day = sunday + timedelta(days=1)
            while day.isoweekday() >= 6 or day in base or day in extra:
                day += timedelta(days=1)
            extra.add(day)
    return frozenset(base | extra)


def is_working_day(day: date) -> bool:
    """True if ``day`` is Monday-Friday and not a Serbian public non-working day (see holidays)."""
    if isinstance(day, datetime):
        raise TypeError("is_working_day takes a date; convert an instant with its local day")
    return day.isoweekday() <= 5 and day not in holidays(day.year)


def add_working_days(start: datetime, days: int) -> datetime:
    """The instant ``days`` working days after ``start``, keeping the Belgrade time of day.

    Counting starts with the first working day after the local (Europe/Belgrade) day of
    ``start``: 5 working days after Friday 14:00 is the next Friday 14:00 when no holiday
    intervenes; from a Saturday or a holiday the first counted day is the next working day.
    ``days == 0`` returns ``start`` unchanged (in UTC). The result always falls on a working day,
    and since DST changes happen on Sundays its local time always exists.
    """
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    local = _utc(start, "start").astimezone(BELGRADE)
    day = local.date()
    for _ in range(days):
        day += timedelta(days=1)
        while not is_working_day(day):
            day += timedelta(days=1)
    if days == 0:
        return local.astimezone(UTC)
    moved = datetime.combine(day, local.time(), tzinfo=BELGRADE)
    return moved.astimezone(UTC)


# --- Statutory deadlines ----------------------------------------------------------------------


def referral_due(sent_at: datetime, urgency: str, stated_due: datetime | None = None) -> datetime:
    """When the recipient must accept or decline a referral (ReferralSent.due_at / urgency).

    A ``stated_due`` (ReferralSent.due_at, e.g. fitted to an LPDV deadline) overrides the default.
    Otherwise: P1 24 hours, P2 72 hours, P3 5 working days (add_working_days). OTHER has no
    default of its own in the schema; it is treated as P3 so every referral has a due time.
    """
    sent = _utc(sent_at, "sent_at")
    if stated_due is not None:
        return _utc(stated_due, "stated_due")
    if urgency in REFERRAL_DEFAULT_HOURS:
        return sent + timedelta(hours=REFERRAL_DEFAULT_HOURS[urgency])
    if urgency in ("P3", "OTHER"):
        return add_working_days(sent, REFERRAL_P3_WORKING_DAYS)
    raise ValueError(f"unknown urgency {urgency!r}; expected P1, P2, P3 or OTHER")


def urgent_measure_expires(served_at: datetime) -> datetime:
    """End of an urgent measure unless extended: 48 hours from service (LPDV Art. 17, 21(1))."""
    return _utc(served_at, "served_at") + timedelta(hours=URGENT_MEASURE_HOURS)


def extension_proposal_due(served_at: datetime) -> datetime:
    """Last moment for the basic public prosecutor's extension proposal: 24 hours from service
    of the urgent-measure order (LPDV Art. 18(2))."""
    return _utc(served_at, "served_at") + timedelta(hours=EXTENSION_PROPOSAL_HOURS)


def extension_decision_due(proposed_at: datetime) -> datetime:
    """Last moment for the basic court's decision on the extension: 24 hours from the proposal
    (LPDV Art. 19(3) counts from the court's *receipt*; the filing time is used, as in
    ExtensionProposed.decision_due_at - pass the receipt time instead when it is known)."""
    return _utc(proposed_at, "proposed_at") + timedelta(hours=EXTENSION_DECISION_HOURS)


def extension_expires(
    decided_at: datetime, days: int = EXTENSION_DAYS, new_expires_at: datetime | None = None
) -> datetime:
    """End of an extended urgent measure (LPDV Art. 21(2): "for another 30 days").

    ``new_expires_at`` (ExtensionDecided.new_expires_at), when stated, wins: the court's decision
    says when the measure ends. Otherwise the 30 days (ExtensionDecided.extension_days) are
    counted from the court decision (``decided_at``), as elapsed time. The law does not say from
    which moment the 30 days run; counting from the decision is the choice made here (the
    alternative reading counts them from the end of the 48 hours).
    """
    decided = _utc(decided_at, "decided_at")
    if new_expires_at is not None:
        return _utc(new_expires_at, "new_expires_at")
    if days <= 0:
        raise ValueError(f"days must be > 0, got {days}")
    return decided + timedelta(days=days)


def coordination_review_due(assessed_at: datetime) -> datetime:
    """Latest time by which a case assessed as IMMINENT_DANGER must be on the coordination and
    cooperation group's agenda (CaseConferenceScheduled/Held): 15 days after the assessment.

    Derived from LPDV Art. 25(2)-(3) (the group reviews every case and meets at least once every
    15 days; Art. 26 its composition) and Art. 31(1) (a case with imminent danger gets an
    individual protection and support plan from the group).
    """
    return _utc(assessed_at, "assessed_at") + timedelta(days=COORDINATION_REVIEW_DAYS)


def coordination_next_review_due(held_at: datetime) -> datetime:
    """Next review of a case after a group meeting: at the latest 15 days after it
    (LPDV Art. 25(3); CaseConferenceHeld.next_review_due_at)."""
    return _utc(held_at, "held_at") + timedelta(days=COORDINATION_REVIEW_DAYS)


# --- Judging a deadline -----------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """A deadline of one case, belonging to a referral, measure or assessment (``subject_ref``)."""

    kind: str
    case_id: UUID
    subject_ref: UUID
    due_at: datetime

    def __post_init__(self) -> None:
        if self.kind not in DEADLINE_KINDS:
            raise ValueError(f"unknown deadline kind {self.kind!r}")
        object.__setattr__(self, "due_at", _utc(self.due_at, "due_at"))


@dataclass(frozen=True)
class Verdict:
    """How a deadline stands: met, late (met after due), missed (not met, due passed) or open."""

    deadline: Deadline
    met_at: datetime | None
    status: str

    def __post_init__(self) -> None:
        if self.status not in VERDICT_STATUSES:
            raise ValueError(f"unknown verdict status {self.status!r}")


def judge(deadline: Deadline, met_at: datetime | None, now: datetime) -> Verdict:
    """Judge ``deadline`` at event time ``now``.

    met: met_at <= due_at; late: met_at > due_at; missed: no met_at and now > due_at;
    open: no met_at and now <= due_at (due exactly now is still open).
    """
    current = _utc(now, "now")
    if met_at is not None:
        met = _utc(met_at, "met_at")
        return Verdict(deadline, met, "met" if met <= deadline.due_at else "late")
    return Verdict(deadline, None, "missed" if current > deadline.due_at else "open")
