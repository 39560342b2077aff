"""``povezimo serve`` (the HTTP API) and ``povezimo tokens`` (who may call it)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console

from schemas.institutions import PLATFORM_INSTITUTION
from services.api.tokens import Role, TokenStore
from services.bootstrap import Platform
from services.cli.common import (
    USAGE,
    BusOption,
    DataDirOption,
    console,
    fail,
    platform,
    require_institution,
)
from services.cli.listing import Format, FormatOption, print_listing

tokens_app = typer.Typer(help="Bearer tokens of the HTTP API: issue, list, revoke.")


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    with_pipeline: Annotated[
        bool | None,
        typer.Option(
            "--with-pipeline/--without-pipeline",
            help="Run the exchange and projections in this process "
            "(default: on for the embedded SQL bus, off for Kafka).",
        ),
    ] = None,
    bus: BusOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Serve the HTTP API (ingest, institutions, inbox, registry, health and metrics).

    On a directory that holds no platform yet it starts one there (a new deployment)."""
    with platform(bus, data_dir, creates=True) as system:
        run_server(system, console(), host=host, port=port, with_pipeline=with_pipeline)


def run_server(
    system: Platform, console: Console, *, host: str, port: int, with_pipeline: bool | None = None
) -> None:
    """The API (and, on the embedded bus by default, the pipeline) until Ctrl-C."""
    from services.api.app import create_app
    from services.api.background import BackgroundPipeline
    from services.api.server import serve_forever

    embedded = not system.settings.resolved_bus_url.startswith("kafka")
    background = (
        BackgroundPipeline(system.settings)
        if (embedded if with_pipeline is None else with_pipeline)
        else None
    )
    app = create_app(system, background=background)
    console.print(
        f"povezimo API on http://{host}:{port} (bus {system.bus.url}; pipeline "
        f"{'in this process' if background else 'elsewhere'}); docs at /docs"
    )
    serve_forever(app, host, port)


def issue_token(system: Platform, institution: str, role: Role, label: str) -> str:
    """A new token's secret (stored only as its hash)."""
    store = TokenStore(system.views_engine)
    return store.issue(institution, role, now=dt.datetime.now(dt.UTC), label=label).secret


@tokens_app.command("issue")
def tokens_issue(
    role: Annotated[Role, typer.Option("--role", help="What the token may do.")],
    institution: Annotated[
        str | None,
        typer.Option(
            "--institution",
            help=f"Institution id; required for an institution token. Coordinator, auditor and "
            f"admin tokens are the platform's: default {PLATFORM_INSTITUTION}.",
        ),
    ] = None,
    label: Annotated[str | None, typer.Option(help="A note for the list, e.g. a system.")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Issue a token; it is shown once and stored only as a hash."""
    if institution is None:
        if role is Role.INSTITUTION:
            fail(
                "missing_institution",
                "an institution token names its --institution (`povezimo institutions list` "
                "lists them)",
                USAGE,
            )
        institution = PLATFORM_INSTITUTION
    with platform(data_dir=data_dir) as system:
        known = require_institution(system, institution)
        if role is Role.INSTITUTION and (not known.active or known.kind == "PLATFORM"):
            fail(
                "not_a_token_holder",
                f"{institution} cannot hold an institution token (inactive or the platform)",
            )
        issued = TokenStore(system.views_engine).issue(
            institution, role, now=dt.datetime.now(dt.UTC), label=label
        )
    out = console()
    out.print(f"token id {issued.token_id} ({issued.role} of {issued.institution})")
    out.print("the token (shown once, keep it secret):", style="bold")
    print(issued.secret)


@tokens_app.command("list")
def tokens_list(data_dir: DataDirOption = None, output: FormatOption = Format.table) -> None:
    """Issued tokens (ids, never the secrets); times in UTC."""
    with platform(data_dir=data_dir) as system:
        found = TokenStore(system.views_engine).list()
    columns = ("token_id", "institution", "role", "label", "issued_at", "revoked_at")
    rows = [
        (t.token_id, t.institution, t.role.value, t.label, t.issued_at, t.revoked_at) for t in found
    ]
    print_listing(output, columns, rows, title=f"tokens ({len(found)})")


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[str, typer.Argument(help="Token id (or a unique prefix of it).")],
    data_dir: DataDirOption = None,
) -> None:
    """Revoke a token: from now on it answers 401."""
    with platform(data_dir=data_dir) as system:
        revoked = TokenStore(system.views_engine).revoke(token_id, now=dt.datetime.now(dt.UTC))
    if not revoked:
        fail(
            "unknown_token",
            f"no single token with id {token_id!r} (`povezimo tokens list` lists them)",
        )
    console().print(f"revoked {token_id}")
