"""`povezimo aggregate`: indicators of the regional aggregate, always through the release door."""

from __future__ import annotations

import csv
import getpass
import io
import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from consumers.indicators import releasable
from services.cli.common import USAGE, DataDirOption, console, fail, platform
from services.disclosure.model import PERIODS
from services.disclosure.privacy import BudgetExhausted
from services.disclosure.release import (
    Caller,
    Release,
    ReleaseError,
    ReleaseRequest,
    release,
)

FORMATS = ("table", "csv", "json")
WITHHELD = "x"  # how a withheld value reads in a table; in CSV it is empty, as in the API's


def aggregate(
    by: Annotated[
        str, typer.Option("--by", help="Dimensions, rows first: municipality,month,…")
    ] = "municipality,month",
    indicator: Annotated[
        str, typer.Option("--indicator", help="What to count (see --list).")
    ] = "reported_cases",
    output: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    threshold: Annotated[
        int | None, typer.Option("--threshold", help="Withhold counts below it (default 5).")
    ] = None,
    epsilon: Annotated[
        float | None, typer.Option("--epsilon", help="Add differentially private noise.")
    ] = None,
    period_from: Annotated[
        str | None,
        typer.Option(
            "--from", help="First period, inclusive: 2025, 2025-Q1, 2025-03 or 2025-03-01."
        ),
    ] = None,
    period_to: Annotated[
        str | None,
        typer.Option("--to", help="Last period, inclusive: 2025, 2025-Q4, 2025-12 or 2025-12-31."),
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the indicators.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Indicators of the pseudonymised regional aggregate, under disclosure control."""
    if list_:
        list_indicators(console())
        return
    if output not in FORMATS:
        fail("unknown_format", f"--format is one of {', '.join(FORMATS)}", USAGE)
    with platform(data_dir=data_dir) as system:
        request = ReleaseRequest(
            indicator=indicator,
            by=tuple(d.strip() for d in by.split(",") if d.strip()),
            threshold=threshold or system.settings.disclosure_threshold,
            epsilon=epsilon,
            period_from=period_from,
            period_to=period_to,
        )
        try:
            published = release(system, request, caller=Caller(f"cli:{getpass.getuser()}"))
        except ReleaseError as error:
            fail(error.code, str(error), USAGE)
        except BudgetExhausted as error:
            fail(error.code, str(error))
    if output == "json":
        sys.stdout.write(render_json(published))
    elif output == "csv":
        sys.stdout.write(render_csv(published))
    else:
        console().print(render_table(published))


def render_json(published: Release) -> str:
    return json.dumps(published.to_json(), ensure_ascii=False, indent=2) + "\n"


def render_csv(published: Release) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*published.by, *published.measures])
    for row in published.rows:
        writer.writerow(
            ["" if row[c] is None else row[c] for c in (*published.by, *published.measures)]
        )
    return buffer.getvalue()


def render_table(published: Release) -> Table:
    notes = []
    if published.threshold > 1:
        notes.append(f"counts 1-{published.threshold - 1} withheld: {WITHHELD}")
    if published.epsilon:
        notes.append(f"noise epsilon {published.epsilon:g}")
    title = published.indicator + (f" ({'; '.join(notes)})" if notes else "")
    table = Table(*published.by, *published.measures, title=title, caption=published.description)
    for row in published.rows:
        table.add_row(*(_text(row[c]) for c in (*published.by, *published.measures)))
    return table


def list_indicators(console: Console) -> None:
    """Every indicator with every dimension ``--by`` takes for it: one period, the
    municipality, and the indicator's own."""
    table = Table("indicator", "kind", "dimensions (--by)", "definition")
    for found in releasable():
        periods = ("year",) if found.kind == "distinct" else PERIODS  # a pseudonym's epoch
        dimensions = ", ".join([" | ".join(periods), "municipality", *found.dimensions])
        table.add_row(found.name, found.kind, dimensions, found.description)
    console.print(table)
    console.print(
        "--by names at most one period and at most one dimension besides the period and "
        "municipality, e.g. --by municipality,quarter or --by year,victim_sex."
    )


def _text(value: Any) -> str:
    return WITHHELD if value is None else str(value)
