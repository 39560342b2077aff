"""Replay with both cores: every replayable projection rebuilt at once, one process each.

Projections are independent readers of ``case-events`` with their own tables, so a rebuild can
run them side by side; the wall time is the slowest one's. On SQLite they still queue for the
database's one writer lock wherever they share a file (the views), which this measures too.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from consumers.pipeline import partitions_of
from services.bench.workspace import platform_of
from services.cli_projections import NOT_REPLAYABLE

# Children import the platform before the clock: they all start at this many seconds from now.
START_DELAY_S = 5.0


@dataclass
class ParallelReplayRun:
    bus: str
    events: int
    wall_seconds: float
    per_projection: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.events / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def sequential_seconds(self) -> float:
        return sum(self.per_projection.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "bus": self.bus,
            "events": self.events,
            "wall_seconds": round(self.wall_seconds, 2),
            "rate": round(self.rate),
            "per_projection": {k: round(v, 2) for k, v in self.per_projection.items()},
        }


def replayable(settings: dict[str, str]) -> list[str]:
    system = platform_of(settings)
    names = [name for name in system.projections() if name not in NOT_REPLAYABLE]
    system.close()
    return names


def rebuild_one(settings: dict[str, str], name: str, events: int, start_at: float) -> float:
    """Reset and rebuild projection ``name``, starting at wall time ``start_at``; its end time."""
    system = platform_of(settings)
    runner = system.runner(system.projections()[name])
    system.codec  # noqa: B018  (schemas loaded before the clock)
    time.sleep(max(0.0, start_at - time.time()))
    runner.reset()
    ends = system.bus.end_offsets(partitions_of(system.bus, runner.projection.topics))
    applied = runner.run_until(ends, timeout=24 * 3600, publish=False)
    finished = time.time()
    runner.close()
    system.close()
    if applied < events:
        raise RuntimeError(f"{name} applied {applied} of {events} events")
    return finished


def replay_in_parallel(bus: str, settings: dict[str, str], events: int) -> ParallelReplayRun:
    names = replayable(settings)
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + START_DELAY_S
    with ProcessPoolExecutor(max_workers=len(names), mp_context=context) as pool:
        futures = {n: pool.submit(rebuild_one, settings, n, events, start_at) for n in names}
        finished = {n: f.result() - start_at for n, f in futures.items()}
    return ParallelReplayRun(bus, events, max(finished.values()), finished)
