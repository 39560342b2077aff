"""The README's first command: ``povezimo demo`` on the embedded bus, and the same over Kafka."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_demo(
    cwd: Path, *args: str, session_timeout_ms: int | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POVEZIMO_")}
    if session_timeout_ms:
        env["POVEZIMO_SESSION_TIMEOUT_MS"] = str(session_timeout_ms)
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "demo", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_the_demo_runs_on_the_embedded_default_and_reads_back_what_it_published(
    tmp_path: Path,
) -> None:
    first = run_demo(tmp_path, "--cases", "2")
    assert first.returncode == 0, first.stderr
    assert "32 submissions: 32 accepted, 0 rejected" in first.stdout
    assert "ExtensionDecided" in first.stdout and "court.os-lazarevac" in first.stdout
    assert "ngo.azc" in first.stdout
    assert (tmp_path / "povezimo-data" / "bus.db").exists()

    # The same seed again: every event is already known, so nothing is appended twice.
    again = run_demo(tmp_path, "--cases", "2")
    assert again.returncode == 0, again.stderr
    assert "32 submissions: 32 accepted" in again.stdout


@pytest.mark.kafka
def test_the_demo_runs_over_kafka(tmp_path: Path, tansu_url: str) -> None:
    # tansu holds a group join for half the session timeout; keep it short here.
    result = run_demo(tmp_path, "--cases", "1", "--bus", tansu_url, session_timeout_ms=2000)
    assert result.returncode == 0, result.stderr
    assert "16 submissions: 16 accepted, 0 rejected" in result.stdout
