"""``povezimo institutions``: list the registry of the data directory, or add an institution."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from schemas.institutions import KINDS, Institution, InstitutionRegistry
from services.cli.common import DataDirOption, data_directory, fail
from services.cli.listing import Format, FormatOption, print_listing

institutions_app = typer.Typer(help="The institutions of the region and what each may publish.")


def _open(data_dir: Path) -> InstitutionRegistry:
    try:
        return InstitutionRegistry.for_data_dir(data_dir)
    except ValueError as error:
        fail("bad_registry", f"cannot read the institution registry: {error}")


def _municipalities(registry: InstitutionRegistry) -> list[str]:
    """Every municipality some institution serves (its seat is among those it serves)."""
    return sorted({served for i in registry for served in i.serves})


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
    output: FormatOption = Format.table,
) -> None:
    """The institutions of the data directory's registry."""
    registry = _open(data_directory(data_dir))
    if municipality and municipality not in _municipalities(registry):
        known = ", ".join(_municipalities(registry))
        fail("unknown_municipality", f"no institution serves {municipality!r}; known: {known}")
    found = registry.by_municipality(municipality) if municipality else list(registry)
    found = [i for i in found if kind is None or i.kind == kind]
    columns = ("id", "kind", "name", "municipality")
    rows = [(i.id, i.kind, i.name, i.municipality) for i in found]
    document = {"institutions": [i.model_dump(mode="json") for i in found]}
    print_listing(output, columns, rows, title=f"{len(found)} institutions", document=document)


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
        fail("invalid_institution", _explain(error))
    directory = data_directory(data_dir)
    registry = _open(directory)
    try:
        registry.add(institution)
    except ValueError as error:
        fail("invalid_institution", str(error))
    path = directory / InstitutionRegistry.FILE_NAME
    registry.save(path)
    served = ", ".join(institution.serves) or "—"
    typer.echo(f"added {institution.id} ({institution.kind}) {institution.name}; serves {served}")
    typer.echo(f"registry: {path}")
