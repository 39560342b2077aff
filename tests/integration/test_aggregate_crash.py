"""The aggregate killed (SIGKILL) at random points ends with the tables of one clean run: its rows
and offsets commit together in the aggregate's own database."""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Table

from consumers.aggregate_tables import ALL_TABLES
from consumers.runner import offsets_table
from producers.scenario import coordinated_case, in_waves
from services.bootstrap import Platform
from services.platform.settings import Settings
from tests.reliability.figures import scaled
from tests.support.checksums import checksums
from tests.support.pipeline import pipeline_of, platform_for, submit

KILLS = int(scaled(10, 50))  # issue 9: ten kills in CI, fifty in the long run
CASES = int(scaled(8, 40))  # enough work that the kills land mid-run


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("aggregate-crash")
    bus_url = f"sqlite:///{tmp / 'bus.db'}"
    system = platform_for(tmp / "data", bus_url)
    rng = random.Random(12)
    start = dt.datetime(2026, 1, 5, 7, tzinfo=dt.UTC)
    places = ("lazarevac", "golubac", "kragujevac")
    cases = [coordinated_case(rng, start + dt.timedelta(days=5 * n), places[n % 3], system.vault)
             for n in range(CASES)]  # fmt: skip
    pipeline = pipeline_of(system, ["exchange"])
    for wave in in_waves(cases):
        submit(system, wave)
        pipeline.drain()
    pipeline.close()
    system.close()
    return tmp, bus_url


def _child(bus_url: str, aggregate_url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "tests.integration.crashing_aggregate"]
    return subprocess.Popen(
        [*command, bus_url, aggregate_url, str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _sums(tmp: Path, bus_url: str, aggregate_url: str) -> dict[str, str]:
    system = Platform(Settings(data_dir=tmp / "data", bus_url=bus_url, aggregate_url=aggregate_url))
    tables: list[Table] = [*ALL_TABLES, offsets_table]
    try:
        return checksums(system.aggregate_engine, tables)
    finally:
        system.close()


def test_the_aggregate_killed_anywhere_ends_equal_to_a_clean_run(log: tuple[Path, str]) -> None:
    tmp, bus_url = log
    clean_url = f"sqlite:///{tmp / 'clean.db'}"
    clean = _child(bus_url, clean_url, tmp / "data")
    assert clean.wait(180) == 0, clean.stderr.read() if clean.stderr else ""
    expected = _sums(tmp, bus_url, clean_url)
    assert int(expected["agg_cases"].split(":")[0]) == CASES

    crashed_url = f"sqlite:///{tmp / 'crashed.db'}"
    rng = random.Random(2026)
    kills = 0
    for _ in range(KILLS):
        child = _child(bus_url, crashed_url, tmp / "data")
        for _batch in range(rng.randrange(4)):
            if not child.stdout or not child.stdout.readline():
                break
        time.sleep(rng.uniform(0.0, 0.03))
        if child.poll() is None:
            child.kill()
            kills += 1
        child.wait(30)
    assert kills >= KILLS // 2, "the child finished before most kills: make the work longer"
    final = _child(bus_url, crashed_url, tmp / "data")
    assert final.wait(180) == 0, final.stderr.read() if final.stderr else ""
    assert _sums(tmp, bus_url, crashed_url) == expected
