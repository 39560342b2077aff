"""`povezimo report programme`: the programme's work in a period, beside its case indicators."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from services.cli.common import USAGE, BusOption, DataDirOption, fail, platform
from services.reports.programme import ProgrammeReportRequest, programme_report
from services.reports.render import FORMATS, render

report_app = typer.Typer(help="Reports for coordinators.")


@report_app.command("programme")
def programme(
    start: Annotated[str, typer.Option("--from", help="First month, YYYY-MM.")],
    end: Annotated[str, typer.Option("--to", help="Last month, YYYY-MM.")],
    municipality: Annotated[
        str | None, typer.Option("--municipality", help="One municipality's slug, e.g. golubac.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="md, html, pdf or json.")] = "md",
    lang: Annotated[str, typer.Option("--lang", help="sr (Latin) or en.")] = "sr",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (standard output otherwise).")
    ] = None,
    bus: BusOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Activities, participants, agreements and services of the programme, and the case
    indicators of the same places and months (disclosure-controlled)."""
    if fmt not in FORMATS:
        fail("unknown_format", f"--format {fmt!r}: one of {', '.join(FORMATS)}", USAGE)
    if lang not in ("sr", "en"):
        fail("unknown_lang", f"--lang {lang!r}: sr or en", USAGE)
    with platform(bus, data_dir) as system:
        system.create_tables()  # a report of a platform that never ran is an empty one
        if municipality and not system.institutions.by_municipality(municipality):
            fail(
                "unknown_municipality",
                f"no registered institution serves {municipality!r} (`povezimo institutions "
                "list` shows where each serves)",
            )
        report = programme_report(system, ProgrammeReportRequest(start, end, municipality))
        document = render(report.to_json(), fmt, lang)
    if out is not None:
        out.write_bytes(document)
        typer.echo(f"wrote {out} ({len(document)} bytes)", err=True)
    else:
        sys.stdout.buffer.write(document)
        sys.stdout.buffer.flush()
