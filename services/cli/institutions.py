"""``povezimo institutions``: list the registry of the data directory, or add an institution."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from schemas.institutions import KINDS, Institution, InstitutionRegistry
from services.cli.common import DataDirOption, console, fail
from services.platform.settings import Settings

institutions_app = typer.Typer(help="The institutions of the region and what each may publish.")


def _data_dir(data_dir: Path | None) -> Path:
    return data_dir or Settings().data_dir


def _open(data_dir: Path) -> InstitutionRegistry:
    try:
        return InstitutionRegistry.for_data_dir(data_dir)
    except ValueError as error:
        fail(f"cannot read the institution registry: {error}", 1)


def kind_symbol(text: str) -> str:
    """``legal-aid`` or ``legal_aid`` as people type it → ``LEGAL_AID`` as the schema spells it."""
    symbol = text.strip().upper().replace("-", "_")
    if symbol not in KINDS:
        raise typer.BadParameter(f"unknown kind {text!r}: one of {', '.join(KINDS)}")
    return symbol


def _kind_filter(text: str | None) -> str | None:
    return kind_symbol(text) if text else None


def _explain(error: ValidationError) -> str:
    """pydantic's errors as one line: ``id: 'Škola' is not an institution id …``."""
    parts = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "institution"
        parts.append(f"{where}: {problem['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


@institutions_app.command("list")
def list_institutions(
    data_dir: DataDirOption = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind.", callback=_kind_filter)] = None,
    municipality: Annotated[
        str | None, typer.Option(help="Only those seated in or serving this municipality slug.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The institutions of the registry (created from the seed network on first use)."""
    registry = _open(_data_dir(data_dir))
    found = registry.by_municipality(municipality) if municipality else list(registry)
    found = [i for i in found if kind is None or i.kind == kind]
    if as_json:
        rows = [i.model_dump(mode="json") for i in found]
        typer.echo(json.dumps({"institutions": rows}, ensure_ascii=False, indent=2))
        return
    table = Table("id", "kind", "name", "municipality", title=f"{len(found)} institutions")
    for institution in found:
        seat = institution.municipality or "—"
        table.add_row(institution.id, institution.kind, institution.name, seat)
    console().print(table)


@institutions_app.command("add")
def add_institution(
    institution_id: Annotated[
        str, typer.Option("--id", help="Stable slug, e.g. school.os-lazarevac-1.")
    ],
    kind: Annotated[
        str, typer.Option(help="Kind, e.g. SCHOOL or legal-aid.", callback=kind_symbol)
    ],
    name: Annotated[str, typer.Option(help="Official name, in Serbian.")],
    municipality: Annotated[str | None, typer.Option(help="Slug of the seat.")] = None,
    district: Annotated[str | None, typer.Option(help="Slug of the district.")] = None,
    serves: Annotated[
        list[str] | None,
        typer.Option("--serves", help="A municipality served (repeat); default: the seat."),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Register an institution in the data directory's registry."""
    try:
        institution = Institution(
            id=institution_id,
            kind=kind,
            name=name,
            municipality=municipality,
            district=district,
            serves=serves or [],
        )
    except ValidationError as error:
        fail(_explain(error), 1)
    directory = _data_dir(data_dir)
    registry = _open(directory)
    try:
        registry.add(institution)
    except ValueError as error:
        fail(str(error), 1)
    path = directory / InstitutionRegistry.FILE_NAME
    registry.save(path)
    served = ", ".join(institution.serves) or "—"
    typer.echo(f"added {institution.id} ({institution.kind}) {institution.name}; serves {served}")
    typer.echo(f"registry: {path}")
