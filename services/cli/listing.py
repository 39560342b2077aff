"""How every listing command prints: ``--format table|csv|json``, the same cells in each.

CSV and JSON are read by programs, so they carry every value whole; a missing or withheld value
is an empty CSV cell, as in the HTTP API's CSV. Only a table on a terminal may fold a long value."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
import uuid
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from services.cli.common import console


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


FormatOption = Annotated[
    Format, typer.Option("--format", help="table, csv or json (CSV and JSON never cut a value).")
]


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def as_json(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False, indent=2)


def table_cell(value: Any) -> str:
    """A value as a person reads it in a table: minutes, not microseconds."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, list | tuple):
        return ",".join(str(part) for part in value)
    return str(value)


def csv_cell(value: Any) -> str:
    """A value whole, as a program reads it: ISO times, and nothing for a missing one."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ",".join(str(part) for part in value)
    return str(value)


def render_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def folding_table(*columns: str, title: str | None = None) -> Table:
    """A table whose long values wrap whole on a narrow terminal, never cut to "…"."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def print_listing(
    output: Format,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    title: str,
    document: Any = None,
) -> None:
    """``rows`` under ``columns`` in the format asked; JSON prints ``document`` (default: a list
    of objects, one a row), so a command keeps the JSON shape it always had."""
    if output is Format.json:
        found = [dict(zip(columns, row, strict=True)) for row in rows]
        sys.stdout.write(as_json(found if document is None else document) + "\n")
    elif output is Format.csv:
        sys.stdout.write(render_csv(columns, rows))
    else:
        table = folding_table(*columns, title=title)
        for row in rows:
            table.add_row(*(table_cell(value) for value in row))
        console().print(table)
