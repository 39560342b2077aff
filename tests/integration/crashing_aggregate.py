"""Runs the aggregate projection to the end of the log; the aggregate crash test kills it anywhere.

``python -m tests.integration.crashing_aggregate BUS_URL AGGREGATE_URL DATA_DIR`` exits 0 when the
aggregate has read the whole log. The pseudonym key is the data directory's key file, so every
run computes the same pseudonyms.
"""

from __future__ import annotations

import sys
from pathlib import Path

from consumers.pipeline import Pipeline
from consumers.runner import ProjectionRunner
from services.bootstrap import Platform
from services.platform.settings import Settings
from tests.support.brokers import TEST_SESSION_TIMEOUT_MS


def main(bus_url: str, aggregate_url: str, data_dir: str) -> None:
    settings = Settings(bus_url=bus_url, aggregate_url=aggregate_url, data_dir=Path(data_dir))
    system = Platform(settings)
    runner = ProjectionRunner(
        system.projections()["aggregate"],
        system.bus,
        system.aggregate_engine,
        session_timeout_ms=TEST_SESSION_TIMEOUT_MS,
        max_records=5,  # many small transactions: a kill can land between any two
    )
    Pipeline([runner], system.bus).drain(
        timeout=120, progress=lambda name, count: print(name, count, flush=True)
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
