"""``povezimo audit …`` (verify, case, access, public-key), ``povezimo erase`` and ``identify``."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from services.audit.erasure import erase
from services.audit.identify import access_records, cases_of_subject, identify, symbols
from services.audit.point_in_time import case_as_of, parse_instant, view_as_of
from services.audit.verify import verify_archive
from services.bootstrap import Platform
from services.cli.common import (
    USAGE,
    BusOption,
    DataDirOption,
    console,
    fail,
    platform,
    require_institution,
    require_symbol,
)
from services.cli.listing import (
    Format,
    FormatOption,
    as_json,
    folding_table,
    print_listing,
    table_cell,
)
from services.disclosure.release import releases
from services.platform.signing import (
    SigningKeyError,
    load_or_create_private_key,
    load_public_key,
    public_pem,
)

audit_app = typer.Typer(help="Audit: verify the archive, replay the past, list identified reads.")


def _require_uuid(value: str, what: str) -> None:
    try:
        uuid.UUID(value)
    except ValueError:
        fail(f"bad_{what}_id", f"{value!r} is not a {what} id (a UUID)", USAGE)


def _require_subject(system: Platform, subject: str) -> None:
    """A subject some case registered (erased or not); any other id is a typing error."""
    with system.views_engine.connect() as views:
        if not cases_of_subject(views, subject):
            fail(
                "unknown_subject",
                f"no case registers subject {subject} (`povezimo audit case CASE_ID` lists a "
                "case's subjects)",
            )


def _no_csv(output: Format, what: str) -> None:
    if output is Format.csv:
        fail("unsupported_format", f"{what} is a document, not one table: --format table or json",
             USAGE)  # fmt: skip


# -- verify and keys ---------------------------------------------------------------------------


@audit_app.command("verify")
def verify(
    public_key: Annotated[
        Path | None,
        typer.Option("--public-key", help="Exported public key (PEM); default: the archive's own."),
    ] = None,
    skip_bus: Annotated[
        bool, typer.Option("--no-bus", help="Skip the record-by-record check against the bus.")
    ] = False,
    bus: BusOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Recompute the hash chain and checkpoint signatures; exit 1 at the first broken position."""
    with platform(bus, data_dir) as system:
        try:
            key = load_public_key(public_key or system.settings.resolved_archive_key_file)
        except SigningKeyError as error:
            fail(
                "signing_key", f"{error}: pass --public-key with the archive's exported public key"
            )
        result = verify_archive(system, key, with_bus=not skip_bus)
        typer.echo(result.summary())
        if not result.intact:
            raise typer.Exit(1)


