"""Runs the case-events projections to the end of the log; the crash test kills it anywhere.

``python -m tests.integration.crashing_projections BUS_URL VIEWS_URL DATA_DIR`` exits 0 when
every projection has read the whole log.
"""

from __future__ import annotations

import sys
from pathlib import Path

from consumers.pipeline import Pipeline
from consumers.runner import ProjectionRunner
from services.bootstrap import Platform
from services.platform.settings import Settings
from tests.support.brokers import TEST_SESSION_TIMEOUT_MS

PROJECTIONS = ("views", "inbox", "deadlines")


def main(bus_url: str, views_url: str, data_dir: str) -> None:
    system = Platform(Settings(bus_url=bus_url, views_url=views_url, data_dir=Path(data_dir)))
    projections = system.projections()
    runners = [
        # Small batches: many transactions, so a kill can land between any two of them.
        ProjectionRunner(
            projections[name],
            system.bus,
            system.views_engine,
            session_timeout_ms=TEST_SESSION_TIMEOUT_MS,
            max_records=7,
        )
        for name in PROJECTIONS
    ]
    # One line per applied batch, so the test can kill at a chosen point of the work.
    Pipeline(runners, system.bus).drain(
        timeout=120, progress=lambda name, count: print(name, count, flush=True)
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
