"""``povezimo run`` and ``povezimo replay``: the exchange and projections from the command line."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from consumers.blue_green import rebuild_if_changed
from consumers.pipeline import Pipeline, partitions_of
from consumers.runner import ProjectionRunner
from schemas.topics import CASE_EVENTS
from services.bootstrap import Platform
from services.cli.common import USAGE, BusOption, DataDirOption, console, fail, platform
from services.operations.replay import ShareDone, rebuild_online


def replay(
    projection: Annotated[
        list[str] | None, typer.Option("--projection", help="Projection to rebuild (repeatable).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Rebuild every projection.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Processes reading partitions side by side (default: one per partition, "
            "at most two per core).",
        ),
    ] = None,
    bus: BusOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Rebuild projections from offset 0 beside the live ones, which keep serving, then switch."""
    with platform(bus, data_dir) as system:
        _replay(system, console(), projection, all_, workers)


def _replay(
    system: Platform,
    out: Console,
    projection: list[str] | None,
    all_: bool,
    workers: int | None,
) -> None:
    available = system.projections()
    replayable = [name for name, p in available.items() if p.replayable]
    chosen = replayable if all_ else list(projection or [])
    known = ", ".join(replayable)
    if not chosen:
        fail("missing_projection", f"name --projection (one of {known}) or --all", USAGE)
    for name in chosen:
        if name not in replayable:
            fail("unknown_projection", f"{name!r} cannot be replayed; one of {known}", USAGE)
    ends = system.bus.end_offsets(partitions_of(system.bus, [CASE_EVENTS]))
    columns = (TextColumn("[bold]{task.description}[/]"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    shares: list[ShareDone] = []
    with Progress(*columns, console=out) as progress:
        tasks = {name: progress.add_task(name, total=sum(ends.values())) for name in chosen}
        rebuilt = rebuild_online(
            system,
            chosen,
            lambda name, n: progress.advance(tasks[name], n),
            workers=workers,
            done=shares,
        )
    for done in sorted(rebuilt, key=lambda r: chosen.index(r.name)):
        out.print(f"{done.name}: rebuilt from {done.events} events")
    elapsed = max((r.seconds for r in rebuilt), default=0.0)
    rate = max((r.rate for r in rebuilt), default=0.0)
    processes = "1 process" if len(shares) == 1 else f"{len(shares)} processes"
    out.print(
        f"{', '.join(chosen)} rebuilt together in {elapsed:.2f}s ({rate:,.0f} events/s): each "
        f"record read and decoded once, {processes} reading partitions side by side"
    )


def run(
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="Stop once everything has been read.")
    ] = False,
    bus: BusOption = None,
    data_dir: DataDirOption = None,
    projection: Annotated[
        list[str] | None,
        typer.Option("--projection", help="Run only this one (repeatable); default: all."),
    ] = None,
) -> None:
    """Run the exchange and every projection (until Ctrl-C, or --until-idle).

    On a directory that holds no platform yet it starts one there (a new deployment)."""
    with platform(bus, data_dir, creates=True) as system:
        _run(system, console(), until_idle, projection)


def _run(system: Platform, out: Console, until_idle: bool, only: list[str] | None) -> None:
    """The exchange and every projection (or those named), each as its own group member."""
    projections = system.projections()
    unknown = sorted(set(only or ()) - set(projections))
    if unknown:
        known = ", ".join(projections)
        fail("unknown_projection", f"no projection {', '.join(unknown)}; known: {known}", USAGE)
    runners = [system.runner(p) for n, p in projections.items() if not only or n in only]
    if until_idle:
        for runner in runners:
            rebuild_if_changed(runner)
        pipeline = Pipeline(runners, system.bus)
        applied = pipeline.drain(timeout=3600)
        pipeline.close()
        for name, count in applied.items():
            out.print(f"{name}: {count} records")
        return
    # Takeovers and standing by are what an operator of a standby reads in this log.
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("consumers").setLevel(logging.INFO)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threads = [
        threading.Thread(
            target=_rebuilt_then_run, args=(r, stop), name=r.projection.name, daemon=True
        )
        for r in runners
    ]
    for thread in threads:
        thread.start()
    out.print(f"running {', '.join(t.name for t in threads)}; Ctrl-C to stop")
    try:
        while not stop.is_set():
            stop.wait(1.0)
    except KeyboardInterrupt:
        stop.set()
    for thread in threads:
        thread.join(timeout=10)
    for runner in runners:
        runner.close()


def _rebuilt_then_run(runner: ProjectionRunner, stop: threading.Event) -> None:
    """A projection of another version is rebuilt beside the old one first, which serves."""
    rebuild_if_changed(runner, stop.is_set)
    runner.run(stop.is_set)
