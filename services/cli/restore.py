"""`povezimo restore` (the platform's side) and `povezimo outbox resend` (an institution's side):
the operator's commands after a broker lost what it held. See ``services.operations.restore``."""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from typing import Annotated

import typer
from sqlalchemy import Engine

from producers.publisher import pending, resend_sent
from services.cli.common import BusOption, DataDirOption, console, platform
from services.operations.restore import restore_bus
from services.platform.sql import sql_engine

outbox_app = typer.Typer(help="An institution's producer outbox.")


def restore_command(
    bus: BusOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Refill an emptied bus from the archive and reset the projections' offsets to match.

    Run it with the exchange, the projections and the API stopped, on the new empty broker; then
    have every institution run `povezimo outbox resend`, and start `povezimo run`.
    """
    out = console()
    with platform(bus, data_dir) as system:  # the archive it restores from must be there
        done = restore_bus(system)
    for topic, count in sorted(done.records.items()):
        out.print(f"{topic}: {count} records written back from the archive")
    out.print(
        f"accepted events the archive had not kept, appended again when resent: "
        f"{done.awaiting_resend}"
    )
    for name in sorted({*done.offsets_lowered, *done.offsets_dropped}):
        out.print(
            f"{name}: {done.offsets_lowered[name]} stored offsets moved back to the restored end, "
            f"{done.offsets_dropped[name]} dropped (their topics start again at 0)"
        )
    out.print(f"rebuilt from offset 0 on the next run: {', '.join(done.rebuilt)}")
    out.print(
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
    data_dir: DataDirOption = None,
) -> None:
    """Mark sent rows unsent, so the relay sends them again after a broker lost them.

    Copies the exchange already accepted are dropped there, so resending too much is harmless;
    resending too little loses the events a broker lost.
    """
    with ExitStack() as stack:
        if outbox is None:
            engine = stack.enter_context(platform(data_dir=data_dir)).outbox_engine
        else:
            engine = sql_engine(outbox)
            stack.callback(engine.dispose)
        _resend(engine, since, institution)


def _resend(engine: Engine, since: dt.datetime | None, institution: str | None) -> None:
    since_ms = None
    if since is not None:
        aware = since if since.tzinfo else since.replace(tzinfo=dt.UTC)
        since_ms = int(aware.timestamp() * 1000)
    count = resend_sent(engine, since_ms=since_ms, institution=institution)
    console().print(
        f"{count} sent events marked for resending; {pending(engine, institution)} now wait "
        "for the relay"
    )
