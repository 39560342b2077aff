"""Generalising quasi-identifiers on the way into the aggregate (pure functions).

An exact birth year, date or small municipality can point at a household, so the aggregate keeps
only a 10-year age band, a calendar month, and a municipality or, below a population threshold,
the pool of its district.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

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


MIN_POOL_MEMBERS = 2
"""A pool of one municipality is that municipality under another name."""


def area_of(municipality: str | None, pool_below: int) -> str:
    """Where a case is counted: the municipality itself when at least ``pool_below`` people live
    there, else a pool of at least two municipalities with at least ``pool_below`` people together
    (``pool:<district>``, or the pool ``areas`` forms across districts when a district cannot).

    A municipality whose population is not known here is pooled as ``pool:other``: when in doubt,
    coarser.
    """
    if not municipality:
        return f"pool:{UNKNOWN}"
    if municipality not in MUNICIPALITIES:
        return "pool:other"
    return areas(pool_below)[municipality]


@lru_cache(maxsize=8)
def areas(pool_below: int) -> dict[str, str]:
    """Every known municipality's published area, for municipalities below ``pool_below``."""
    found = {m.slug: m.slug for m in MUNICIPALITIES.values() if m.population >= pool_below}
    by_district: dict[str, list[str]] = {}
    for m in MUNICIPALITIES.values():
        if m.population < pool_below:
            by_district.setdefault(m.district, []).append(m.slug)
    leftover: list[str] = []
    for district, members in sorted(by_district.items()):
        if _is_pool(members, pool_below):
            found |= dict.fromkeys(members, f"pool:{district}")
        else:
            leftover += members
    if leftover:
        # Districts too small to pool alone go together; if they are still too few or too small,
        # the least populous municipality published on its own joins them.
        while not _is_pool(leftover, pool_below) and len(leftover) < len(MUNICIPALITIES):
            smallest = min(
                (s for s in found if found[s] == s),
                key=lambda s: MUNICIPALITIES[s].population,
                default=None,
            )
            if smallest is None:
                break
            del found[smallest]
            leftover.append(smallest)
        found |= dict.fromkeys(leftover, "pool:" + "+".join(sorted(leftover)))
    return found


def _is_pool(members: list[str], pool_below: int) -> bool:
    people = sum(MUNICIPALITIES[s].population for s in members)
    return len(members) >= MIN_POOL_MEMBERS and people >= pool_below
