"""Peak RSS of a replay in a fresh process, at two log lengths. The benchmark reports the growth
from the shorter log to the longer and the targets it is held to (issue 24: ≈ 1, and at most
300 MB in all processes); the assertions only catch a broken measurement."""

from __future__ import annotations

from typing import Any

from services.bench.replay import replay_in_child
from services.bench.sample_events import EventSet
from services.bench.workspace import Workspace, append_case_log, platform_of


def test_replay_peak_rss_by_log_length(
    benchmark: Any, workspace: Workspace, bench_log: EventSet
) -> None:
    peaks: dict[int, float] = {}

    def measure() -> None:
        for size in (len(bench_log) // 4, len(bench_log)):
            settings = workspace.settings(f"memory-{size}", None)
            system = platform_of(settings)
            append_case_log(system.bus, bench_log.head(size))
            system.close()
            peaks[size] = replay_in_child("sqlite", settings, size).peak_rss_mb

    benchmark.pedantic(measure, rounds=1, iterations=1)
    small, large = sorted(peaks)
    benchmark.extra_info.update(
        {f"peak_rss_mb_{n}": round(mb, 1) for n, mb in peaks.items()}
        | {
            "growth": round(peaks[large] / peaks[small], 3),
            "target_growth": "≈ 1",
            "target_peak_rss_mb": 300,
        }
    )
    assert all(mb > 0 for mb in peaks.values())
