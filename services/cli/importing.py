"""`povezimo import csv FILE --institution csr.lazarevac`: a case register into the exchange;
`povezimo import activities FILE --institution ngo.azc`: a coordinator's spreadsheet of the
programme's activities."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Protocol

import typer
from rich.console import Console

from producers.activity_import import read_activities
from producers.programme import programme_id
from producers.programme_seed import PROGRAMME_CODE
from producers.publisher import Publisher, Relay, pending
from producers.register_import import read_register, site_key
from schemas.topics import submissions_topic
from services.bootstrap import Platform
from services.bus import BusError
from services.cli.common import BusOption, DataDirOption, console, fail, platform
from services.cli.listing import Format, print_listing

import_app = typer.Typer(help="Import existing registers as case events.")


# Both importers can write the rows they did not import as JSON.
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="Also write the rows not imported as JSON.")
]
# The summary goes with the listing on a table; beside CSV or JSON it goes to standard error.
ImportFormatOption = Annotated[
    Format,
    typer.Option("--format", help="The rows not imported as a table, csv or json."),
]


class RowProblem(Protocol):
    @property
    def line(self) -> int: ...
    @property
    def reasons(self) -> tuple[str, ...]: ...


def _narrator(output: Format) -> Console:
    return console() if output is Format.table else Console(stderr=True)


@import_app.command("csv")
def import_csv(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The CSV export.")],
    institution: Annotated[
        str, typer.Option("--institution", help="The centre for social work that keeps it.")
    ],
    bus: BusOption = None,
    data_dir: DataDirOption = None,
    report: ReportOption = None,
    output: ImportFormatOption = Format.table,
) -> None:
    """Turn a CSR case register export into events, through the producer SDK's outbox.

    On a directory that holds no platform yet it starts the institution's side there."""
    out = _narrator(output)
    with platform(bus, data_dir, creates=True) as system:
        known = system.institutions.get(institution)
        if known is None or known.kind != "CSR" or not known.municipality:
            fail(
                "unknown_institution",
                f"{institution!r} is not a registered centre for social work "
                "(`povezimo institutions list --kind csr` lists them)",
            )
        result = read_register(
            file,
            institution=institution,
            municipality=known.municipality,
            key=site_key(system.settings.data_dir / "import.key"),
            vault=system.vault,
        )
        Publisher(institution, system.codec, system.outbox_engine).submit_many(result.events)
        out.print(
            f"{result.imported_rows} rows imported as {len(result.events)} events; "
            f"{len(result.problems)} rows not imported"
        )
        _show_problems(output, result.problems, report)
        _deliver(system, out, institution)
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
    output: ImportFormatOption = Format.table,
) -> None:
    """Turn a coordinator's spreadsheet of activities into ActivityHeld events, through the
    producer SDK's outbox; every row not imported is listed with its line and reasons.

    On a directory that holds no platform yet it starts the institution's side there."""
    out = _narrator(output)
    with platform(bus, data_dir, creates=True) as system:
        known = system.institutions.get(institution)
        if known is None or not known.may_publish("ActivityHeld"):
            fail(
                "unknown_institution",
                f"{institution!r} is not a registered NGO or local government "
                "(`povezimo institutions list --kind ngo` lists them)",
            )
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
        _show_problems(output, result.problems, report)
        _deliver(system, out, institution)
        if result.problems:
            raise typer.Exit(1)


def _show_problems(output: Format, problems: Sequence[RowProblem], report: Path | None) -> None:
    document = [{"line": p.line, "reasons": list(p.reasons)} for p in problems]
    if problems or output is not Format.table:  # a program reads an empty list, a person nothing
        rows = [(p.line, "; ".join(p.reasons)) for p in problems]
        columns = ("line", "why it was not imported")
        print_listing(output, columns, rows, title="rows not imported", document=document)
    if report:
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        report.write_text(text, encoding="utf-8")


def _deliver(system: Platform, out: Console, institution: str) -> None:
    try:
        sent = Relay(system.outbox_engine, system.bus, institution).deliver()
        out.print(f"{sent} events delivered to {submissions_topic(institution)}")
    except BusError as error:
        waiting = pending(system.outbox_engine, institution)
        out.print(f"[yellow]bus unavailable ({error}); {waiting} events wait in the outbox[/]")
