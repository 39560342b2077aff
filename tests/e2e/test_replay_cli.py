"""`povezimo replay --all` after a demo: every replayable projection dropped and rebuilt from
offset 0 (processes reading partitions side by side, every projection fed from one read), ending
with the very rows the live run built."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from services.bootstrap import Platform
from services.platform.settings import Settings
from tests.e2e.test_demo import SMALL, run_demo
from tests.support.checksums import checksums


def projection_rows(data_dir: Path) -> dict[str, str]:
    platform = Platform(Settings(data_dir=data_dir))
    try:
        found: dict[str, str] = {}
        for name, projection in platform.projections().items():
            if name in {"exchange", "archive"}:
                continue
            engine: Engine = platform.engine_for(projection)
            found |= {f"{name}.{k}": v for k, v in checksums(engine, projection.tables).items()}
        return found
    finally:
        platform.close()


def test_replay_all_rebuilds_every_projection_to_the_same_rows(tmp_path: Path) -> None:
    assert run_demo(tmp_path, *SMALL).returncode == 0
    data_dir = tmp_path / "povezimo-data"
    live = projection_rows(data_dir)
    assert any(not v.startswith("0:") for v in live.values())

    replay = subprocess.run(
        [sys.executable, "-m", "services.cli", "replay", "--all", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert replay.returncode == 0, replay.stderr
    for name in ("views", "inbox", "deadlines", "aggregate"):
        assert re.search(rf"{name}: rebuilt from \d+ events", replay.stdout), replay.stdout
    assert "rebuilt together" in replay.stdout
    assert re.search(r"\d+\s+processes\s+reading\s+partitions", replay.stdout), replay.stdout
    assert projection_rows(data_dir) == live
