"""Replay of every replayable projection from offset 0, against bare fastavro decoding."""

from __future__ import annotations

from typing import Any

from services.bench.replay import (
    ReplayRun,
    bare_decode_seconds,
    case_log_values,
    replay_all,
    writer_schemas,
)
from services.bench.sample_events import EventSet
from services.bench.workspace import platform_of


def test_replay_every_projection(
    benchmark: Any, loaded: tuple[str, dict[str, str]], bench_log: EventSet
) -> None:
    bus, settings = loaded
    runs: list[ReplayRun] = []

    def replay() -> None:
        runs.append(replay_all(bus, settings, len(bench_log)))

    benchmark.pedantic(replay, rounds=2, iterations=1)
    best = max(runs, key=lambda r: r.ratio)
    benchmark.extra_info.update(best.as_dict())
    # What the benchmark proves besides the figure: the whole log was read (``replay_all``
    # refuses a rebuild that applied fewer events), by one process or several.
    assert all(r.events == len(bench_log) and r.workers >= 1 for r in runs)


def test_bare_decode_ceiling(
    benchmark: Any, loaded_sqlite: dict[str, str], bench_log: EventSet
) -> None:
    system = platform_of(loaded_sqlite)
    values = case_log_values(system.bus, len(bench_log))
    schemas = writer_schemas(system)
    system.close()
    seconds = benchmark(bare_decode_seconds, values, schemas)
    benchmark.extra_info["events_per_second"] = round(len(values) / seconds)