@audit_app.command("public-key")
def public_key_command(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the PEM here instead of stdout.")
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Export the public key that verifies the archive's checkpoints."""
    with platform(data_dir=data_dir) as system:
        key_file = system.settings.resolved_archive_key_file
        pem = public_pem(load_or_create_private_key(key_file).public_key())
    if output:
        output.write_bytes(pem)
        typer.echo(f"public key written to {output}")
    else:
        typer.echo(pem.decode(), nl=False)


# -- point in time -----------------------------------------------------------------------------


@audit_app.command("case")
def case(
    case_id: Annotated[str | None, typer.Argument(help="The case; omit with --view.")] = None,
    as_of: Annotated[str, typer.Option("--as-of", help="UTC time, e.g. 2007-03-01T12:00.")] = "",
    view: Annotated[
        str | None, typer.Option("--view", help="Replay as this institution saw it.")
    ] = None,
    output: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
    data_dir: DataDirOption = None,
) -> None:
    """A case (or an institution's whole view) as it was known at --as-of, from the log."""
    _no_csv(output, "a case")
    if not as_of:
        fail("missing_as_of", "--as-of is required, e.g. --as-of 2007-03-01T12:00", USAGE)
    if case_id is None and view is None:
        fail("missing_case", "name a CASE_ID, or --view INSTITUTION for an institution's view",
             USAGE)  # fmt: skip
    try:
        instant = parse_instant(as_of)
    except ValueError as error:
        fail("bad_time", str(error), USAGE)
    if case_id is not None:
        _require_uuid(case_id, "case")
    with platform(data_dir=data_dir) as system:
        if view is not None:
            require_institution(system, view)
        with system.archive_engine.connect() as conn:
            if case_id is None:
                assert view is not None
                state = view_as_of(conn, system.codec, system.institutions, view, instant)
            else:
                found = case_as_of(
                    conn, system.codec, system.institutions, case_id, instant, institution=view
                )
                if found is None:
                    seen = f" in which {view} took part" if view else ""
                    fail("unknown_case", f"no case {case_id}{seen} as of {instant:%Y-%m-%dT%H:%M}Z")
                state = found
    if output is Format.json:
        typer.echo(as_json(state))
    elif case_id is None:
        _print_view(state)
    else:
        _print_case(state)


def _print_case(found: dict[str, Any]) -> None:
    out, state = console(), found["state"]
    out.print(
        f"case [bold]{found['case_id']}[/] as of {found['as_of']:%Y-%m-%d %H:%M} UTC: "
        f"{state['status']}, risk {state['risk_level']}, {state['municipality']}"
    )
    sections = {
        "participants": ("institution", "role", "via"),
        "subjects": ("subject_id", "role", "sex", "birth_year", "erased"),
        "urgent_measures": ("measure_type", "served_at", "expires_at", "granted", "breaches"),
        "referrals": ("recipient", "service_type", "urgency", "status", "due_at"),
        "plans": ("plan_id", "adopted_at", "review_due_at"),
        "plan_measures": ("executor", "kind", "due_at", "completed_at", "outcome"),
    }
    for section, columns in sections.items():
        if state[section]:
            table = folding_table(*columns, title=section.replace("_", " "))
            for row in state[section]:
                table.add_row(*(table_cell(row.get(c)) for c in columns))
            out.print(table)
    events = folding_table("#", "recorded at", "event", "published by", "role", title="events")
    for event in found["events"]:
        events.add_row(
            str(event["seq"]),
            table_cell(event["recorded_at"]),
            event["event_type"] or "?",
            event["published_by"] or "?",
            event["actor_role"] or "",
        )
    out.print(events)
    if found["accesses"]:
        _print_accesses(found["accesses"], out)


def _print_view(state: dict[str, Any]) -> None:
    out = console()
    out.print(
        f"[bold]{state['institution']}[/] as of {state['as_of']:%Y-%m-%d %H:%M} UTC "
        f"({state['events_replayed']} events replayed)"
    )
    cases = folding_table("case", "status", "risk", "municipality", "opened at", title="cases")
    for case_state in state["cases"]:
        cases.add_row(
            case_state["case_id"],
            case_state["status"],
            table_cell(case_state["risk_level"]),
            table_cell(case_state["municipality"]),
            table_cell(case_state["opened_at"]),
        )
    out.print(cases)
    for key in ("referrals_received", "referrals_sent"):
        table = folding_table(
            "case", "sender", "recipient", "status", "due", title=key.replace("_", " ")
        )
        for row in state[key]:
            table.add_row(
                row["case_id"],
                row["sender"],
                row["recipient"],
                row["status"],
                table_cell(row["due_at"]),
            )
        out.print(table)


# -- access log --------------------------------------------------------------------------------


@audit_app.command("access")
def access(
    subject: Annotated[str | None, typer.Option("--subject", help="Reads of this subject.")] = None,
    institution: Annotated[
        str | None, typer.Option("--institution", help="Reads by this institution.")
    ] = None,
    output: FormatOption = Format.table,
    data_dir: DataDirOption = None,
) -> None:
    """Who read identified data, what, when and why (from the archived access log)."""
    if (subject is None) == (institution is None):
        fail("missing_filter", "name exactly one of --subject ID and --institution ID", USAGE)
    if subject is not None:
        _require_uuid(subject, "subject")
    with platform(data_dir=data_dir) as system:
        if institution is not None:
            require_institution(system, institution)
        if subject is not None:
            _require_subject(system, subject)
        found = access_records(system, subject=subject, institution=institution)
    rows = [[row[c] for c in ACCESS_COLUMNS] for row in found]
    title = f"identified reads ({len(found)})"
    print_listing(output, ACCESS_COLUMNS, rows, title=title, document=found)


@audit_app.command("releases")
def releases_command(
    since: Annotated[
        str | None, typer.Option("--since", help="Only releases from this UTC time.")
    ] = None,
    output: FormatOption = Format.table,
    data_dir: DataDirOption = None,
) -> None:
    """Every table released from the regional aggregate (the release ledger)."""
    try:
        after = parse_instant(since) if since else None
    except ValueError as error:
        fail("bad_time", str(error), USAGE)
    with platform(data_dir=data_dir) as system:
        found = releases(system, after)
    columns = ("released_at", "released_by", "channel", "indicator", "grouping", "threshold",
               "epsilon", "digest")  # fmt: skip
    rows = [[row[c] for c in columns] for row in found]
    print_listing(output, columns, rows, title=f"releases ({len(found)})", document=found)


ACCESS_COLUMNS = ("accessed_at", "institution", "role", "subject_id", "purpose", "basis",
                  "resource")  # fmt: skip


def _print_accesses(found: list[dict[str, Any]], out: Console) -> None:
    table = folding_table(*ACCESS_COLUMNS, title=f"identified reads ({len(found)})")
    for row in found:
        table.add_row(*(table_cell(row[c]) for c in ACCESS_COLUMNS))
    out.print(table)


# -- erasure and authorised reads (top-level commands) -----------------------------------------


def erase_command(
    subject_id: Annotated[str, typer.Argument(help="The subject to erase.")],
    reason: Annotated[str, typer.Option("--reason", help="An ErasureReason symbol.")],
    bus: BusOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Destroy a subject's data key and publish SubjectErased (crypto-shredding)."""
    _require_uuid(subject_id, "subject")
    require_symbol("--reason", reason, symbols("ErasureReason"))
    with platform(bus, data_dir) as system:
        done = erase(system, subject_id, reason, now=dt.datetime.now(dt.UTC))
    destroyed = "destroyed" if done.key_destroyed else "was already destroyed"
    typer.echo(
        f"erased {done.subject_id}: key {done.key_id} {destroyed}; SubjectErased submitted for "
        f"{len(done.case_ids)} case(s) (views show it once the exchange has run)"
    )


def identify_command(
    subject_id: Annotated[str, typer.Argument(help="The subject to identify.")],
    institution: Annotated[str, typer.Option("--institution", help="The reading institution.")],
    purpose: Annotated[str, typer.Option("--purpose", help="An AccessPurpose symbol.")],
    role: Annotated[str, typer.Option("--role", help="The reader's ActorRole.")] = "OTHER",
    output: FormatOption = Format.table,
    bus: BusOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Read a subject's identifiers as a participant of its case (recorded on access-log)."""
    _require_uuid(subject_id, "subject")
    require_symbol("--purpose", purpose, symbols("AccessPurpose"))
    require_symbol("--role", role, symbols("ActorRole"))
    with platform(bus, data_dir) as system:
        require_institution(system, institution)
        person = identify(system, subject_id, institution, purpose, role=role).model_dump()
    if output is Format.table:  # one person: a name and a value a line reads best
        for name, value in person.items():
            typer.echo(f"{name}: {table_cell(value)}")
        return
    print_listing(output, list(person), [list(person.values())], title="", document=person)
