"""Throughput of the demo's data path (SDK → outbox → exchange → every projection), embedded bus.

Excluded from the default run (it takes minutes at a useful size): run it with
``POVEZIMO_BENCH=1 .venv/bin/pytest tests/benchmarks/test_demo_throughput.py -s``; the size is
``POVEZIMO_BENCH_MONTHS`` months at ``POVEZIMO_BENCH_SCALE`` of the real case rate.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from producers.simulator import simulate
from services.demo.run import run_network
from tests.support.pipeline import platform_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("POVEZIMO_BENCH"), reason="set POVEZIMO_BENCH=1"),
]


def test_events_per_second_through_the_whole_data_path(tmp_path: Path, benchmark) -> None:  # type: ignore[no-untyped-def]
    months = int(os.environ.get("POVEZIMO_BENCH_MONTHS", "2"))
    scale = float(os.environ.get("POVEZIMO_BENCH_SCALE", "1.0"))
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    runs = iter(range(1_000))

    def one_run() -> float:
        platform = platform_for(tmp_path / f"run-{next(runs)}")
        simulation = simulate(2006, start=start, months=months, scale=scale, vault=platform.vault)
        began = time.process_time()
        run_network(platform, simulation)
        platform.close()
        return simulation.event_count / (time.process_time() - began)

    per_cpu_second = benchmark.pedantic(one_run, rounds=1, iterations=1)
    print(f"\n{per_cpu_second:.0f} events per CPU second ({months} months at scale {scale})")
