"""`povezimo demo`: months of the seed network through the producer SDK, the exchange and every
projection, then a summary.

The simulated institutions submit through ``producers.publisher`` (outbox, then relay) batch by
batch in the order of time; each batch holds a case's events from one institution only, and the
exchange decides a batch before the next is submitted, as an institution acts on what its inbox told
it (a batch is a round of answers within twelve hours: see ``Simulation.batches``). Every projection
follows all along in a second process (``services.operations.follower``), on the second core: none
of them shares a database with the exchange. At the end the exchange and that process take turns,
each with the group members it has, until the deadline watcher's last expiries are decided. The
summary is a list of sections (``services.demo.summary.SECTIONS``); other parts of the platform add
theirs there.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from consumers.decisions import decided_among
from consumers.pipeline import Pipeline
from consumers.runner import ProjectionRunner
from producers.publisher import Publisher, Relay
from producers.scenario import Submission
from producers.simulator import Simulation, simulate
from services.bootstrap import Platform
from services.demo.summary import DemoRun, print_summary
from services.operations import topology
from services.operations.follower import FollowerProcess

DEFAULT_START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
EXCHANGE = "exchange"


def default_start(months: int, today: dt.date) -> dt.datetime:
    """2025-01-01, or earlier when ``months`` would reach past the current month."""
    latest = dt.datetime(today.year, today.month, 1, tzinfo=dt.UTC)
    back = (latest.year * 12 + latest.month - 1) - months
    earliest = dt.datetime(back // 12, back % 12 + 1, 1, tzinfo=dt.UTC)
    return min(DEFAULT_START, earliest)


def run_demo(
    system: Platform,
    console: Console,
    *,
    months: int,
    seed: int,
    start: dt.datetime,
    scale: float = 1.0,
    programme: list[Submission] | None = None,
) -> DemoRun:
    console.print(
        f"bus [bold]{system.bus.url}[/], registry {system.settings.resolved_registry_url}"
    )
    console.print(f"registered {len(system.codec.register_all())} schemas")
    timings: dict[str, float] = {}
    with Network(system) as network:
        if programme:
            began = time.perf_counter()
            network.record(programme)
            timings["programme"] = time.perf_counter() - began
            console.print(f"recorded the programme's own work: {len(programme)} events")
        began = time.perf_counter()
        simulation = simulate(seed, start=start, months=months, scale=scale, vault=system.vault)
        timings["simulate"] = time.perf_counter() - began
        console.print(
            f"simulated {len(simulation.cases)} cases, {simulation.event_count} events, "
            f"{start:%Y-%m} to {simulation.end - dt.timedelta(days=1):%Y-%m} (seed {seed})"
        )
        began = time.perf_counter()
        with _progress(console) as progress:
            task = progress.add_task("institutions submit", total=simulation.event_count)
            follow = progress.add_task("projections follow", total=None)
            network.run(
                simulation,
                submitted=lambda month, n: progress.update(
                    task, advance=n, description=f"institutions submit {month}"
                ),
                followed=lambda n: progress.advance(follow, n),
            )
        timings["pipeline"] = time.perf_counter() - began
    run = DemoRun(system, simulation, timings)
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
    with Network(system) as network:
        network.run(simulation, submitted=submitted, followed=followed)


class Network:
    """The exchange in this process and every other projection in a second one.

    Started before the simulation is made: joining their groups takes seconds on a broker (half
    the session timeout on tansu), and the second process starts a Python of its own, so both
    wait while the simulation computes rather than after it.
    """

    def __init__(self, system: Platform) -> None:
        self.system = system
        # Every topic production defines, created up front (with this bus's partition counts):
        # the exchange's pattern subscription holds every submissions topic from its first poll,
        # and producers learn every topic in their first metadata answer instead of waiting for
        # another at each topic's first record.
        for spec in topology.topics(system.institutions):
            system.bus.create_topic(spec.name)
        projections = system.projections()
        self.exchange = system.runner(projections[EXCHANGE], max_records=500)
        self.pipeline = Pipeline([self.exchange], system.bus)
        _ = system.pseudonyms  # the key exists before two processes could both want to create it
        _ = system.codec  # made here, not by two threads at once
        followers = [name for name in projections if name != EXCHANGE]
        self.follower = FollowerProcess(system.settings, followers, system.session_timeout_ms)
        self._warming = ThreadPoolExecutor(1, thread_name_prefix="exchange-join")
        self._joined: Future[int] | None = None

    def __enter__(self) -> Network:
        self.follower.start()
        # The exchange's first poll joins its group; what it finds meanwhile it decides.
        self._joined = self._warming.submit(self.exchange.step, timeout=0.1)
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self._warming.shutdown(wait=True)
        if kind is not None:
            self.follower.stop()
        self.pipeline.close()

    def record(self, batch: list[Submission]) -> None:
        """Submit one batch through the SDK (the programme's record) and wait until the exchange
        decided it; the projections in the other process follow it like any other."""
        if self._joined is not None:
            self._joined.result()  # the exchange is this thread's from here on
            self._joined = None
        _submit(self.system, {}, batch)
        Relay(self.system.outbox_engine, self.system.bus).deliver()
        _await_decisions(self.exchange, self.system.exchange_engine, batch)

    def run(
        self,
        simulation: Simulation,
        *,
        submitted: Callable[[str, int], object] = lambda _month, _n: None,
        followed: Callable[[int], object] = lambda _n: None,
    ) -> None:
        """Submit ``simulation`` batch by batch, then decide and follow everything it caused."""
        system = self.system
        if self._joined is not None:
            self._joined.result()  # the exchange is this thread's from here on
        publishers: dict[str, Publisher] = {}
        relay = Relay(system.outbox_engine, system.bus)
        for month, batches in simulation.by_month():
            for batch in batches:
                _submit(system, publishers, batch)
                relay.deliver()
                # The exchange decides this batch before the next is submitted, as institutions
                # wait for its answers (the ids, not log ends: asking a broker for them is slow).
                _await_decisions(self.exchange, system.exchange_engine, batch)
                submitted(month, len(batch))
                followed(self.follower.applied())
        relay.deliver()
        _settle(self.pipeline, self.follower, followed)
        self.follower.finish()
        followed(self.follower.applied())


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
            count = decided_among(conn, ids)
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
