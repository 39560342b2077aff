"""What reading partitions side by side gains: the replay again with a single process.

``povezimo replay`` rebuilds with a process per partition (at most two per core), each feeding
every projection from its own partitions; here the same rebuild runs with one process reading
every partition, so the ratio of the two is what the second core (and the overlap of one
process's writes with another's work) brings.
"""

from __future__ import annotations

from services.bench.replay import ReplayRun, replay_in_child


def replay_in_one_process(bus: str, settings: dict[str, str], events: int) -> ReplayRun:
    return replay_in_child(bus, settings, events, workers=1)
