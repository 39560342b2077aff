"""``povezimo demo``: the seed network through the SDK, the exchange and every projection."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console

from schemas.institutions import PLATFORM_INSTITUTION
from services.api.tokens import Role
from services.bootstrap import Platform
from services.cli.common import BusOption, DataDirOption, console, platform
from services.cli.serve import issue_token, run_server
from services.demo.programme import programme_summary, seed_submissions
from services.demo.run import default_start, run_demo


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
    programme: Annotated[
        bool,
        typer.Option(
            "--programme",
            help="Also record the seed programme's own 2006-2007 work (agreements, seminars, "
            "meetings, campaign, media, services): see povezimo report programme.",
        ),
    ] = False,
    host: Annotated[str, typer.Option(help="Address for --serve.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port for --serve.")] = 8000,
) -> None:
    """Simulate the seed network through the SDK, the exchange and every projection.

    On a directory that holds no platform yet it starts one there."""
    out = console()
    with platform(bus, data_dir, creates=True) as system:
        now = dt.datetime.now(dt.UTC)
        start = default_start(months, now.date())
        # Recorded today, about what happened then (occurred_at is the seed's day).
        recorded = seed_submissions(now) if programme else None
        run_demo(system, out, months=months, seed=seed, start=start, scale=scale,
                 programme=recorded)  # fmt: skip
        if programme:
            out.print(programme_summary(system))
        if serve_after:
            _serve_the_demo(system, out, host, port)


def _serve_the_demo(system: Platform, out: Console, host: str, port: int) -> None:
    token = issue_token(system, PLATFORM_INSTITUTION, Role.COORDINATOR, "povezimo demo --serve")
    out.print(f"dashboard:  http://{host}:{port}/dashboard#token={token}")
    out.print(f"API docs:   http://{host}:{port}/docs")
    out.print(f"coordinator token (shown once): {token}")
    run_server(system, out, host=host, port=port)
