"""The demo's year, released every way the door allows, against the attacker (issue 20).

The default demo (seed 2006, twelve months of 2025, about 3,800 cases in eight published places)
is the fixed case beside the random ones of ``tests/unit/test_release.py``: every grouping of
``reported_cases`` the door accepts, at every threshold from 5 to 10, all taken together. For
every withheld count that is small at a threshold, the attacker's linear programme over every
number published at that threshold or a stricter one must leave it at least the threshold wide.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from consumers.indicators import Facts
from services.bootstrap import Platform
from services.disclosure.model import Release, ReleaseRequest
from services.disclosure.release import MemoryState, protected_release
from services.platform.settings import Settings
from tests.support.release_attacker import StarAttacker

FLOOR = 5
THRESHOLDS = range(FLOOR, 11)
HORIZON = "2025-12"  # the demo's year, every month of it closed
OTHERS = ("violence_type", "sex", "age_band")


@dataclass
class DemoYear:
    cases: list[Any]
    releases: list[tuple[int, Release]]


def groupings() -> list[tuple[str, ...]]:
    """Every grouping of a case count the door accepts, in one order of its dimensions (the
    order lays a table out, its numbers are the same: the random tests take every order)."""
    found = []
    for area in ((), ("municipality",)):
        for period in ((), ("month",), ("quarter",), ("year",)):
            for other in ((), *((o,) for o in OTHERS)):
                found += [dims] if (dims := (*area, *period, *other)) else []
    return found


@pytest.fixture(scope="module")
def demo_year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoYear]:
    data_dir = tmp_path_factory.mktemp("demo-year") / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("POVEZIMO_")}
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "demo", "--data-dir", str(data_dir)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    system = Platform(Settings(data_dir=data_dir))
    try:
        with system.aggregate_engine.begin() as conn:
            facts = Facts.load(conn)
    finally:
        system.close()
    state = MemoryState()
    releases = [
        (t, protected_release(state, facts, ReleaseRequest("reported_cases", by, threshold=t),
                              FLOOR, HORIZON))
        for t in THRESHOLDS
        for by in groupings()
    ]  # fmt: skip
    yield DemoYear(list(facts.cases.values()), releases)


@pytest.mark.timeout(1200)  # the first test runs the demo and releases everything
@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_no_release_of_the_demo_year_narrows_a_small_count(
    demo_year: DemoYear, threshold: int
) -> None:
    cases = demo_year.cases
    categories = {
        "sex": sorted({c.victim_sex for c in cases}),
        "age_band": sorted({c.victim_age_band for c in cases}),
        "violence_type": sorted(
            {frozenset(c.violence_types.split(",")) for c in cases}, key=sorted
        ),
    }
    attacker = StarAttacker.over(
        {c.area for c in cases}, [f"2025-{m:02d}" for m in range(1, 13)], categories
    )
    assert {c.month for c in cases} <= {m for _d, _a, m, _c in attacker.unknown}
    attacker.learn(((r.by, r.rows) for t, r in demo_year.releases if t >= threshold), ("count",))
    truth = attacker.truth(cases)
    checked: set[bytes] = set()
    small = 0
    for t, published in demo_year.releases:
        if t != threshold:
            continue
        for row in published.rows:
            labels = {d: str(row[d]) for d in published.by}
            coefficients = attacker.coefficients("count", published.by, labels)
            value = int(np.dot(coefficients, truth))
            if row["count"] is not None:
                assert row["count"] == value, (published.by, labels)
                continue
            if not 0 < value < threshold or coefficients.tobytes() in checked:
                continue
            checked.add(coefficients.tobytes())
            small += 1
            low, high = attacker.interval(coefficients)
            assert high - low >= threshold - 1e-6, (published.by, labels, value, low, high)
    assert small > 0  # the demo's year has small counts to protect at every threshold
