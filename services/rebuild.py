"""Rebuilding projections from offset 0 of ``case-events``, one process per database.

Projections are independent readers of the log. Those that share a database (the views, the
inboxes and the deadlines) take turns at its one writer lock on SQLite, so they rebuild one after
the other in one process; a projection with a database of its own (the aggregate) rebuilds beside
them in another process, on another core. Progress comes back over a queue.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from services.bootstrap import Platform
from services.settings import Settings

REBUILD_TIMEOUT_S = 24 * 3600.0


@dataclass(frozen=True)
class Rebuilt:
    name: str
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def by_database(system: Platform, names: Sequence[str]) -> list[list[str]]:
    """``names`` grouped by the database their rows and offsets live in, in data-path order."""
    projections = system.projections()
    groups: dict[str, list[str]] = defaultdict(list)
    for name in names:
        engine = system.engine_for(projections[name])
        groups[engine.url.render_as_string(hide_password=True)].append(name)
    return list(groups.values())


def rebuild(
    system: Platform, names: Sequence[str], progress: Callable[[str, int], object]
) -> list[Rebuilt]:
    """Reset and rebuild ``names``; ``progress(name, applied)`` as batches commit."""
    groups = by_database(system, names)
    if len(groups) == 1:
        return [_rebuild_one(system, n, progress) for n in groups[0]]
    context = multiprocessing.get_context("spawn")  # no inherited engines or sockets
    updates: multiprocessing.Queue[tuple[str, Any]] = context.Queue()
    workers = [
        context.Process(  # type: ignore[attr-defined]
            target=_rebuild_group,
            args=(system.settings, system.session_timeout_ms, group, updates),
            name=f"rebuild-{'+'.join(group)}",
            daemon=True,
        )
        for group in groups
    ]
    for worker in workers:
        worker.start()
    try:
        return _collect(workers, updates, progress, expected=len(names))
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
            worker.join(10)


def _collect(
    workers: list[Any],
    updates: multiprocessing.Queue[tuple[str, Any]],
    progress: Callable[[str, int], object],
    *,
    expected: int,
) -> list[Rebuilt]:
    done: list[Rebuilt] = []
    while len(done) < expected:
        try:
            name, update = updates.get(timeout=1.0)
        except queue.Empty:
            failed = [w for w in workers if not w.is_alive() and w.exitcode != 0]
            if failed:
                raise RuntimeError(f"{failed[0].name} exited with {failed[0].exitcode}") from None
            continue
        if isinstance(update, Rebuilt):
            done.append(update)
        elif isinstance(update, BaseException):
            raise RuntimeError(f"rebuilding {name} failed: {update!r}") from update
        else:
            progress(name, update)
    return done


def _rebuild_group(
    settings: Settings,
    session_timeout_ms: int | None,
    names: list[str],
    updates: multiprocessing.Queue[tuple[str, Any]],
) -> None:
    system = Platform(settings, session_timeout_ms)
    try:
        for name in names:
            try:
                updates.put((name, _rebuild_one(system, name, lambda n, c: updates.put((n, c)))))
            except Exception as error:
                updates.put((name, RuntimeError(f"{type(error).__name__}: {error}")))
                raise
    finally:
        system.close()


def _rebuild_one(system: Platform, name: str, progress: Callable[[str, int], object]) -> Rebuilt:
    from consumers.pipeline import partitions_of

    runner = system.runner(system.projections()[name], max_records=2_000)
    try:
        runner.reset()
        ends = system.bus.end_offsets(partitions_of(system.bus, runner.projection.topics))
        started = time.perf_counter()
        applied = runner.run_until(
            ends, timeout=REBUILD_TIMEOUT_S, publish=False, progress=lambda n: progress(name, n)
        )
        return Rebuilt(name, applied, time.perf_counter() - started)
    finally:
        runner.close()
