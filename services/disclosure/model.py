"""What a coordinator asks the release door for, and the table it answers with."""

from __future__ import annotations

import calendar
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from consumers.indicators import FUNNELS, INDICATORS, Indicator
from services.platform.errors import KeepsItsParts

TOTAL = "*"
PERIODS = ("month", "quarter", "year")
ALIASES = {"area": "municipality", "pool": "municipality"}


class ReleaseError(KeepsItsParts, ValueError):
    """A release asked for something that does not exist; ``code`` says what."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


MIN_EPSILON = 0.01
"""Below it the noise drowns any count (and OpenDP's search for its scale fails)."""
MAX_EPSILON = 10.0
"""Above it the noise protects nobody; the budget is smaller anyway."""


def branches_of(by: tuple[str, ...]) -> list[str]:
    """The dimensions of ``by`` besides the municipality and the period."""
    return [d for d in by if d not in (*PERIODS, "municipality")]


_YEAR = re.compile(r"(\d{4})")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_DAY = re.compile(r"(\d{4})-(0[1-9]|1[0-2])-(\d{2})")


def months_of(period: str) -> tuple[str, str]:
    """The first and last month of a year (``2025``), quarter (``2025-Q1``), month
    (``2025-03``) or, for a distinct count's base, year."""
    if found := _QUARTER.fullmatch(period):
        year, first = found[1], (int(found[2]) - 1) * 3 + 1
        return f"{year}-{first:02d}", f"{year}-{first + 2:02d}"
    if _MONTH.fullmatch(period):
        return period, period
    return f"{period}-01", f"{period}-12"


def _bound(text: str, end: bool) -> tuple[str, str]:
    """The months a ``--from`` (``end`` False) or ``--to`` value names: a period, or an ISO date
    that is the first (or the last) day of a month."""
    value = text.strip()
    if day := _DAY.fullmatch(value):
        year, month, number = int(day[1]), int(day[2]), int(day[3])
        last_day = calendar.monthrange(year, month)[1]
        if not 1 <= number <= last_day:
            raise ReleaseError("bad_period", f"{text!r} is not a date")
        if number != (last_day if end else 1):
            which = "the last day of a month" if end else "the first day of a month"
            raise ReleaseError(
                "period_not_whole",
                f"{'--to' if end else '--from'} {text!r}: a date must be {which}; "
                "releases hold whole months",
            )
        return months_of(value[:7])
    if _YEAR.fullmatch(value) or _QUARTER.fullmatch(value) or _MONTH.fullmatch(value):
        return months_of(value)
    raise ReleaseError(
        "bad_period",
        f"{text!r} is not a period: a year (2025), quarter (2025-Q1), month (2025-03) or date "
        "(2025-03-01)",
    )


@dataclass(frozen=True)
class PeriodRange:
    """The months a release is limited to, first and last inclusive (``YYYY-MM``)."""

    first: str
    last: str

    def holds(self, period: str) -> bool:
        """Whether every month of ``period`` (a month, quarter or year) is in the range."""
        first, last = months_of(period)
        return self.first <= first and last <= self.last

    @property
    def single(self) -> tuple[str, str] | None:
        """The one year, quarter or month the range is exactly (its level and label), if any."""
        for level, period in (
            ("month", self.first),
            ("quarter", _quarter(self.first)),
            ("year", self.first[:4]),
        ):
            if months_of(period) == (self.first, self.last):
                return level, period
        return None

    def cuts(self, level: str) -> bool:
        """Whether the range begins or ends inside a period of ``level``."""
        if level == "month":
            return False
        widen = _quarter if level == "quarter" else (lambda month: month[:4])
        whole = (months_of(widen(self.first))[0], months_of(widen(self.last))[1])
        return whole != (self.first, self.last)


def _quarter(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:]) - 1) // 3 + 1}"


