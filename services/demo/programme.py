"""``povezimo demo --programme``: the seed programme's own 2006-2007 work, recorded through the
same SDK and exchange as the cases, and a line of what the report of it says."""

from __future__ import annotations

import datetime as dt

from rich.table import Table

from producers.programme_seed import STARTED, seed_programme
from producers.scenario import Submission
from services.bootstrap import Platform
from services.reports.programme import ProgrammeReportRequest, programme_report

SEED_REPORT_END = "2007-12"


def seed_submissions(recorded_at: dt.datetime) -> list[Submission]:
    """The seed programme's events as their publishers (AŽC, the local governments) submit them."""
    return [
        Submission(event.header.source_institution, event)  # type: ignore[attr-defined]
        for event in seed_programme(recorded_at)
    ]


def programme_summary(system: Platform) -> Table:
    """The seed's figures as ``povezimo report programme`` finds them in the record."""
    report = programme_report(
        system, ProgrammeReportRequest(f"{STARTED:%Y-%m}", SEED_REPORT_END)
    ).to_json()
    table = Table("kind", "count", title=f"the programme {STARTED:%Y-%m} to {SEED_REPORT_END}")
    for row in report["activities"]["by_kind"]:
        table.add_row(row["kind"].lower().replace("_", " "), str(row["count"]))
    table.add_row("agreements in force", str(report["agreements"]["in_force"][0]["count"]))
    for row in report["services"]["by_service"]:
        table.add_row(row["service"].lower().replace("_", " "), str(row["count"]))
    return table
