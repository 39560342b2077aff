"""Generalising quasi-identifiers on the way into the aggregate (pure functions).

An exact birth year, date or small municipality can point at a household, so the aggregate keeps
only a 10-year age band, a calendar month, and a municipality or, below a population threshold,
the pool of its district.
"""

from __future__ import annotations

import datetime as dt

from schemas.institutions import MUNICIPALITIES

UNKNOWN = "unknown"
OLDEST_BAND = 80  # 80+ is one band: few enough people to stand out otherwise


def age_band(birth_year: int | None, at: dt.datetime) -> str:
    """The 10-year band of the age reached in ``at``'s year: "0-9", …, "70-79", "80+"."""
    if birth_year is None:
        return UNKNOWN
    age = at.astimezone(dt.UTC).year - birth_year
    if age < 0 or age > 130:
        return UNKNOWN
    if age >= OLDEST_BAND:
        return f"{OLDEST_BAND}+"
    low = age // 10 * 10
    return f"{low}-{low + 9}"


def month_of(at: dt.datetime) -> str:
    """The calendar month (UTC) as ``YYYY-MM``."""
    at = at.astimezone(dt.UTC)
    return f"{at.year}-{at.month:02d}"


def quarter_of(month: str) -> str:
    year, number = month.split("-")
    return f"{year}-Q{(int(number) - 1) // 3 + 1}"


def year_of(month: str) -> str:
    return month.split("-")[0]


def months_apart(earlier: str, later: str) -> int:
    """Whole calendar months from ``earlier`` to ``later`` (negative if later is earlier)."""
    (y1, m1), (y2, m2) = (map(int, earlier.split("-")), map(int, later.split("-")))
    return (y2 - y1) * 12 + (m2 - m1)


def shift_month(month: str, by: int) -> dt.datetime:
    """The first instant of the month ``by`` months after ``month``."""
    year, number = map(int, month.split("-"))
    index = year * 12 + number - 1 + by
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=dt.UTC)


def area_of(municipality: str | None, pool_below: int) -> str:
    """The municipality, or ``pool:<district>`` when fewer than ``pool_below`` people live there.

    A municipality whose population is not known here is pooled as ``pool:other``: when in doubt,
    coarser.
    """
    if not municipality:
        return f"pool:{UNKNOWN}"
    facts = MUNICIPALITIES.get(municipality)
    if facts is None:
        return "pool:other"
    if facts.population < pool_below:
        return f"pool:{facts.district}"
    return municipality
