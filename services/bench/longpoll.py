"""What one token's long-polls cost everyone else: ``/healthz`` and another institution's
``/v1/cases``, timed while the server is idle and again while one token opens a hundred
long-polls at once (the API lets a few wait and refuses the rest with 429), in the same run.

The ratio of the two p99s is the measurement: a server whose waits held worker threads answered
health in 19 s under forty of them (issue 21).
"""

from __future__ import annotations

import datetime as dt
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.api.app import create_app
from services.api.server import serve_in_thread
from services.api.tokens import Role, TokenStore
from services.bench.brokers import free_port
from services.bench.workspace import Workspace, platform_of

NOISY, OTHER = "ngo.azc", "csr.lazarevac"
PATHS = ("/healthz", "/v1/cases")


@dataclass
class LongPollResult:
    polls: int
    refused: int
    idle: dict[str, list[float]] = field(default_factory=dict)  # path → seconds per request
    loaded: dict[str, list[float]] = field(default_factory=dict)

    def p99(self, which: dict[str, list[float]], path: str) -> float:
        times = sorted(which[path])
        return times[min(len(times) - 1, int(len(times) * 0.99))]

    def ratio(self, path: str) -> float:
        """p99 while the long-polls wait ÷ p99 idle."""
        return self.p99(self.loaded, path) / self.p99(self.idle, path)

    def as_dict(self) -> dict[str, Any]:
        return {
            "polls": self.polls,
            "refused": self.refused,
            **{
                f"{path} {state}_{stat}_ms": round(value * 1000, 2)
                for path in PATHS
                for state, times in (("idle", self.idle[path]), ("loaded", self.loaded[path]))
                for stat, value in (
                    ("p50", statistics.median(times)),
                    ("p99", self.p99({path: times}, path)),
                )
            },
        }


def measure_longpoll(
    workspace: Workspace, *, polls: int = 100, samples: int = 100
) -> LongPollResult:
    system = platform_of(workspace.settings("longpoll", None))
    app = create_app(system)
    store = TokenStore(system.views_engine)
    now = dt.datetime.now(dt.UTC)
    noisy = store.issue(NOISY, Role.INSTITUTION, now=now, label="bench").secret
    other = store.issue(OTHER, Role.INSTITUTION, now=now, label="bench").secret
    port = free_port()
    server = serve_in_thread(app, "127.0.0.1", port, log_level="warning")
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            headers = {"Authorization": f"Bearer {other}"}
            result = LongPollResult(polls, 0, idle=_timings(client, headers, samples))
            statuses: list[int] = []
            waiting = _open_long_polls(base, noisy, polls, statuses.append)
            time.sleep(1.0)  # every poll has arrived: those let in are waiting
            result.loaded = _timings(client, headers, samples)
            for thread in waiting:
                thread.join()
            result.refused = statuses.count(429)
    finally:
        server.stop()
        system.close()
    return result


def _timings(client: httpx.Client, headers: dict[str, str], samples: int) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {path: [] for path in PATHS}
    for _ in range(samples):
        for path in PATHS:
            began = time.perf_counter()
            answer = client.get(path, headers=headers)
            found[path].append(time.perf_counter() - began)
            answer.raise_for_status()
    return found


def _open_long_polls(
    base: str, token: str, polls: int, status: Callable[[int], None]
) -> list[threading.Thread]:
    headers = {"Authorization": f"Bearer {token}"}

    def poll() -> None:
        # No inbox topic yet: every poll let in waits its full time.
        status(httpx.get(f"{base}/v1/inbox?wait=5", headers=headers, timeout=60).status_code)

    threads = [threading.Thread(target=poll, daemon=True) for _ in range(polls)]
    for thread in threads:
        thread.start()
    return threads
