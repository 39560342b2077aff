"""What an idle ``povezimo serve`` costs: the CPU time of its process over quiet seconds, as a
share of one core, with the exchange and every projection running on the embedded bus.

Members that wait for news used to read the log table every 20 ms each; now they wait for the
file to change (``services.bus.sqllog.FileChanges``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from services.bench.brokers import free_port
from services.bench.workspace import Workspace


@dataclass
class IdleResult:
    cpu_seconds: float
    wall_seconds: float

    @property
    def share(self) -> float:
        """CPU seconds per second: the share of one core the idle server keeps busy."""
        return self.cpu_seconds / self.wall_seconds

    def as_dict(self) -> dict[str, Any]:
        return {
            "cpu_s": round(self.cpu_seconds, 3),
            "wall_s": round(self.wall_seconds, 2),
            "share_of_a_core": round(self.share, 4),
        }


def measure_idle(workspace: Workspace, *, settle: float = 5.0, seconds: float = 10.0) -> IdleResult:
    settings = workspace.settings("idle", None)
    env = {**os.environ, **{f"POVEZIMO_{k.upper()}": v for k, v in settings.items()}}
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/healthz")
        time.sleep(settle)  # the pipeline's members have joined and read the empty log
        before, started = _cpu_seconds(server.pid), time.monotonic()
        time.sleep(seconds)
        after, ended = _cpu_seconds(server.pid), time.monotonic()
    finally:
        server.terminate()
        server.wait(30)
    return IdleResult(after - before, ended - started)


def _wait_healthy(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer in {timeout:.0f}s")


def _cpu_seconds(pid: int) -> float:
    """User and system time of ``pid`` (Linux ``/proc``; fields 14 and 15 of its stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
