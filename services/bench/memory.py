"""Memory and scaling of the replay, read from the replay repetitions at every size.

Every rebuild process measured its own peak RSS (``VmHWM``) when its partitions were done, before
the ceiling loaded the log into memory, so the figures are the replay's own.
A replay that streams keeps the same peak whatever the length of the log; one that holds the log
(or a growing cache) shows it here.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.bench.replay import ReplayRun

# A national deployment's decade of history (≈ 28,000 cases a year × ≈ 20 events).
DECADE_OF_EVENTS = 6_000_000


@dataclass
class SizeSummary:
    bus: str
    events: int
    rate: float  # median events/s, all projections rebuilt, the whole call
    decode_rate: float
    ratio: float  # median of replay ÷ bare decode (the whole call)
    steady_rate: float  # median events/s without process starts and group joins
    steady_ratio: float
    start_seconds: float  # median of those starts and joins: paid once, whatever the log
    cpu_rate: float  # median events per CPU-second of the replaying process
    cpu_ratio: float  # the ratio in CPU time
    peak_rss_mb: float  # the largest peak of a rebuild process, over the repetitions
    total_rss_mb: float  # the largest sum of the rebuild processes' peaks
    total_pss_mb: float  # the largest of what they held together (PSS: shared pages once)
    workers: int
    repetitions: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "bus": self.bus,
            "events": self.events,
            "rate": round(self.rate),
            "decode_rate": round(self.decode_rate),
            "ratio": round(self.ratio, 3),
            "steady_rate": round(self.steady_rate),
            "steady_ratio": round(self.steady_ratio, 3),
            "cpu_rate": round(self.cpu_rate),
            "cpu_ratio": round(self.cpu_ratio, 3),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "total_rss_mb": round(self.total_rss_mb, 1),
            "total_pss_mb": round(self.total_pss_mb, 1),
            "workers": self.workers,
            "repetitions": self.repetitions,
        }


def summarise(runs: Sequence[ReplayRun]) -> SizeSummary:
    first = runs[0]
    return SizeSummary(
        bus=first.bus,
        events=first.events,
        rate=statistics.median(r.rate for r in runs),
        decode_rate=statistics.median(r.decode_rate for r in runs),
        ratio=statistics.median(r.ratio for r in runs),
        steady_rate=statistics.median(r.steady_rate for r in runs),
        steady_ratio=statistics.median(r.steady_ratio for r in runs),
        start_seconds=statistics.median(r.join_seconds for r in runs),
        cpu_rate=statistics.median(r.cpu_rate for r in runs),
        cpu_ratio=statistics.median(r.cpu_ratio for r in runs),
        peak_rss_mb=max(r.peak_rss_mb for r in runs),
        total_rss_mb=max(r.total_rss_mb for r in runs),
        total_pss_mb=max(r.total_pss_mb for r in runs),
        workers=first.workers,
        repetitions=len(runs),
    )


@dataclass
class Scaling:
    bus: str
    sizes: list[SizeSummary]

    @property
    def smallest(self) -> SizeSummary:
        return min(self.sizes, key=lambda s: s.events)

    @property
    def largest(self) -> SizeSummary:
        return max(self.sizes, key=lambda s: s.events)

    @property
    def rate_ratio(self) -> float:
        """events/s at the largest size ÷ at the smallest (1.0: flat)."""
        return self.largest.rate / self.smallest.rate if self.smallest.rate else 0.0

    @property
    def rss_growth(self) -> float:
        """Peak RSS at the largest size ÷ at the smallest (1.0: does not grow)."""
        small = self.smallest.peak_rss_mb
        return self.largest.peak_rss_mb / small if small else 0.0

    @property
    def decade_minutes(self) -> float:
        """A 6 M-event replay extrapolated from the largest run, in minutes: its starts once,
        and the events at its steady rate."""
        largest = self.largest
        if not largest.steady_rate:
            return float("inf")
        return (largest.start_seconds + DECADE_OF_EVENTS / largest.steady_rate) / 60

    def as_dict(self) -> dict[str, Any]:
        return {
            "bus": self.bus,
            "sizes": [s.as_dict() for s in sorted(self.sizes, key=lambda s: s.events)],
            "rate_ratio_largest_to_smallest": round(self.rate_ratio, 3),
            "rss_growth_largest_to_smallest": round(self.rss_growth, 3),
            "decade_replay_minutes": round(self.decade_minutes, 1),
        }
