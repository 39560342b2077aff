"""`povezimo demo`: a few cases of the seed network through the whole data path, summarised."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import func, select

from consumers import queries
from consumers.deadline_watcher import verdicts
from consumers.exchange import submissions_table
from consumers.pipeline import Pipeline, partitions_of
from producers.scenario import Submission, coordinated_case, in_waves
from services.bootstrap import Platform

MUNICIPALITIES = ["lazarevac", "palilula", "zvezdara", "vozdovac", "kragujevac", "golubac"]
START = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)


def run_demo(system: Platform, console: Console, cases: int, seed: int) -> None:
    console.print(
        f"bus [bold]{system.bus.url}[/], registry {system.settings.resolved_registry_url}"
    )
    console.print(f"registered {len(system.codec.register_all())} schemas")
    rng = random.Random(seed)
    scripts = [
        coordinated_case(rng, START + dt.timedelta(days=3 * n), MUNICIPALITIES[n % 6])
        for n in range(cases)
    ]
    runners = {name: system.runner(p) for name, p in system.projections().items()}
    pipeline = Pipeline(list(runners.values()), system.bus)
    exchange = runners["exchange"]
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("institutions submit", total=sum(map(len, scripts)))
        # Each institution acts after the exchange decided what came before (as its inbox
        # would tell it), so every case stays in causal order.
        for wave in in_waves(scripts):
            _submit(system, wave)
            exchange.run_until(pipeline.ends_for(exchange))
            progress.advance(task, len(wave))
        pipeline.drain()
    pipeline.close()
    _report(system, console, scripts)


def _submit(system: Platform, wave: list[Submission]) -> None:
    with system.bus.batch():
        for item in wave:
            system.bus.publish(
                f"submissions.{item.institution}",
                str(item.case_id).encode(),
                system.codec.encode(item.event_type, item.event.to_avro()),
            )
    system.bus.flush()


def _report(system: Platform, console: Console, scripts: list[list[Submission]]) -> None:
    ours = {str(s.event_id) for script in scripts for s in script}
    with system.views_engine.connect() as conn:
        outcomes = Counter(
            row.status
            for row in conn.execute(
                select(submissions_table.c.event_id, submissions_table.c.status)
            )
            if row.event_id in ours
        )
        first = scripts[0][0]
        story = queries.case_timeline(conn, first.institution, str(first.case_id)) or []
        judged = conn.execute(
            select(verdicts.c.kind, verdicts.c.status, func.count()).group_by(
                verdicts.c.kind, verdicts.c.status
            )
        ).all()
        visible = {i.id: len(queries.cases_for(conn, i.id)) for i in system.institutions if i.id}
    console.print(
        f"{sum(map(len, scripts))} submissions: {outcomes['accepted']} accepted, "
        f"{outcomes['rejected']} rejected"
    )
    timeline = Table(title=f"case {str(first.case_id)[:8]} as its opener sees it")
    for column in ("occurred at (UTC)", "event", "published by"):
        timeline.add_column(column, no_wrap=True)
    for event in story:
        timeline.add_row(
            f"{event['occurred_at']:%Y-%m-%d %H:%M}",
            event["event_type"],
            event["source_institution"],
        )
    console.print(timeline)
    console.print(_institutions_table(system, visible))
    deadlines = Table("deadline", "verdict", "count", title="statutory and referral deadlines")
    for kind, status, count in sorted(judged):
        deadlines.add_row(kind, status, str(count))
    console.print(deadlines)


def _institutions_table(system: Platform, visible: dict[str, int]) -> Table:
    inbox_topics = {t for t in system.bus.list_topics() if t.startswith("inbox.")}
    ends = system.bus.end_offsets(
        [tp for t in sorted(inbox_topics) for tp in partitions_of(system.bus, [t])]
    )
    inbox = Counter[str]()
    for tp, end in ends.items():
        inbox[tp.topic.removeprefix("inbox.")] += end
    table = Table("institution", "cases visible", "inbox messages", title="what each one sees")
    for institution, count in sorted(visible.items()):
        if count or inbox[institution]:
            table.add_row(institution, str(count), str(inbox[institution]))
    return table
