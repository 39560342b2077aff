"""The ``povezimo`` command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from schemas import catalogue
from services import cli_aggregate, cli_bench, cli_projections
from services.bootstrap import Platform, open_platform
from services.cli_api import serve, tokens_app
from services.cli_audit import audit_app, erase_command, identify_command
from services.cli_deploy import deploy_app
from services.cli_import import import_app
from services.cli_institutions import institutions_app
from services.cli_restore import outbox_app, restore_command
from services.demo import run_demo

app = typer.Typer(help="Povezimo: institutions acting together on domestic-violence cases.")
schemas_app = typer.Typer(help="The shared Avro schemas and the registry.")
topics_app = typer.Typer(help="Topics of the bus.")
app.add_typer(schemas_app, name="schemas")
app.add_typer(topics_app, name="topics")
app.add_typer(institutions_app, name="institutions", help="The institutions of the region.")
app.add_typer(audit_app, name="audit")
app.command("erase")(erase_command)
app.command("identify")(identify_command)
app.add_typer(tokens_app, name="tokens", help="Bearer tokens of the HTTP API.")
app.command()(serve)
app.add_typer(import_app, name="import")
app.add_typer(deploy_app, name="deploy")
app.command(name="bench")(cli_bench.bench)
app.command(name="restore")(restore_command)
app.add_typer(outbox_app, name="outbox")
# Piped output (CI logs, files) gets a width that fits the tables instead of rich's 80.
console = Console() if sys.stdout.isatty() else Console(width=120)

BusOption = Annotated[
    str | None, typer.Option("--bus", help="kafka://…, sqlite:///… or postgresql://…")
]
DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="Where embedded data lives.")
]


platform = open_platform


@app.command()
def demo(
    bus: BusOption = None,
    data_dir: DataDirOption = None,
    months: Annotated[int, typer.Option(help="Months of the seed network to simulate.")] = 12,
    scale: Annotated[
        float, typer.Option(help="Multiply the case rate (e.g. 0.05 for a quick look).")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Same seed, same events.")] = 2006,
    serve_after: Annotated[
        bool,
        typer.Option("--serve", help="Then serve the API and the dashboard, with a token."),
    ] = False,
    host: Annotated[str, typer.Option(help="Address for --serve.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port for --serve.")] = 8000,
) -> None:
    """Simulate the seed network through the SDK, the exchange and every projection."""
    import datetime as dt

    from services.demo import default_start

    system = platform(bus, data_dir)
    try:
        start = default_start(months, dt.datetime.now(dt.UTC).date())
        run_demo(system, console, months=months, seed=seed, start=start, scale=scale)
        if serve_after:
            _serve_the_demo(system, host, port)
    finally:
        system.close()


def _serve_the_demo(system: Platform, host: str, port: int) -> None:
    from producers.events import PLATFORM_INSTITUTION
    from services.api.tokens import Role
    from services.cli_api import issue_token, run_server

    token = issue_token(system, PLATFORM_INSTITUTION, Role.COORDINATOR, "povezimo demo --serve")
    console.print(f"dashboard:  http://{host}:{port}/dashboard#token={token}")
    console.print(f"API docs:   http://{host}:{port}/docs")
    console.print(f"coordinator token (shown once): {token}")
    run_server(system, console, host=host, port=port)


@app.command()
def replay(
    projection: Annotated[
        list[str] | None, typer.Option("--projection", help="Projection to rebuild (repeatable).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Rebuild every projection.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Processes reading partitions side by side (default: one per partition, "
            "at most two per core).",
        ),
    ] = None,
    bus: BusOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Drop projections and rebuild them from offset 0, with progress and events/s."""
    system = platform(bus, data_dir)
    try:
        cli_projections.replay(system, console, projection, all_, workers)
    finally:
        system.close()


@app.command()
def run(
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="Stop once everything has been read.")
    ] = False,
    bus: BusOption = None,
    data_dir: DataDirOption = None,
    projection: Annotated[
        list[str] | None,
        typer.Option("--projection", help="Run only this one (repeatable); default: all."),
    ] = None,
) -> None:
    """Run the exchange and every projection (until Ctrl-C, or --until-idle)."""
    system = platform(bus, data_dir)
    try:
        cli_projections.run(system, console, until_idle, projection)
    finally:
        system.close()


@app.command()
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
    list_: Annotated[bool, typer.Option("--list", help="List the indicators.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Indicators of the pseudonymised regional aggregate, under disclosure control."""
    if list_:
        cli_aggregate.list_indicators(console)
        return
    system = platform(data_dir=data_dir)
    try:
        cli_aggregate.aggregate(
            system, console, by=by, indicator=indicator, output=output,
            threshold=threshold, epsilon=epsilon,
        )  # fmt: skip
    finally:
        system.close()


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
