"""Benchmarks: the cases of ``povezimo bench`` under pytest-benchmark, out of the default run.

Run with ``pytest -m bench tests/benchmarks``. Sizes are CI-sized by default; set
``POVEZIMO_BENCH_EVENTS`` (replay, peer, ingest) and ``POVEZIMO_BENCH_LATENCY_SECONDS`` for
bigger runs. Figures land in pytest-benchmark's table and, as ratios, in ``extra_info``.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.bench.sample_events import EventSet
from services.bench.workspace import Workspace, append_case_log, platform_of

BENCH_EVENTS = int(os.environ.get("POVEZIMO_BENCH_EVENTS", "2000"))
LATENCY_SECONDS = float(os.environ.get("POVEZIMO_BENCH_LATENCY_SECONDS", "20"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.bench)


@pytest.fixture(scope="session", autouse=True)
def _quiet_kafka() -> None:
    logging.getLogger("kafka").setLevel(logging.CRITICAL)


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("bench"))


@pytest.fixture(scope="session")
def bench_log(workspace: Workspace) -> EventSet:
    return EventSet.build(BENCH_EVENTS, seed=2006, codec=workspace.codec)


@contextlib.contextmanager
def _loaded(workspace: Workspace, log: EventSet, bus: str) -> Iterator[dict[str, str]]:
    with workspace.bus_url(bus) as url:
        settings = workspace.settings(f"loaded-{bus}", url)
        system = platform_of(settings)
        append_case_log(system.bus, log)
        system.close()
        yield settings


@pytest.fixture(scope="session", params=["sqlite", pytest.param("kafka", marks=pytest.mark.kafka)])
def loaded(
    request: pytest.FixtureRequest, workspace: Workspace, bench_log: EventSet
) -> Iterator[tuple[str, dict[str, str]]]:
    """Settings of a platform whose ``case-events`` holds the bench log, on each bus."""
    with _loaded(workspace, bench_log, request.param) as settings:
        yield request.param, settings


@pytest.fixture(scope="session")
def loaded_sqlite(workspace: Workspace, bench_log: EventSet) -> Iterator[dict[str, str]]:
    """The same on the embedded bus alone (for what does not depend on the bus)."""
    with _loaded(workspace, bench_log, "sqlite") as settings:
        yield settings
