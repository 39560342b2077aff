"""HTTP ingest against ``povezimo serve`` in its own process, at a fixed offered load."""

from __future__ import annotations

from typing import Any

import pytest

from services.bench.http_ingest import measure_http_ingest
from services.bench.workspace import Workspace
from tests.benchmarks.conftest import LATENCY_SECONDS


@pytest.mark.parametrize("bus", ["sqlite", pytest.param("kafka", marks=pytest.mark.kafka)])
def test_http_ingest_at_fixed_load(benchmark: Any, workspace: Workspace, bus: str) -> None:
    result = benchmark.pedantic(
        measure_http_ingest,
        args=(workspace, bus),
        kwargs={"rate": 50.0, "seconds": LATENCY_SECONDS / 2},
        rounds=1,
        iterations=1,
    )
    benchmark.extra_info.update(result.as_dict())
    # Every request was answered 202: a rate of refusals would flatter.
    assert result.statuses == {202: len(result.latencies)}
