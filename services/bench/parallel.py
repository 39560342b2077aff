"""Replay with both cores, as ``povezimo replay --all`` runs it: one process per database.

Projections are independent readers of ``case-events`` with their own tables; those sharing a
database (the views, inboxes and deadlines) queue for its one writer lock on SQLite, so they
rebuild in turn in one process while the aggregate rebuilds beside them in another
(``services.rebuild``). The wall time is the slower process's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from services.bench.workspace import platform_of
from services.cli_projections import NOT_REPLAYABLE
from services.rebuild import rebuild


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


def replay_in_parallel(bus: str, settings: dict[str, str], events: int) -> ParallelReplayRun:
    system = platform_of(settings)
    names = [name for name in system.projections() if name not in NOT_REPLAYABLE]
    system.codec  # noqa: B018  (schemas loaded before the clock)
    started = time.perf_counter()
    rebuilt = rebuild(system, names, lambda _name, _n: None)
    wall = time.perf_counter() - started
    system.close()
    short = [r.name for r in rebuilt if r.events < events]
    if short:
        raise RuntimeError(f"{', '.join(short)} applied fewer than {events} events")
    return ParallelReplayRun(bus, events, wall, {r.name: r.seconds for r in rebuilt})
