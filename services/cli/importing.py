"""`povezimo import csv FILE --institution csr.lazarevac`: a case register into the exchange;
`povezimo import activities FILE --institution ngo.azc`: a coordinator's spreadsheet of the
programme's activities."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from producers.activity_import import RowProblem as ActivityProblem
from producers.activity_import import problems_as_json, read_activities
from producers.programme import programme_id
from producers.programme_seed import PROGRAMME_CODE
from producers.publisher import Publisher, Relay, pending
from producers.register_import import read_register, site_key
from schemas.topics import submissions_topic
from services.bootstrap import Platform
from services.bus import BusError
from services.cli.common import BusOption, DataDirOption, console, platform

import_app = typer.Typer(help="Import existing registers as case events.")


# Both importers can write the rows they did not import as JSON.
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="Also write the rows not imported as JSON.")
]


@import_app.command("csv")
def import_csv(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The CSV export.")],
    institution: Annotated[
        str, typer.Option("--institution", help="The centre for social work that keeps it.")
    ],
    bus: BusOption = None,
    data_dir: DataDirOption = None,
    report: ReportOption = None,
) -> None:
    """Turn a CSR case register export into events, through the producer SDK's outbox."""
    out = console()
    with platform(bus, data_dir) as system:
        known = system.institutions.get(institution)
        if known is None or known.kind != "CSR" or not known.municipality:
            out.print(f"[red]{institution} is not a registered centre for social work[/]")
            raise typer.Exit(2)
        result = read_register(
            file,
            institution=institution,
            municipality=known.municipality,
            key=site_key(system.settings.data_dir / "import.key"),
            vault=system.vault,
        )
        publisher = Publisher(institution, system.codec, system.outbox_engine)
        publisher.submit_many(result.events)
        out.print(
            f"{result.imported_rows} rows imported as {len(result.events)} events; "
            f"{len(result.problems)} rows not imported"
        )
        if result.problems:
            table = Table("line", "why it was not imported", title="rows not imported")
            for problem in result.problems:
                table.add_row(str(problem.line), "; ".join(problem.reasons))
            out.print(table)
        if report:
            report.write_text(
                json.dumps(
                    [{"line": p.line, "reasons": list(p.reasons)} for p in result.problems],
                    ensure_ascii=False,
                    indent=2,
                )
                + "\n",
                encoding="utf-8",
            )
        try:
            sent = Relay(system.outbox_engine, system.bus, institution).deliver()
            out.print(f"{sent} events delivered to submissions.{institution}")
        except BusError as error:
            waiting = pending(system.outbox_engine, institution)
            out.print(f"[yellow]bus unavailable ({error}); {waiting} events wait in the outbox[/]")
        if result.problems:
            raise typer.Exit(1)


@import_app.command("activities")
def import_activities(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The CSV export.")],
    institution: Annotated[
        str,
        typer.Option("--institution", help="Who records them: the NGO or local government."),
    ],
    programme: Annotated[
        str, typer.Option("--programme", help="The programme's code (its id is derived from it).")
    ] = PROGRAMME_CODE,
    bus: BusOption = None,
    data_dir: DataDirOption = None,
    report: ReportOption = None,
) -> None:
    """Turn a coordinator's spreadsheet of activities into ActivityHeld events, through the
    producer SDK's outbox; every row not imported is listed with its line and reasons."""
    out = console()
    with platform(bus, data_dir) as system:
        known = system.institutions.get(institution)
        if known is None or not known.may_publish("ActivityHeld"):
            out.print(f"[red]{institution} is not a registered NGO or local government[/]")
            raise typer.Exit(2)
        now = dt.datetime.now(dt.UTC)
        result = read_activities(
            file,
            institution=institution,
            programme=programme_id(programme),
            known_place=lambda place: bool(system.institutions.by_municipality(place)),
            today=now.date(),
            recorded_at=now,
        )
        Publisher(institution, system.codec, system.outbox_engine).submit_many(result.events)
        out.print(f"{len(result.events)} activities imported; {len(result.problems)} rows not")
        _show_problems(out, result.problems, report)
        _deliver(system, out, institution)
        if result.problems:
            raise typer.Exit(1)


def _show_problems(out: Console, problems: list[ActivityProblem], report: Path | None) -> None:
    if problems:
        table = Table("line", "why it was not imported", title="rows not imported")
        for problem in problems:
            table.add_row(str(problem.line), "; ".join(problem.reasons))
        out.print(table)
    if report:
        text = json.dumps(problems_as_json(problems), ensure_ascii=False, indent=2) + "\n"
        report.write_text(text, encoding="utf-8")


def _deliver(system: Platform, out: Console, institution: str) -> None:
    try:
        sent = Relay(system.outbox_engine, system.bus, institution).deliver()
        out.print(f"{sent} events delivered to {submissions_topic(institution)}")
    except BusError as error:
        waiting = pending(system.outbox_engine, institution)
        out.print(f"[yellow]bus unavailable ({error}); {waiting} events wait in the outbox[/]")
