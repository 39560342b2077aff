"""HTTP ingest: ``POST /v1/events`` at a fixed offered load, rate achieved and latency p50/p99.

``povezimo serve`` runs in a process of its own (as deployed: uvicorn, and the exchange and
projections in-process on the embedded bus), each institution posts with its own token, and the
load is open-loop: request *i* is sent at ``i / rate`` whatever became of the ones before (each
on a connection of its own when the kept ones are busy), so a slow server shows up as latency
and a lower achieved rate rather than as a politely slower client.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.bench.brokers import free_port
from services.bench.sample_events import bench_events
from services.bench.workspace import Workspace, platform_of

KEPT_CONNECTIONS = 8  # open between requests; more are opened while these are busy


@dataclass
class HttpIngestResult:
    bus: str
    offered_rate: float
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        return self.statuses.get(202, 0)

    @property
    def achieved_rate(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]

    def as_dict(self) -> dict[str, Any]:
        return {
            "bus": self.bus,
            "offered_rate": self.offered_rate,
            "achieved_rate": round(self.achieved_rate, 1),
            "requests": len(self.latencies),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "p50_ms": round(self.percentile(50) * 1000, 1),
            "p99_ms": round(self.percentile(99) * 1000, 1),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 1)
            if self.latencies
            else None,
        }


def measure_http_ingest(
    workspace: Workspace, bus: str, *, rate: float = 100.0, seconds: float = 20.0
) -> HttpIngestResult:
    requests = int(rate * seconds)
    # Cases in flight enough that two events of one case are ~1 s apart (see the latency load).
    # People are sealed by the run's one vault, which the server is given too: it refuses a
    # registration that no key of its vault opens (each 422 here used to be one).
    bodies = [
        (s.institution, s.event.model_dump(mode="json"))
        for s in bench_events(
            requests, seed=2006, cases_in_flight=max(16, int(rate)), vault=workspace.vault
        )
    ]
    with workspace.bus_url(bus) as url:
        settings = workspace.settings(f"http-{bus}", url)
        tokens = _issue_tokens(settings, {institution for institution, _ in bodies})
        port = free_port()
        command = [sys.executable, "-m", "services.cli", "serve", "--port", str(port)]
        command += ["--data-dir", settings["data_dir"]] + (["--bus", url] if url else [])
        log = open(workspace.root / f"serve-{bus}.log", "wb")  # noqa: SIM115
        stores = {
            "POVEZIMO_VAULT_URL": settings["vault_url"],
            "POVEZIMO_REGISTRY_URL": settings["registry_url"],
        }
        server = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=os.environ | stores
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_healthy(base, server)
            return asyncio.run(_offer(bus, base, tokens, bodies, rate))
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()


def _issue_tokens(settings: dict[str, str], institutions: set[str]) -> dict[str, str]:
    from services.api.tokens import Role, TokenStore

    system = platform_of(settings)
    store = TokenStore(system.views_engine)
    now = dt.datetime.now(dt.UTC)
    found = {
        i: store.issue(i, Role.INSTITUTION, now=now, label="bench").secret for i in institutions
    }
    system.close()
    return found


def _wait_healthy(base: str, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"povezimo serve exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"povezimo serve not healthy at {base} after {timeout}s")


async def _offer(
    bus: str,
    base: str,
    tokens: dict[str, str],
    bodies: list[tuple[str, dict[str, Any]]],
    rate: float,
) -> HttpIngestResult:
    """Request *i* leaves at ``i / rate`` on its own connection if none is free, however many
    are still waiting: a fixed number of senders each waiting for its answer would slow the
    offered load down to what the server answers, and hide its latency (with 8 senders and
    answers taking 127 ms, at most 63 a second were offered of the 100 asked for)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=KEPT_CONNECTIONS)
    async with httpx.AsyncClient(base_url=base, timeout=30.0, limits=limits) as client:
        start = time.perf_counter() + 0.5

        async def send(i: int) -> None:
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            institution, body = bodies[i]
            sent = time.perf_counter()
            try:
                response = await client.post(
                    "/v1/events",
                    json=body,
                    headers={"Authorization": f"Bearer {tokens[institution]}"},
                )
                status = response.status_code
            except httpx.HTTPError:
                status = 0
            latencies.append(time.perf_counter() - sent)
            statuses[status] = statuses.get(status, 0) + 1

        await asyncio.gather(*(send(i) for i in range(len(bodies))))
    elapsed = time.perf_counter() - start
    return HttpIngestResult(bus, rate, elapsed, latencies, statuses)