def period_range(start: str | None, end: str | None) -> PeriodRange | None:
    """The months ``--from start --to end`` name (either may be left out), or ``None``."""
    if start is None and end is None:
        return None
    first = _bound(start, end=False)[0] if start is not None else "0000-01"
    last = _bound(end, end=True)[1] if end is not None else "9999-12"
    if first > last:
        raise ReleaseError("empty_period_range", f"--from {start} is after --to {end}")
    return PeriodRange(first, last)


@dataclass(frozen=True)
class ReleaseRequest:
    indicator: str = "reported_cases"
    by: tuple[str, ...] = ("municipality", "month")
    threshold: int = 5
    epsilon: float | None = None
    period_from: str | None = None  # --from: a year, quarter, month, or a month's first day
    period_to: str | None = None  # --to: the same, or a month's last day; both inclusive

    def period(self) -> PeriodRange | None:
        """The months the release is limited to, checked against its period dimension: whole
        periods of it (whole years for distinct people), or without one, exactly one period."""
        found, by = self.checked()
        return self._period(found, by)

    def _period(self, found: Indicator, by: tuple[str, ...]) -> PeriodRange | None:
        limit = period_range(self.period_from, self.period_to)
        if limit is None:
            return None
        level = next((d for d in by if d in PERIODS), None)
        if found.kind == "distinct":
            if limit.cuts("year"):
                raise ReleaseError(
                    "period_not_whole", "distinct people are counted by year: limit by whole years"
                )
        elif level is not None and limit.cuts(level):
            raise ReleaseError(
                "period_not_whole",
                f"a table by {level} is limited by whole {level}s: --from and --to name a "
                f"{level}, or a larger period",
            )
        if level is None and limit.single is None:
            raise ReleaseError(
                "period_not_whole",
                "without a period in by, --from and --to name one year, quarter or month "
                "(or name a period in by)",
            )
        return limit

    def checked(self) -> tuple[Indicator, tuple[str, ...]]:
        found = INDICATORS.get(self.indicator)
        if found is None:
            raise ReleaseError(
                "unknown_indicator",
                f"no indicator {self.indicator!r}: {', '.join([*INDICATORS, *FUNNELS])}",
            )
        by = tuple(ALIASES.get(d, d) for d in self.by)
        for dim in by:
            if dim not in found.allowed:
                raise ReleaseError(
                    "unknown_dimension",
                    f"{self.indicator} has no dimension {dim!r}: {', '.join(found.allowed)}",
                )
        if len(set(by)) != len(by) or len(set(by) & set(PERIODS)) > 1:
            raise ReleaseError("dimensions_overlap", "name each dimension, and one period, once")
        if len(branches_of(by)) > 1:
            # Two such dimensions crossed need their joint counts, which the protected cube
            # does not hold (services.disclosure.cube).
            raise ReleaseError(
                "too_many_dimensions",
                "name at most one dimension besides municipality and the period",
            )
        if found.kind == "distinct" and set(by) & {"month", "quarter"}:
            raise ReleaseError(
                "period_too_fine", "distinct people are counted by year (a pseudonym's epoch)"
            )
        if self.threshold < 1:
            raise ReleaseError("bad_threshold", "the threshold is at least 1")
        if self.epsilon is not None and not MIN_EPSILON <= self.epsilon <= MAX_EPSILON:
            raise ReleaseError("bad_epsilon", f"epsilon is from {MIN_EPSILON:g} to {MAX_EPSILON:g}")
        if self.epsilon is not None and found.kind == "median":
            raise ReleaseError("bad_epsilon", "a median has no private version")
        self._period(found, by)
        return found, by


@dataclass
class Release:
    indicator: str
    description: str
    kind: str
    by: tuple[str, ...]
    threshold: int
    epsilon: float | None
    measures: tuple[str, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)
    period_from: str | None = None  # the first month of a release limited by --from
    period_to: str | None = None  # the last month of a release limited by --to

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"by": list(self.by), "measures": list(self.measures)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Release:
        return cls(**(data | {"by": tuple(data["by"]), "measures": tuple(data["measures"])}))
