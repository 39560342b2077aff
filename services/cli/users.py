"""``povezimo users``: the staff accounts that sign in to the web portal (``/portal``)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated

import typer

from services.api.access import ActorRole
from services.api.portal.accounts import MIN_PASSWORD, AccountError, StaffStore
from services.api.portal.sessions import SessionStore
from services.cli.common import (
    USAGE,
    DataDirOption,
    console,
    fail,
    platform,
    require_institution,
)
from services.cli.listing import Format, FormatOption, print_listing

users_app = typer.Typer(help="Staff accounts of the web portal: add, list, disable.")

# A person acts in a staff role; the platform's own role is not one a person signs in with.
STAFF_ROLES = [r.value for r in ActorRole if r.value != "PLATFORM_SYSTEM"]  # type: ignore[attr-defined]


def role_symbol(text: str) -> str:
    """``social-worker`` or ``social_worker`` as people type it → ``SOCIAL_WORKER``."""
    symbol = text.strip().upper().replace("-", "_")
    if symbol not in STAFF_ROLES:
        fail("unknown_role", f"{text!r}: --role is one of {', '.join(STAFF_ROLES)}", USAGE)
    return symbol


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt(
        f"password (at least {MIN_PASSWORD} characters)", hide_input=True,
        confirmation_prompt=True,
    )  # fmt: skip
    return password


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="e.g. ana.petrovic (a-z, 0-9, '.', '_', '-').")],
    institution: Annotated[str, typer.Option("--institution", help="The person's institution id.")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="Staff role recorded on the person's answers (never the name), e.g. "
            "social-worker, ngo-counsellor, lawyer.",
            callback=role_symbol,
        ),
    ] = "OTHER",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Add a staff account; the password is stored only as an Argon2 hash."""
    with platform(data_dir=data_dir) as system:
        known = require_institution(system, institution)
        if not known.active or known.kind == "PLATFORM":
            fail(
                "institution_without_accounts",
                f"{institution} cannot have portal accounts (inactive, or the platform itself)",
            )
        password = _password(password_stdin)
        try:
            account = StaffStore(system.views_engine).add(
                username, password, institution=institution, role=role,
                now=dt.datetime.now(dt.UTC),
            )  # fmt: skip
        except AccountError as refused:
            fail("account_refused", str(refused))
    console().print(
        f"added {account.username} ({account.role} of {account.institution}); "
        f"account id {account.account_id}; sign in at /portal"
    )


@users_app.command("list")
def users_list(data_dir: DataDirOption = None, output: FormatOption = Format.table) -> None:
    """Staff accounts (never their passwords); times in UTC."""
    with platform(data_dir=data_dir) as system:
        found = StaffStore(system.views_engine).accounts()
    columns = ("username", "institution", "role", "account_id", "created_at", "disabled_at")
    rows = [
        (a.username, a.institution, a.role, a.account_id, a.created_at, a.disabled_at)
        for a in found
    ]
    print_listing(output, columns, rows, title=f"staff accounts ({len(found)})")


@users_app.command("disable")
def users_disable(
    username: Annotated[str, typer.Argument(help="The account to disable.")],
    data_dir: DataDirOption = None,
) -> None:
    """Disable an account: it can no longer sign in, and its open sessions end now."""
    with platform(data_dir=data_dir) as system:
        found = StaffStore(system.views_engine).disable(username, now=dt.datetime.now(dt.UTC))
        if found:
            SessionStore(system.views_engine).end_all(username)
    if not found:
        fail("unknown_account", f"no account {username!r} (`povezimo users list` lists them)")
    console().print(f"disabled {username}")
