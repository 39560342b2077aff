"""Running every projection of the platform together, until each has read all there is."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from consumers.runner import ProjectionRunner
from services.bus import Bus, TopicPartition


def partitions_of(bus: Bus, topics: Sequence[str] | re.Pattern[str]) -> list[TopicPartition]:
    names = (
        sorted(t for t in bus.list_topics() if topics.fullmatch(t))
        if isinstance(topics, re.Pattern)
        else list(topics)
    )
    counts = bus.partition_counts(names)
    return [TopicPartition(t, p) for t in names for p in range(counts[t])]


class Pipeline:
    """The exchange and the projections as one unit (a single process, one member each)."""

    def __init__(self, runners: Sequence[ProjectionRunner], bus: Bus) -> None:
        self.runners = list(runners)
        self.bus = bus

    def ends_for(self, runner: ProjectionRunner) -> dict[TopicPartition, int]:
        return self.bus.end_offsets(partitions_of(self.bus, runner.projection.topics))

    def drain(
        self,
        timeout: float = 120.0,
        progress: Callable[[str, int], object] | None = None,
        *,
        side_by_side: bool = False,
    ) -> dict[str, int]:
        """Run until no projection has anything left to read (outputs feed the others).

        ``side_by_side`` runs each projection in a thread of its own: their waits overlap (a
        broker takes seconds to let a member join its group; one after another, five members
        took half a minute) and so do their databases' writes.
        """
        applied = {r.projection.name: 0 for r in self.runners}
        deadline = time.monotonic() + timeout

        def catch_up(runner: ProjectionRunner, ends: dict[TopicPartition, int]) -> bool:
            if runner.caught_up(ends):
                return False
            name = runner.projection.name
            remaining = max(deadline - time.monotonic(), 1.0)
            applied[name] += runner.run_until(
                ends, timeout=remaining, progress=_named(progress, name)
            )
            return True

        while True:
            if side_by_side and len(self.runners) > 1:
                # Log ends are read here: the bus's metadata client is not for several threads.
                ends = [self.ends_for(runner) for runner in self.runners]
                with ThreadPoolExecutor(len(self.runners)) as pool:
                    busy = any(list(pool.map(catch_up, self.runners, ends)))
            else:
                # A list, not a generator: every runner catches up, busy or not.
                busy = any([catch_up(r, self.ends_for(r)) for r in self.runners])
            if not busy:
                return applied
            if time.monotonic() > deadline:
                raise TimeoutError(f"pipeline not drained in {timeout}s")

    def close(self) -> None:
        for runner in self.runners:
            runner.close()


def _named(
    progress: Callable[[str, int], object] | None, name: str
) -> Callable[[int], object] | None:
    if progress is None:
        return None
    return lambda count: progress(name, count)
