"""A data directory with scripted cases run through the whole platform, for the audit tests."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from producers.scenario import CaseScript, coordinated_script
from services.bootstrap import Platform
from services.platform.settings import Settings
from tests.support.brokers import TEST_SESSION_TIMEOUT_MS
from tests.support.pipeline import pipeline_of, submit_in_order

START = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
MUNICIPALITIES = ("lazarevac", "kragujevac", "golubac")


def audit_platform(
    data_dir: Path, *, checkpoint_every: int = 1000, bus_url: str | None = None
) -> Platform:
    settings = Settings(data_dir=data_dir, checkpoint_every=checkpoint_every, bus_url=bus_url)
    return Platform(settings, session_timeout_ms=TEST_SESSION_TIMEOUT_MS)


@dataclass
class Scenario:
    data_dir: Path
    scripts: list[CaseScript] = field(default_factory=list)


def run_scenario(
    data_dir: Path,
    *,
    cases: int = 2,
    seed: int = 6,
    checkpoint_every: int = 1000,
    bus_url: str | None = None,
) -> Scenario:
    """Scripted coordinated cases (identifiers sealed by the vault) through every projection."""
    platform = audit_platform(data_dir, checkpoint_every=checkpoint_every, bus_url=bus_url)
    rng = random.Random(seed)
    scenario = Scenario(data_dir)
    try:
        scenario.scripts = [
            coordinated_script(
                rng, START + dt.timedelta(days=2 * n), MUNICIPALITIES[n % 3], platform.vault
            )
            for n in range(cases)
        ]
        pipeline = pipeline_of(platform)
        submissions = [s for script in scenario.scripts for s in script.submissions]
        submit_in_order(platform, pipeline, submissions)
        pipeline.close()
    finally:
        platform.close()
    return scenario
