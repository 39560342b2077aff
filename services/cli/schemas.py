"""``povezimo schemas`` (the catalogue and the registry) and ``povezimo topics`` (the bus)."""

from __future__ import annotations

import typer
from rich.table import Table

from schemas import catalogue
from services.cli.common import BusOption, DataDirOption, console, platform

schemas_app = typer.Typer(help="The shared Avro schemas and the registry.")
topics_app = typer.Typer(help="Topics of the bus.")


@schemas_app.command("list")
def schemas_list() -> None:
    """Every event type of the catalogue, with its registry subject."""
    table = Table("event type", "subject", "fields")
    for event in catalogue():
        table.add_row(event.name, event.subject, str(len(event.schema["fields"])))
    console().print(table)


@schemas_app.command("register")
def schemas_register(data_dir: DataDirOption = None) -> None:
    """Register every event schema in the configured registry (idempotent)."""
    out = console()
    with platform(data_dir=data_dir) as system:
        for name, schema_id in sorted(system.codec.register_all().items()):
            out.print(f"{schema_id:>5}  {name}")


@topics_app.command("list")
def topics_list(bus: BusOption = None, data_dir: DataDirOption = None) -> None:
    """Topics on the bus."""
    out = console()
    with platform(bus, data_dir) as system:
        for topic in sorted(system.bus.list_topics()):
            out.print(topic)
