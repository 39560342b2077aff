"""``povezimo bench``: generate the events once, then measure everything in the same run."""

from __future__ import annotations

import contextlib
import functools
import logging
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from services.bench.databases import projection_stores
from services.bench.http_ingest import HttpIngestResult, measure_http_ingest
from services.bench.idle import IdleResult, measure_idle
from services.bench.ingest import IngestRun, measure_ingest
from services.bench.latency import LatencyResult, measure_referral_latency
from services.bench.longpoll import LongPollResult, measure_longpoll
from services.bench.memory import Scaling, summarise
from services.bench.parallel import replay_in_one_process
from services.bench.peer import PeerRun, peer_in_child, store_peer_events
from services.bench.replay import ReplayRun, replay_in_child
from services.bench.sample_events import EventSet
from services.bench.workspace import Workspace, append_case_log, platform_of

MEASUREMENTS = ("replay", "parallel", "peer", "ingest", "http", "latency", "longpoll", "idle")


@dataclass
class BenchOptions:
    sizes: list[int]
    repeat: int = 3
    buses: list[str] = field(default_factory=lambda: ["sqlite", "kafka"])
    only: list[str] = field(default_factory=lambda: list(MEASUREMENTS))
    seed: int = 2006
    latency_seconds: float = 60.0
    latency_rate: float = 50.0
    ingest_events: int = 10_000
    http_rate: float = 100.0
    http_seconds: float = 20.0
    peer_max_events: int = 100_000  # the peer at library defaults (an fsync per event) is slow
    database: str | None = None  # a PostgreSQL URL: the replay again, the projections' stores there


@dataclass
class BenchResults:
    options: BenchOptions
    replay: dict[tuple[str, int], list[ReplayRun]] = field(default_factory=dict)
    peer: dict[int, list[PeerRun]] = field(default_factory=dict)
    peer_library_default: list[PeerRun] = field(default_factory=list)
    ingest: list[IngestRun] = field(default_factory=list)
    latency: dict[str, list[LatencyResult]] = field(default_factory=dict)
    http: dict[str, list[HttpIngestResult]] = field(default_factory=dict)
    parallel: dict[tuple[str, int], list[ReplayRun]] = field(default_factory=dict)  # one process
    longpoll: list[LongPollResult] = field(default_factory=list)
    idle: list[IdleResult] = field(default_factory=list)

    def scaling(self) -> list[Scaling]:
        found = []
        for where in dict.fromkeys(b for b, _n in self.replay):  # as measured: bus, then stores
            sizes = [
                summarise(runs) for (b, _n), runs in self.replay.items() if b == where and runs
            ]
            if sizes:
                found.append(Scaling(where, sizes))
        return found

    def as_dict(self) -> dict[str, Any]:
        def med(values: Sequence[float]) -> float:
            return statistics.median(values) if values else float("nan")

        return {
            "options": self.options.__dict__,
            "replay": {
                f"{bus}:{n}": [r.as_dict() for r in runs] for (bus, n), runs in self.replay.items()
            },
            "scaling": [s.as_dict() for s in self.scaling()],
            "parallel": {
                f"{bus}:{n}": [r.as_dict() for r in runs]
                for (bus, n), runs in self.parallel.items()
            },
            "peer": {str(n): [r.as_dict() for r in runs] for n, runs in self.peer.items()},
            "peer_library_default": [r.as_dict() for r in self.peer_library_default],
            "ingest": [r.as_dict() for r in self.ingest],
            "http": {bus: [r.as_dict() for r in runs] for bus, runs in self.http.items()},
            "longpoll": [r.as_dict() for r in self.longpoll],
            "idle": [r.as_dict() for r in self.idle],
            "latency": {
                bus: {
                    "runs": [r.as_dict() for r in runs],
                    "median_p50_ms": round(med([r.p50 for r in runs]) * 1000, 1),
                    "median_p99_ms": round(med([r.p99 for r in runs]) * 1000, 1),
                }
                for bus, runs in self.latency.items()
            },
        }


@contextlib.contextmanager
def _quiet_kafka() -> Iterator[None]:
    """kafka-python logs every socket a stopped broker closes; the table is what matters."""
    logger = logging.getLogger("kafka")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def run_bench(options: BenchOptions, root: Path, console: Console) -> BenchResults:
    workspace = Workspace(root)
    results = BenchResults(options)
    largest = max(options.sizes)
    with _quiet_kafka(), _progress(console) as progress:
        title = f"generate {largest:,} events (seed {options.seed})"
        task = progress.add_task(title, total=largest)
        events = EventSet.build(
            largest, options.seed, workspace.codec, lambda n: progress.advance(task, n)
        )
        progress.remove_task(task)
        if {"replay", "parallel", "peer"} & set(options.only):
            _replay_and_peer(workspace, events, options, results, progress)
        if "ingest" in options.only:
            sample = events.head(min(options.ingest_events, len(events)))
            task = progress.add_task(f"ingest ({len(sample):,} events)", total=options.repeat)
            for _ in range(options.repeat):
                results.ingest.append(measure_ingest(workspace, sample, len(results.ingest)))
                progress.advance(task)
            progress.remove_task(task)
        if "http" in options.only:
            for bus in options.buses:
                task = progress.add_task(
                    f"{bus}: HTTP ingest at {options.http_rate:g} requests/s", total=options.repeat
                )
                for _ in range(options.repeat):
                    results.http.setdefault(bus, []).append(
                        measure_http_ingest(
                            workspace, bus, rate=options.http_rate, seconds=options.http_seconds
                        )
                    )
                    progress.advance(task)
                progress.remove_task(task)
        if "latency" in options.only:
            _latency(workspace, options, results, progress)
        if "longpoll" in options.only:
            task = progress.add_task(
                "reads under 100 long-polls of one token", total=options.repeat
            )
            for _ in range(options.repeat):
                results.longpoll.append(measure_longpoll(workspace))
                progress.advance(task)
            progress.remove_task(task)
        if "idle" in options.only:
            task = progress.add_task("an idle serve's CPU", total=options.repeat)
            for _ in range(options.repeat):
                results.idle.append(measure_idle(workspace))
                progress.advance(task)
            progress.remove_task(task)
    return results


