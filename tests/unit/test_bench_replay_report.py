"""The replay rows of ``povezimo bench``: each place of the stores gets its own ratio and 6 M."""

from __future__ import annotations

from services.bench.replay import ReplayRun
from services.bench.report import rows
from services.bench.suite import BenchOptions, BenchResults


def run(where: str, seconds: float) -> ReplayRun:
    return ReplayRun(
        bus=where,
        events=100_000,
        workers=3,
        seconds=seconds,
        cpu_seconds=seconds * 1.5,
        join_seconds=1.0,
        decode_seconds=2.0,
        decode_cpu_seconds=2.0,
        peak_rss_mb=200.0,
        total_rss_mb=600.0,
    )


def test_stores_on_postgresql_are_reported_beside_sqlite_with_their_own_extrapolation() -> None:
    options = BenchOptions(sizes=[100_000], repeat=1, buses=["sqlite"], only=["replay"])
    results = BenchResults(options)
    results.replay[("sqlite", 100_000)] = [run("sqlite", 8.0)]
    pg = "sqlite, stores on postgresql"
    results.replay[(pg, 100_000)] = [run(pg, 16.0)]

    table = [(row[0], row[1], row[4]) for row in rows(results)]
    ratios = [(where, ratio) for what, where, ratio in table if what.startswith("replay ÷")]
    assert ratios == [("sqlite 100k", "0.250; 0.286; 0.167"), (f"{pg} 100k", "0.125; 0.133; 0.083")]
    decades = [where for what, where, _ in table if what.startswith("6 M")]
    assert decades == ["sqlite from 100k", f"{pg} from 100k"]
