"""Runs the archive to the end of its topics; the archive crash test kills it anywhere.

``python -m tests.integration.crashing_archive DATA_DIR`` exits 0 once the archive has read all.
"""

from __future__ import annotations

import sys
from pathlib import Path

from consumers.pipeline import Pipeline
from consumers.runner import ProjectionRunner
from services.bootstrap import Platform
from services.platform.settings import Settings
from tests.support.brokers import TEST_SESSION_TIMEOUT_MS


def main(data_dir: str) -> None:
    system = Platform(Settings(data_dir=Path(data_dir), checkpoint_every=4))
    archive = system.projections()["archive"]
    # Small batches: many transactions, so a kill can land between any two of them.
    runner = ProjectionRunner(
        archive,
        system.bus,
        system.archive_engine,
        session_timeout_ms=TEST_SESSION_TIMEOUT_MS,
        max_records=5,
    )
    Pipeline([runner], system.bus).drain(
        timeout=120, progress=lambda name, count: print(name, count, flush=True)
    )


if __name__ == "__main__":
    main(sys.argv[1])
