"""Exactly-once effects: projections killed (SIGKILL) at random points end with the tables of one
clean run, and rebuilding a projection twice gives the same tables."""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from consumers.runner import applied_table, failures_table, offsets_table
from producers.scenario import coordinated_case, in_waves
from services.bootstrap import Platform
from tests.integration.crashing_projections import PROJECTIONS
from tests.support.checksums import checksums
from tests.support.pipeline import pipeline_of, platform_for, submit

KILLS = int(
    os.environ.get("POVEZIMO_CRASH_KILLS", "50" if os.environ.get("POVEZIMO_LONG") else "10")
)


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A case-events log of several coordinated cases, accepted by the exchange."""
    tmp = tmp_path_factory.mktemp("crash")
    bus_url = f"sqlite:///{tmp / 'bus.db'}"
    system = platform_for(tmp / "data", bus_url)
    rng = random.Random(11)
    start = dt.datetime(2026, 1, 5, 7, tzinfo=dt.UTC)
    cases = [
        coordinated_case(rng, start + dt.timedelta(days=n), "lazarevac", system.vault)
        for n in range(10)
    ]
    pipeline = pipeline_of(system, ["exchange"])
    for wave in in_waves(cases):
        submit(system, wave)
        pipeline.drain()
    pipeline.close()
    system.close()
    return tmp, bus_url


def projection_tables(system: Platform) -> list:  # type: ignore[type-arg]
    tables = [t for name in PROJECTIONS for t in system.projections()[name].tables]
    return [*tables, offsets_table, applied_table, failures_table]


def run_child(bus_url: str, views_url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.crashing_projections",
            bus_url,
            views_url,
            str(data_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def clean_run(log: tuple[Path, str], name: str) -> tuple[Platform, dict[str, str]]:
    tmp, bus_url = log
    views_url = f"sqlite:///{tmp / f'{name}.db'}"
    child = run_child(bus_url, views_url, tmp / "data")
    assert child.wait(180) == 0, child.stderr.read() if child.stderr else ""
    system = platform_for(tmp / "data", bus_url)
    system.settings.views_url = views_url
    return system, checksums(system.views_engine, projection_tables(system))


def test_projections_killed_at_random_points_end_equal_to_a_clean_run(
    log: tuple[Path, str],
) -> None:
    tmp, bus_url = log
    _system, expected = clean_run(log, "clean")
    assert int(expected["view_timeline"].split(":")[0]) == 160
    crashed_url = f"sqlite:///{tmp / 'crashed.db'}"
    rng = random.Random(2026)
    kills = 0
    for _ in range(KILLS):
        child = run_child(bus_url, crashed_url, tmp / "data")
        # Let it apply 0-2 batches, then kill it anywhere in what follows (mid-transaction,
        # between publish and commit, between batches).
        for _batch in range(rng.randrange(3)):
            if not child.stdout or not child.stdout.readline():
                break
        time.sleep(rng.uniform(0.0, 0.05))
        if child.poll() is None:
            child.kill()
            kills += 1
        child.wait(30)
    assert kills >= KILLS // 2, "the child finished before most kills: make the work longer"
    final = run_child(bus_url, crashed_url, tmp / "data")
    assert final.wait(180) == 0, final.stderr.read() if final.stderr else ""
    system = platform_for(tmp / "data", bus_url)
    system.settings.views_url = crashed_url
    assert checksums(system.views_engine, projection_tables(system)) == expected


@pytest.mark.parametrize("name", PROJECTIONS)
def test_rebuilding_a_projection_twice_gives_equal_tables(log: tuple[Path, str], name: str) -> None:
    system, expected = clean_run(log, f"rebuild-{name}")
    runner = system.runner(system.projections()[name])
    tables = projection_tables(system)
    sums = []
    for _ in range(2):
        runner.reset()
        runner.run_until(system.bus.end_offsets(_case_event_partitions(system)), publish=False)
        sums.append(checksums(system.views_engine, tables))
    runner.close()
    assert sums[0] == sums[1] == expected


def _case_event_partitions(system: Platform):  # type: ignore[no-untyped-def]
    from consumers.pipeline import partitions_of

    return partitions_of(system.bus, ["case-events"])
