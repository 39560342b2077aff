"""Ingest to tansu: bus port and the producer SDK in its three modes, against hand loops."""

from __future__ import annotations

from typing import Any

import pytest

from services.bench.ingest import measure_ingest
from services.bench.sample_events import EventSet
from services.bench.workspace import Workspace

pytestmark = pytest.mark.kafka


def test_ingest_against_raw_kafka_python(
    benchmark: Any, workspace: Workspace, bench_log: EventSet
) -> None:
    run = benchmark.pedantic(measure_ingest, args=(workspace, bench_log), rounds=2, iterations=1)
    benchmark.extra_info.update(run.as_dict())
    assert run.raw_rate > 0 and run.port_rate > 0
    # Every side delivered every event (each raises otherwise) and was timed.
    sides = ("raw_grouped", "hand", "hand_bulk", "hand_grouped", "sdk", "sdk_thread", "sdk_process")
    assert all(run.rate(side) for side in sides)
