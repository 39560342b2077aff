"""`povezimo demo`: months of the seed network through the producer SDK, the exchange and every
projection, then a summary.

The simulated institutions submit through ``producers.publisher`` (outbox, then relay) batch by
batch in the order of time; each batch holds a case's events from one institution only, and the
exchange decides a batch before the next is submitted, as an institution acts on what its inbox
told it (a batch is a round of answers within six hours: see ``Simulation.batches``). Every
projection follows all along in a second process (``services.follower``), on the second core:
none of them shares a database with the exchange. At the end the exchange and that process take
turns, each with the group members it has, until the deadline watcher's last expiries are
decided. The summary is a list of sections (``demo_summary.SECTIONS``); other parts of the
platform add theirs there.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, bindparam, func, select

from consumers.exchange import submissions_table
from consumers.pipeline import Pipeline
from consumers.runner import ProjectionRunner
from producers.publisher import Publisher, Relay, submissions_topic
from producers.scenario import Submission
from producers.simulator import Simulation, simulate
from services.bootstrap import Platform
from services.follower import FollowerProcess

DEFAULT_START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
EXCHANGE = "exchange"
# How many of a batch's submissions the exchange has decided (asked after every batch).
_DECIDED = select(func.count()).where(
    submissions_table.c.event_id.in_(bindparam("ids", expanding=True))
)


def default_start(months: int, today: dt.date) -> dt.datetime:
    """2025-01-01, or earlier when ``months`` would reach past the current month."""
    latest = dt.datetime(today.year, today.month, 1, tzinfo=dt.UTC)
    back = (latest.year * 12 + latest.month - 1) - months
    earliest = dt.datetime(back // 12, back % 12 + 1, 1, tzinfo=dt.UTC)
    return min(DEFAULT_START, earliest)


@dataclass
class DemoRun:
    """What a demo did, for the summary sections."""

    system: Platform
    simulation: Simulation
    timings: dict[str, float] = field(default_factory=dict)


def run_demo(
    system: Platform,
    console: Console,
    *,
    months: int,
    seed: int,
    start: dt.datetime,
    scale: float = 1.0,
) -> DemoRun:
    from services.demo_summary import print_summary

    console.print(
        f"bus [bold]{system.bus.url}[/], registry {system.settings.resolved_registry_url}"
    )
    console.print(f"registered {len(system.codec.register_all())} schemas")
    timings: dict[str, float] = {}
    began = time.perf_counter()
    simulation = simulate(seed, start=start, months=months, scale=scale, vault=system.vault)
    timings["simulate"] = time.perf_counter() - began
    console.print(
        f"simulated {len(simulation.cases)} cases, {simulation.event_count} events, "
        f"{start:%Y-%m} to {simulation.end - dt.timedelta(days=1):%Y-%m} (seed {seed})"
    )
    run = DemoRun(system, simulation, timings)
    began = time.perf_counter()
    with _progress(console) as progress:
        task = progress.add_task("institutions submit", total=simulation.event_count)
        follow = progress.add_task("projections follow", total=None)
        run_network(
            system,
            simulation,
            submitted=lambda month, n: progress.update(
                task, advance=n, description=f"institutions submit {month}"
            ),
            followed=lambda n: progress.advance(follow, n),
        )
    timings["pipeline"] = time.perf_counter() - began
    print_summary(run, console)
    return run


def run_network(
    system: Platform,
    simulation: Simulation,
    *,
    submitted: Callable[[str, int], object] = lambda _month, _n: None,
    followed: Callable[[int], object] = lambda _n: None,
) -> None:
    """Submit the simulation through the SDK, batch by batch, and run every projection."""
    for institution in system.institutions:
        # Created up front, so the exchange's pattern subscription holds them from its first poll.
        system.bus.create_topic(submissions_topic(institution.id))
    projections = system.projections()
    exchange = system.runner(projections[EXCHANGE], max_records=500)
    pipeline = Pipeline([exchange], system.bus)
    publishers: dict[str, Publisher] = {}
    relay = Relay(system.outbox_engine, system.bus)
    _ = system.pseudonyms  # the key exists before two processes could both want to create it
    followers = [name for name in projections if name != EXCHANGE]
    follower = FollowerProcess(system.settings, followers, system.session_timeout_ms).start()
    try:
        for month, batches in simulation.by_month():
            for batch in batches:
                _submit(system, publishers, batch)
                relay.deliver()
                # The exchange decides this batch before the next is submitted, as institutions
                # wait for its answers (the ids, not log ends: asking a broker for them is slow).
                _await_decisions(exchange, system.exchange_engine, batch)
                submitted(month, len(batch))
                followed(follower.applied())
        relay.deliver()
        _settle(pipeline, follower, followed)
        follower.finish()
        followed(follower.applied())
    except BaseException:
        follower.stop()
        raise
    finally:
        pipeline.close()


def _settle(
    pipeline: Pipeline, follower: FollowerProcess, followed: Callable[[int], object]
) -> None:
    """Decide everything submitted, until the projections' own submissions stop coming.

    The deadline watcher submits expiries as the log's clocks pass due times, and what the
    exchange accepts of them moves the clocks again: exchange and followers take turns, each with
    the members it has (no group joins), until a turn of the exchange decides nothing new.
    """
    pipeline.drain(timeout=600)
    while True:
        follower.settle()
        followed(follower.applied())
        if not pipeline.drain(timeout=600)[EXCHANGE]:
            return


def _await_decisions(
    exchange: ProjectionRunner, engine: Engine, batch: list[Submission], timeout: float = 600
) -> None:
    ids = list({str(s.event_id) for s in batch})
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            count = conn.execute(_DECIDED, {"ids": ids}).scalar_one()
        if count >= len(ids):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the exchange did not decide a batch in {timeout:.0f}s")
        exchange.step_expecting(len(ids) - count, timeout=0.5)


def _submit(system: Platform, publishers: dict[str, Publisher], batch: list[Submission]) -> None:
    """Each institution writes its events to the outbox (one transaction for the batch)."""
    by_institution: dict[str, list[Submission]] = defaultdict(list)
    for submission in batch:
        by_institution[submission.institution].append(submission)
    with system.outbox_engine.begin() as tx:
        for institution, items in by_institution.items():
            publisher = publishers.get(institution)
            if publisher is None:
                publisher = publishers[institution] = Publisher(
                    institution, system.codec, system.outbox_engine
                )
            publisher.submit_many([s.event for s in items], tx)


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
