"""`povezimo import csv FILE --institution csr.lazarevac`: a case register into the exchange."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from producers.publisher import Publisher, Relay, pending
from producers.register_import import read_register, site_key
from services.bus import BusError
from services.cli.common import BusOption, DataDirOption, console, platform

import_app = typer.Typer(help="Import existing registers as case events.")


@import_app.command("csv")
def import_csv(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The CSV export.")],
    institution: Annotated[
        str, typer.Option("--institution", help="The centre for social work that keeps it.")
    ],
    bus: BusOption = None,
    data_dir: DataDirOption = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the rows not imported as JSON.")
    ] = None,
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
