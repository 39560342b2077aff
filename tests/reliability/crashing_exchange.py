"""Runs the exchange and every projection until drained; the crash test kills it anywhere.

``python -m tests.reliability.crashing_exchange BUS_URL VIEWS_URL DATA_DIR`` exits 0 when the
exchange and the projections have read everything there is.
"""

from __future__ import annotations

import sys
from pathlib import Path

from consumers.pipeline import Pipeline
from consumers.runner import ProjectionRunner
from services.bootstrap import Platform
from services.platform.settings import Settings
from tests.support.brokers import TEST_SESSION_TIMEOUT_MS


def main(bus_url: str, views_url: str, data_dir: str) -> None:
    system = Platform(Settings(bus_url=bus_url, views_url=views_url, data_dir=Path(data_dir)))
    runners = [
        # Small batches: many transactions, so a kill lands between publish and commit too.
        ProjectionRunner(
            projection,
            system.bus,
            system.engine_for(projection),
            session_timeout_ms=TEST_SESSION_TIMEOUT_MS,
            max_records=3,
        )
        for projection in system.projections().values()
    ]
    Pipeline(runners, system.bus).drain(
        timeout=120, progress=lambda name, count: print(name, count, flush=True)
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
