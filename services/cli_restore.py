"""`povezimo restore` (the platform's side) and `povezimo outbox resend` (an institution's side):
the operator's commands after a broker lost what it held. See ``services.restore``."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from producers.publisher import pending, resend_sent
from services.restore import RestoreError, restore_bus
from services.sql import sql_engine

outbox_app = typer.Typer(help="An institution's producer outbox.")
console = Console() if sys.stdout.isatty() else Console(width=120)


def restore_command(
    bus: Annotated[str | None, typer.Option("--bus", help="kafka://… or sqlite:///…")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None,
) -> None:
    """Refill an emptied bus from the archive and reset the projections' offsets to match.

    Run it with the exchange, the projections and the API stopped, on the new empty broker; then
    have every institution run `povezimo outbox resend`, and start `povezimo run`.
    """
    from services.cli import platform

    system = platform(bus, data_dir)
    try:
        done = restore_bus(system)
    except RestoreError as error:
        console.print(f"[red]not restored: {error}[/]")
        raise typer.Exit(1) from None
    finally:
        system.close()
    for topic, count in sorted(done.records.items()):
        console.print(f"{topic}: {count} records written back from the archive")
    console.print(
        f"accepted events the archive had not kept, appended again when resent: "
        f"{done.awaiting_resend}"
    )
    for name in sorted({*done.offsets_lowered, *done.offsets_dropped}):
        console.print(
            f"{name}: {done.offsets_lowered[name]} stored offsets moved back to the restored end, "
            f"{done.offsets_dropped[name]} dropped (their topics start again at 0)"
        )
    console.print(f"rebuilt from offset 0 on the next run: {', '.join(done.rebuilt)}")
    console.print(
        "next: every institution runs `povezimo outbox resend` (or `--since` a time before the "
        "loss), then start `povezimo run`."
    )


@outbox_app.command("resend")
def resend(
    outbox: Annotated[
        str | None,
        typer.Option("--outbox", help="The outbox's database URL (default: the data dir's)."),
    ] = None,
    institution: Annotated[
        str | None, typer.Option("--institution", help="Only this institution's rows.")
    ] = None,
    since: Annotated[
        dt.datetime | None,
        typer.Option(
            "--since",
            help="Only rows sent at or after this time (UTC if no zone); default: every row.",
        ),
    ] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None,
) -> None:
    """Mark sent rows unsent, so the relay sends them again after a broker lost them.

    Copies the exchange already accepted are dropped there, so resending too much is harmless;
    resending too little loses the events a broker lost.
    """
    if outbox is None:
        from services.cli import platform

        engine = platform(data_dir=data_dir).outbox_engine
    else:
        engine = sql_engine(outbox)
    since_ms = None
    if since is not None:
        aware = since if since.tzinfo else since.replace(tzinfo=dt.UTC)
        since_ms = int(aware.timestamp() * 1000)
    count = resend_sent(engine, since_ms=since_ms, institution=institution)
    console.print(
        f"{count} sent events marked for resending; {pending(engine, institution)} now wait "
        "for the relay"
    )
    engine.dispose()
