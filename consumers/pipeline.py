"""Running every projection of the platform together, until each has read all there is."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence

from consumers.runner import ProjectionRunner
from services.bus import Bus, TopicPartition


def partitions_of(bus: Bus, topics: Sequence[str] | re.Pattern[str]) -> list[TopicPartition]:
    names = (
        sorted(t for t in bus.list_topics() if topics.fullmatch(t))
        if isinstance(topics, re.Pattern)
        else list(topics)
    )
    return [TopicPartition(t, p) for t in names for p in range(bus.partitions_for(t))]


class Pipeline:
    """The exchange and the projections as one unit (a single process, one member each)."""

    def __init__(self, runners: Sequence[ProjectionRunner], bus: Bus) -> None:
        self.runners = list(runners)
        self.bus = bus

    def ends_for(self, runner: ProjectionRunner) -> dict[TopicPartition, int]:
        return self.bus.end_offsets(partitions_of(self.bus, runner.projection.topics))

    def drain(
        self, timeout: float = 120.0, progress: Callable[[str, int], object] | None = None
    ) -> dict[str, int]:
        """Run until no projection has anything left to read (outputs feed the others)."""
        applied = {r.projection.name: 0 for r in self.runners}
        deadline = time.monotonic() + timeout
        while True:
            busy = False
            for runner in self.runners:
                ends = self.ends_for(runner)
                if runner.caught_up(ends):
                    continue
                busy = True
                remaining = max(deadline - time.monotonic(), 1.0)
                name = runner.projection.name
                applied[name] += runner.run_until(
                    ends, timeout=remaining, progress=_named(progress, name)
                )
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
