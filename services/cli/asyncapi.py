"""`povezimo asyncapi`: the AsyncAPI 3 document of every topic, generated from the code."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from schemas.institutions import InstitutionRegistry
from services.operations.asyncapi import document, markdown
from services.operations.topology import yaml_text


class Format(StrEnum):
    yaml = "yaml"
    json = "json"
    markdown = "markdown"


def asyncapi_command(
    output: Annotated[
        Format, typer.Option("--format", help="yaml, json, or the markdown of docs/asyncapi.md.")
    ] = Format.yaml,
    institutions: Annotated[
        Path | None,
        typer.Option("--institutions", help="institutions.json; default: the seed network."),
    ] = None,
) -> None:
    """Print the AsyncAPI document of every topic: keys, headers, Avro payloads, who writes and
    who reads."""
    registry = (
        InstitutionRegistry.load(institutions) if institutions else InstitutionRegistry.default()
    )
    if output is Format.markdown:
        text = markdown(registry)
    elif output is Format.json:
        text = json.dumps(document(registry), indent=2, ensure_ascii=False) + "\n"
    else:
        text = yaml_text(document(registry)) + "\n"
    typer.echo(text, nl=False)
