"""The demo's summary: one function per section, printed in the order of ``SECTIONS``.

A section takes the finished ``DemoRun`` and returns something rich can print (or ``None`` to
stay silent). The regional table goes through the same release door as the API and the CLI, so
the demo shows coordinators exactly what they may see.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.console import Console, RenderableType
from rich.table import Table
from sqlalchemy import func, select

from consumers import decisions
from consumers.deadline_watcher import verdicts
from consumers.pipeline import partitions_of
from consumers.views import referrals
from producers.simulator import Simulation
from schemas.topics import inbox_owner, is_inbox
from services.audit.verify import verify_archive
from services.bootstrap import Platform
from services.disclosure.release import Caller, Release, ReleaseRequest, release
from services.platform.signing import load_public_key


@dataclass
class DemoRun:
    """What a demo did, for the summary sections."""

    system: Platform
    simulation: Simulation
    timings: dict[str, float] = field(default_factory=dict)


Section = Callable[[DemoRun], RenderableType | None]


def outcomes(run: DemoRun) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Accepted/rejected counts of the simulated submissions, rejection codes, unexpected ones."""
    deliberate = {str(k): v for k, v in run.simulation.deliberate.items()}
    ours = {str(s.event_id) for c in run.simulation.cases for s in c.submissions}
    status, codes, unexpected = Counter[str](), Counter[str](), Counter[str]()
    with run.system.exchange_engine.connect() as conn:
        for event_id, state, code in decisions.outcomes(conn):
            if event_id not in ours:
                continue
            status[state] += 1
            if state == "rejected":
                codes[str(code)] += 1
                if deliberate.get(event_id) != code:
                    unexpected[str(code)] += 1
    return status, codes, unexpected


def published(run: DemoRun) -> RenderableType:
    status, _codes, unexpected = outcomes(run)
    total = run.simulation.event_count
    table = Table("", "events", title="what the institutions submitted")
    table.add_row("published", str(total))
    table.add_row("accepted", str(status["accepted"]))
    table.add_row("rejected", str(status["rejected"]))
    table.add_row("  of them deliberate bad submissions", str(len(run.simulation.deliberate)))
    table.add_row("  of them unexpected", str(sum(unexpected.values())))
    return table


def rejection_reasons(run: DemoRun) -> RenderableType | None:
    _status, codes, _unexpected = outcomes(run)
    if not codes:
        return None
    table = Table("code", "rejections", title="top rejection reasons")
    for code, count in codes.most_common(6):
        table.add_row(code, str(count))
    return table


def inboxes(run: DemoRun) -> RenderableType:
    bus = run.system.bus
    topics = sorted(t for t in bus.list_topics() if is_inbox(t))
    ends = bus.end_offsets(partitions_of(bus, topics))
    counts = Counter[str]()
    for tp, end in ends.items():
        counts[inbox_owner(tp.topic)] += end
    table = Table("institution", "inbox messages", title="inbox of each institution")
    for institution, count in sorted(counts.items()):
        table.add_row(institution, str(count))
    return table


def overdue(run: DemoRun) -> RenderableType:
    with run.system.views_engine.connect() as conn:
        expired = conn.execute(
            select(referrals.c.recipient, func.count())
            .where(referrals.c.status == "expired")
            .group_by(referrals.c.recipient)
        ).all()
        judged = conn.execute(
            select(verdicts.c.kind, verdicts.c.status, func.count()).group_by(
                verdicts.c.kind, verdicts.c.status
            )
        ).all()
    table = Table("deadline", "institution / verdict", "count", title="overdue and late")
    ranked = sorted(expired, key=lambda r: (-r[1], r[0]))
    for recipient, count in ranked[:8]:
        table.add_row("referral unanswered (expired)", recipient, str(count))
    if len(ranked) > 8:
        rest = sum(count for _, count in ranked[8:])
        table.add_row("referral unanswered (expired)", f"{len(ranked) - 8} others", str(rest))
    for kind, state, count in sorted(judged):
        table.add_row(kind, state, str(count))
    return table


def regional_table(run: DemoRun) -> RenderableType:
    """Reported cases by municipality (small ones pooled) and quarter, disclosure-controlled."""
    settings = run.system.settings
    published = release(
        run.system,
        ReleaseRequest(
            "reported_cases", ("municipality", "quarter"), settings.disclosure_threshold
        ),
        caller=Caller("povezimo demo", "demo"),
    )
    return pivot(published, "municipality", "quarter", "count")


def pivot(published: Release, rows: str, columns: str, measure: str) -> Table:
    """A long release as a cross table; withheld cells read "x" (whether a cell is below the
    threshold or withheld to protect one is not said: that would narrow it down)."""
    cells = {(r[rows], r[columns]): r[measure] for r in published.rows}
    # The release runs on to the last closed month; the simulated ones end earlier.
    quiet = {c for (r, c), v in cells.items() if r == "*" and v == 0}
    across = sorted({c for _, c in cells} - quiet, key=lambda c: (c == "*", c))
    down = sorted({r for r, _ in cells}, key=lambda r: (r == "*", r))
    withheld = "x"
    table = Table(
        rows,
        *("total" if c == "*" else c for c in across),
        title=f"regional table: {published.indicator.replace('_', ' ')} by {rows} and {columns}",
        caption=f"{withheld}: withheld (below {published.threshold}, or it would give one away)",
    )
    for row in down:
        values = [cells.get((row, c)) for c in across]
        table.add_row(
            "total" if row == "*" else row,
            *(withheld if v is None else str(v) for v in values),
        )
    return table


def audit_verification(run: DemoRun) -> RenderableType:
    """``audit verify``: the archive's hash chain, signatures, and the bus, record by record."""
    system = run.system
    result = verify_archive(system, load_public_key(system.settings.resolved_archive_key_file))
    mark = "[green]intact[/]" if result.intact else "[bold red]BROKEN[/]"
    return f"audit verify: {mark} {result.summary()}"


def timings(run: DemoRun) -> RenderableType:
    parts = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in run.timings.items())
    return f"[dim]timings: {parts}[/]"


SECTIONS: list[Section] = [
    published,
    rejection_reasons,
    inboxes,
    overdue,
    regional_table,
    audit_verification,
    timings,
]


def print_summary(run: DemoRun, console: Console) -> None:
    for section in SECTIONS:
        shown = section(run)
        if shown is not None:
            console.print(shown)