def _replay_and_peer(
    workspace: Workspace,
    events: EventSet,
    options: BenchOptions,
    results: BenchResults,
    progress: Progress,
) -> None:
    buses = options.buses if {"replay", "parallel"} & set(options.only) else ["sqlite"]
    for bus in buses:
        for size in sorted(options.sizes):
            log = events.head(size)
            with workspace.bus_url(bus) as url:
                settings = workspace.settings(f"replay-{bus}-{size}", url)
                system = platform_of(settings)
                task = progress.add_task(f"{bus}: write {size:,} events to case-events", total=size)
                append_case_log(system.bus, log, functools.partial(progress.advance, task))
                system.close()
                progress.remove_task(task)
                if "replay" in options.only:
                    _replay(bus, size, settings, options, results, progress)
                if "parallel" in options.only:
                    task = progress.add_task(
                        f"{bus}: replay {size:,} in one process", total=options.repeat
                    )
                    parallel = results.parallel.setdefault((bus, size), [])
                    for _ in range(options.repeat):
                        parallel.append(replay_in_one_process(bus, settings, size))
                        progress.advance(task)
                    progress.remove_task(task)
                if bus == "sqlite" and "peer" in options.only:
                    _peer(workspace, log, settings, options, results, progress)


def _replay(
    bus: str,
    size: int,
    settings: dict[str, str],
    options: BenchOptions,
    results: BenchResults,
    progress: Progress,
) -> None:
    """The replay with the projections' stores in SQLite, then (``--database``) in PostgreSQL,
    one repetition of each in turn so that both meet the same moments of a shared machine."""
    places: list[tuple[str, contextlib.AbstractContextManager[dict[str, str]]]] = [
        (bus, contextlib.nullcontext({}))
    ]
    if options.database:
        places.append((f"{bus}, stores on postgresql", projection_stores(options.database)))
    with contextlib.ExitStack() as stack:
        stores = [(where, stack.enter_context(urls)) for where, urls in places]
        task = progress.add_task(f"{bus}: replay {size:,}", total=options.repeat * len(stores))
        for _ in range(options.repeat):
            for where, urls in stores:
                run = replay_in_child(bus, settings | urls, size)
                run.bus = where
                results.replay.setdefault((where, size), []).append(run)
                progress.advance(task)
        progress.remove_task(task)


def _peer(
    workspace: Workspace,
    log: EventSet,
    settings: dict[str, str],
    options: BenchOptions,
    results: BenchResults,
    progress: Progress,
) -> None:
    size = len(log)
    store = workspace.root / f"peer-store-{size}.db"
    view = workspace.root / f"peer-view-{size}.db"
    task = progress.add_task(f"peer: store {size:,} events in eventsourcing", total=None)
    store_peer_events(store, log, workspace.codec)
    progress.remove_task(task)
    task = progress.add_task(f"peer: ours and eventsourcing at {size:,}", total=options.repeat)
    runs = results.peer.setdefault(size, [])
    for _ in range(options.repeat):
        runs.append(peer_in_child(settings, store, view, size))
        progress.advance(task)
    progress.remove_task(task)
    if size == min(options.sizes) and size <= options.peer_max_events:
        task = progress.add_task(f"peer at library defaults, {size:,}", total=options.repeat)
        for _ in range(options.repeat):
            results.peer_library_default.append(
                peer_in_child(settings, store, view, size, synchronous=None)
            )
            progress.advance(task)
        progress.remove_task(task)
    for leftover in workspace.root.glob(f"peer-*-{size}.db*"):
        leftover.unlink()


def _latency(
    workspace: Workspace,
    options: BenchOptions,
    results: BenchResults,
    progress: Progress,
) -> None:
    # Enough cases in flight that two events of one case are ~1 s apart at this rate, as when
    # institutions act on what their inbox told them rather than all at once.
    needed = int(options.latency_rate * options.latency_seconds)
    in_flight = max(16, int(options.latency_rate))
    load = EventSet.build(
        needed, options.seed, workspace.codec, cases_in_flight=in_flight, vault=workspace.vault
    )
    for bus in options.buses:
        task = progress.add_task(
            f"{bus}: referral latency at {options.latency_rate:g} events/s",
            total=len(load) * options.repeat,
        )
        for _ in range(options.repeat):
            results.latency.setdefault(bus, []).append(
                measure_referral_latency(
                    workspace,
                    bus,
                    load,
                    rate=options.latency_rate,
                    seconds=options.latency_seconds,
                    progress=functools.partial(progress.advance, task),
                )
            )
        progress.remove_task(task)
