"""``povezimo schemas`` (the catalogue and the registry) and ``povezimo topics`` (the bus)."""

from __future__ import annotations

import typer

from schemas import catalogue
from services.cli.common import BusOption, DataDirOption, platform
from services.cli.listing import Format, FormatOption, print_listing

schemas_app = typer.Typer(help="The shared Avro schemas and the registry.")
topics_app = typer.Typer(help="Topics of the bus.")


@schemas_app.command("list")
def schemas_list(output: FormatOption = Format.table) -> None:
    """Every event type of the catalogue, with its registry subject."""
    rows = [(e.name, e.subject, len(e.schema["fields"])) for e in catalogue()]
    print_listing(output, ("event_type", "subject", "fields"), rows, title="event schemas")


@schemas_app.command("register")
def schemas_register(data_dir: DataDirOption = None, output: FormatOption = Format.table) -> None:
    """Register every event schema in the configured registry (idempotent).

    An operator's first step: on a directory that holds no platform yet it starts one there."""
    with platform(data_dir=data_dir, creates=True) as system:
        registered = sorted(system.codec.register_all().items())
    rows = [(schema_id, name) for name, schema_id in registered]
    print_listing(output, ("schema_id", "name"), rows, title="registered schemas")


@topics_app.command("list")
def topics_list(
    bus: BusOption = None, data_dir: DataDirOption = None, output: FormatOption = Format.table
) -> None:
    """Topics on the bus."""
    with platform(bus, data_dir) as system:
        rows = [(topic,) for topic in sorted(system.bus.list_topics())]
    print_listing(output, ("topic",), rows, title=f"topics ({len(rows)})")
