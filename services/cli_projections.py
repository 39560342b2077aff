"""`povezimo run` and `povezimo replay`: the exchange and projections from the command line."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from consumers.events import CASE_EVENTS
from consumers.pipeline import Pipeline, partitions_of
from services.bootstrap import Platform
from services.rebuild import ShareDone, rebuild

# The exchange is the gate, not a projection of the log: rebuilding it would append every
# accepted submission to case-events again. The archive is the audit record itself: dropping it
# would throw away its signed history. Everything else downstream of case-events can be replayed.
NOT_REPLAYABLE = {"exchange", "archive"}


def replay(
    system: Platform,
    console: Console,
    projection: Annotated[
        list[str] | None, typer.Option("--projection", help="Projection to rebuild (repeatable).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Rebuild every projection.")] = False,
    workers: int | None = None,
) -> None:
    """Drop projections and rebuild them from offset 0 of case-events, printing events/s."""
    available = system.projections()
    replayable = [name for name in available if name not in NOT_REPLAYABLE]
    chosen = replayable if all_ else list(projection or [])
    if not chosen:
        raise typer.BadParameter(f"name --projection (one of {', '.join(replayable)}) or --all")
    for name in chosen:
        if name in NOT_REPLAYABLE or name not in available:
            raise typer.BadParameter(f"{name!r} cannot be replayed; choose from {replayable}")
    ends = system.bus.end_offsets(partitions_of(system.bus, [CASE_EVENTS]))
    columns = (TextColumn("[bold]{task.description}[/]"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    shares: list[ShareDone] = []
    with Progress(*columns, console=console) as progress:
        tasks = {name: progress.add_task(name, total=sum(ends.values())) for name in chosen}
        rebuilt = rebuild(
            system,
            chosen,
            lambda name, n: progress.advance(tasks[name], n),
            workers=workers,
            done=shares,
        )
    for done in sorted(rebuilt, key=lambda r: chosen.index(r.name)):
        console.print(f"{done.name}: rebuilt from {done.events} events")
    elapsed = max((r.seconds for r in rebuilt), default=0.0)
    rate = max((r.rate for r in rebuilt), default=0.0)
    processes = "1 process" if len(shares) == 1 else f"{len(shares)} processes"
    console.print(
        f"{', '.join(chosen)} rebuilt together in {elapsed:.2f}s ({rate:,.0f} events/s): each "
        f"record read and decoded once, {processes} reading partitions side by side"
    )


def run(
    system: Platform, console: Console, until_idle: bool, only: list[str] | None = None
) -> None:
    """The exchange and every projection (or those named), each as its own group member."""
    projections = system.projections()
    unknown = sorted(set(only or ()) - set(projections))
    if unknown:
        console.print(
            f"[red]no projection {', '.join(unknown)}; known: {', '.join(projections)}[/]"
        )
        raise SystemExit(2)
    runners = [system.runner(p) for n, p in projections.items() if not only or n in only]
    if until_idle:
        pipeline = Pipeline(runners, system.bus)
        applied = pipeline.drain(timeout=3600)
        pipeline.close()
        for name, count in applied.items():
            console.print(f"{name}: {count} records")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threads = [
        threading.Thread(target=r.run, args=(stop.is_set,), name=r.projection.name, daemon=True)
        for r in runners
    ]
    for thread in threads:
        thread.start()
    console.print(f"running {', '.join(t.name for t in threads)}; Ctrl-C to stop")
    try:
        while not stop.is_set():
            stop.wait(1.0)
    except KeyboardInterrupt:
        stop.set()
    for thread in threads:
        thread.join(timeout=10)
    for runner in runners:
        runner.close()
