"""The programme report: its own work in a period, and the case indicators of the same places and
period beside it, which come only through the release door (``services.disclosure.release``).

``ProgrammeReportRequest`` checks what it is asked (months, order, a known municipality) and
answers a ``ReportError`` with a machine-readable code; ``programme_report`` reads the programme's
record and the releases and returns a ``ProgrammeReport`` whose ``to_json`` is what every format
is made from.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from consumers.generalise import area_of
from consumers.programme_queries import (
    activities_held,
    agreements_in_force,
    recorded_span,
    services_established,
)
from services.disclosure.release import TOTAL, Caller, Release, ReleaseRequest, release
from services.platform.errors import KeepsItsParts
from services.reports.figures import (
    activity_figures,
    agreement_figures,
    participant_figures,
    service_figures,
)

if TYPE_CHECKING:
    from services.bootstrap import Platform

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
CASE_INDICATORS = ("reported_cases", "referrals_sent", "urgent_measure_rate", "plan_coverage")
"""What is reported beside the programme's work: cases, referrals, urgent measures and plans."""


class ReportError(KeepsItsParts, ValueError):
    """A report asked for something that cannot be; ``code`` says what."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


@dataclass(frozen=True)
class ProgrammeReportRequest:
    start: str | None = None  # YYYY-MM; None: from the first month recorded
    end: str | None = None  # YYYY-MM; None: to the last
    municipality: str | None = None

    def checked(self, known_places: set[str]) -> None:
        for name, value in (("from", self.start), ("to", self.end)):
            if value is not None and not MONTH.match(value):
                raise ReportError("bad_month", f"{name} {value[:20]!r} is not a month (YYYY-MM)")
        if self.start and self.end and self.start > self.end:
            raise ReportError("months_out_of_order", "from is after to")
        if self.municipality is not None and self.municipality not in known_places:
            raise ReportError(
                "unknown_municipality", "no registered institution serves that municipality"
            )


@dataclass
class ProgrammeReport:
    start: str | None
    end: str | None
    municipality: str | None
    activities: dict[str, list[dict[str, Any]]]
    participants: dict[str, list[dict[str, Any]]]
    agreements: dict[str, list[dict[str, Any]]]
    services: dict[str, list[dict[str, Any]]]
    cases: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "report": "programme",
            "from": self.start,
            "to": self.end,
            "municipality": self.municipality,
            "activities": self.activities,
            "participants": self.participants,
            "agreements": self.agreements,
            "services": self.services,
            "cases": self.cases,
        }


def first_day(month: str) -> dt.date:
    year, number = map(int, month.split("-"))
    return dt.date(year, number, 1)


def last_day(month: str) -> dt.date:
    year, number = map(int, month.split("-"))
    return dt.date(year, number, calendar.monthrange(year, number)[1])


def programme_report(
    platform: Platform,
    request: ProgrammeReportRequest,
    *,
    caller: Caller | None = None,
    now: dt.datetime | None = None,
) -> ProgrammeReport:
    """The report ``request`` asks for, from the programme's record and the release door (as of
    ``now``: only closed months are released)."""
    places = {place for i in platform.institutions for place in i.serves}
    request.checked(places)
    with platform.views_engine.connect() as conn:
        span = recorded_span(conn)
        start = request.start or (f"{span[0]:%Y-%m}" if span else None)
        end = request.end or (f"{span[1]:%Y-%m}" if span else None)
        first = first_day(start) if start else dt.date.min
        last = last_day(end) if end else dt.date.max
        place = request.municipality
        held = activities_held(conn, first, last, place)
        in_force = agreements_in_force(conn, first, last, place)
        established = services_established(conn, first, last, place)
    return ProgrammeReport(
        start=start,
        end=end,
        municipality=place,
        activities=activity_figures(held),
        participants=participant_figures(held),
        agreements=agreement_figures(in_force),
        services=service_figures(established),
        cases=case_indicators(platform, start, end, place, caller=caller, now=now),
    )


def case_indicators(
    platform: Platform,
    start: str | None,
    end: str | None,
    municipality: str | None,
    *,
    caller: Caller | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The released cells of each case indicator for the places and months of the report.

    Each indicator is released by municipality (small ones pooled) and month through the door,
    under the platform's threshold; the report keeps the cells of its months and place as they
    were released (a withheld value stays ``null``). A period total is given only where every
    month of it was released, so it is a sum of published figures and narrows nothing.
    """
    settings = platform.settings
    area = area_of(municipality, settings.pool_population) if municipality else None
    found: list[dict[str, Any]] = []
    for name in CASE_INDICATORS:
        published = release(
            platform,
            ReleaseRequest(name, ("municipality", "month"), settings.disclosure_threshold),
            caller=caller or Caller("programme report", "report"),
            now=now,
        )
        found.append(_within(published, start, end, area))
    return {
        "area": area,
        "threshold": settings.disclosure_threshold,
        "indicators": found,
    }


def _within(
    published: Release, start: str | None, end: str | None, area: str | None
) -> dict[str, Any]:
    def wanted(row: dict[str, Any]) -> bool:
        month, place = row["month"], row["municipality"]
        in_period = month != TOTAL and (start or month) <= month <= (end or month)
        # Without a place, the areas and the region's total; with one, its area alone.
        return in_period and (place == area if area else True)

    rows = [row for row in published.rows if wanted(row)]
    return {
        "indicator": published.indicator,
        "kind": published.kind,
        "measures": list(published.measures),
        "rows": rows,
        "period_totals": _period_totals(rows, published.measures),
    }


def _period_totals(rows: list[dict[str, Any]], measures: tuple[str, ...]) -> list[dict[str, Any]]:
    """Per area, the sum over the period's months of each count measure, where none is withheld."""
    summed = [m for m in measures if m in ("count", "numerator", "denominator")]
    totals: list[dict[str, Any]] = []
    for place in sorted({row["municipality"] for row in rows}):
        mine = [row for row in rows if row["municipality"] == place]
        total: dict[str, Any] = {"municipality": place, "months": len(mine)}
        for measure in summed:
            values = [row[measure] for row in mine]
            total[measure] = None if None in values else sum(values)
        if "rate" in measures:
            n, d = total.get("numerator"), total.get("denominator")
            total["rate"] = round(n / d, 4) if n is not None and d else None
        totals.append(total)
    return totals
