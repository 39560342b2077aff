"""The ``povezimo`` command."""

from __future__ import annotations

import datetime as dt
import random
import re
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from producers.scenario import Submission, urgent_measure_case
from schemas import DecodeError, catalogue
from services.bootstrap import Platform
from services.settings import Settings

app = typer.Typer(help="Povezimo: institutions acting together on domestic-violence cases.")
schemas_app = typer.Typer(help="The shared Avro schemas and the registry.")
topics_app = typer.Typer(help="Topics of the bus.")
app.add_typer(schemas_app, name="schemas")
app.add_typer(topics_app, name="topics")
# Piped output (CI logs, files) gets a width that fits the tables instead of rich's 80.
console = Console() if sys.stdout.isatty() else Console(width=120)

BusOption = Annotated[
    str | None, typer.Option("--bus", help="kafka://…, sqlite:///… or postgresql://…")
]
DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="Where embedded data lives.")
]


def platform(bus: str | None = None, data_dir: Path | None = None) -> Platform:
    overrides: dict[str, object] = {}
    if bus:
        overrides["bus_url"] = bus
    if data_dir:
        overrides["data_dir"] = data_dir
    return Platform(Settings(**overrides))  # type: ignore[arg-type]


@app.command()
def demo(
    bus: BusOption = None,
    data_dir: DataDirOption = None,
    cases: Annotated[int, typer.Option(help="Cases to simulate.")] = 3,
    seed: Annotated[int, typer.Option(help="Same seed, same events.")] = 2006,
) -> None:
    """Simulate a few cases of the seed network, publish them and read them back decoded."""
    system = platform(bus, data_dir)
    console.print(
        f"bus: [bold]{system.bus.url}[/]  registry: {system.settings.resolved_registry_url}"
    )
    ids = system.codec.register_all()
    console.print(f"registered {len(ids)} event schemas")

    rng = random.Random(seed)
    start = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
    municipalities = ["lazarevac", "palilula", "zvezdara", "vozdovac", "kragujevac"]
    submissions: list[Submission] = []
    for n in range(cases):
        where = municipalities[n % len(municipalities)]
        submissions += urgent_measure_case(rng, start + dt.timedelta(days=3 * n), where)

    # One group for every run: its committed offsets make each run read only what it adds.
    reader = system.bus.consumer("povezimo-demo", re.compile(r"submissions\..+"))
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("publishing", total=len(submissions))
        with system.bus.batch():
            for item in submissions:
                value = system.codec.encode(item.event_type, item.event.to_avro())
                system.bus.publish(
                    f"submissions.{item.institution}",
                    str(item.case_id).encode(),
                    value,
                    [("event-type", item.event_type.encode())],
                )
                progress.advance(task)
    system.bus.flush()

    table = Table(title=f"{len(submissions)} events read back from the bus, decoded")
    for column in ("occurred at (UTC)", "submitted by", "event", "case", "partition/offset"):
        table.add_column(column, no_wrap=True)
    rows: list[tuple[str, ...]] = []
    wanted = {str(s.event.header.event_id) for s in submissions}  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while wanted and time.monotonic() < deadline:
        for record in reader.poll(timeout=0.5):
            try:
                decoded = system.codec.decode(record.value or b"")
            except DecodeError as error:
                console.print(f"[red]{record.topic} {record.offset}: {error}")
                continue
            header = decoded.record["header"]
            if str(header["event_id"]) not in wanted:
                continue
            wanted.discard(str(header["event_id"]))
            rows.append(
                (
                    header["occurred_at"].strftime("%Y-%m-%d %H:%M"),
                    record.topic.removeprefix("submissions."),
                    decoded.event_type,
                    str(header["case_id"])[:8],
                    f"{record.partition}/{record.offset}",
                )
            )
        reader.commit()
    reader.close()
    for row in sorted(rows):
        table.add_row(*row)
    console.print(table)
    system.close()
    if wanted:
        console.print(f"[red]{len(wanted)} events did not come back[/]")
        raise typer.Exit(1)


@schemas_app.command("list")
def schemas_list() -> None:
    """Every event type of the catalogue, with its registry subject."""
    table = Table("event type", "subject", "fields")
    for event in catalogue():
        table.add_row(event.name, event.subject, str(len(event.schema["fields"])))
    console.print(table)


@schemas_app.command("register")
def schemas_register(data_dir: DataDirOption = None) -> None:
    """Register every event schema in the configured registry (idempotent)."""
    system = platform(data_dir=data_dir)
    for name, schema_id in sorted(system.codec.register_all().items()):
        console.print(f"{schema_id:>5}  {name}")


@topics_app.command("list")
def topics_list(bus: BusOption = None, data_dir: DataDirOption = None) -> None:
    """Topics on the bus."""
    system = platform(bus, data_dir)
    for topic in sorted(system.bus.list_topics()):
        console.print(topic)
    system.close()


if __name__ == "__main__":
    app()
