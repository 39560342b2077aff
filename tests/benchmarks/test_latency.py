"""Referral latency (ReferralSent submitted → recipient's inbox) at 50 events/s, on both buses."""

from __future__ import annotations

from typing import Any

import pytest

from services.bench.latency import measure_referral_latency
from services.bench.sample_events import EventSet
from services.bench.workspace import Workspace
from tests.benchmarks.conftest import LATENCY_SECONDS

RATE = 50.0


@pytest.mark.parametrize("bus", ["sqlite", pytest.param("kafka", marks=pytest.mark.kafka)])
def test_referral_latency(benchmark: Any, workspace: Workspace, bus: str) -> None:
    load = EventSet.build(
        int(RATE * LATENCY_SECONDS), seed=2006, codec=workspace.codec, cases_in_flight=int(RATE)
    )
    result = benchmark.pedantic(
        measure_referral_latency,
        args=(workspace, bus, load),
        kwargs={"rate": RATE, "seconds": LATENCY_SECONDS},
        rounds=1,
        iterations=1,
    )
    benchmark.extra_info.update(result.as_dict())
    # Every referral reached its recipient: a latency of lost messages would flatter.
    assert result.samples > 0
    assert result.lost == 0
