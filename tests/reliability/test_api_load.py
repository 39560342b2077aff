"""Sustained load on the HTTP ingest, on loopback only: 200 events a second offered for 15 s (60 s
in the long run) against ``povezimo serve`` in its own process. Every request is answered 202,
every event reaches its submissions topic, and the achieved rate and latency percentiles are
reported. How fast the server keeps up is the machine's: it is measured by ``povezimo bench
--only http``, not asserted here (a 2-core 2.4 GHz machine answered 3,000 in 24.6 s)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from consumers.pipeline import partitions_of
from services.api.tokens import Role, TokenStore
from tests.api.world import as_json, case_opened
from tests.reliability.figures import record, scaled
from tests.support.brokers import free_port, wait_for_port
from tests.support.pipeline import platform_for

RATE = 200  # events per second
SECONDS = int(scaled(15, 60))
HOST = "127.0.0.1"  # load runs against loopback only
OPENER = "csr.lazarevac"


def test_ingest_under_200_events_a_second_answers_and_keeps_every_event(tmp_path: Path) -> None:
    data = tmp_path / "data"
    platform = platform_for(data, f"sqlite:///{tmp_path / 'bus.db'}")
    token = TokenStore(platform.views_engine)
    from services.api.app import create_app

    create_app(platform)  # creates the API's tables before the token is stored
    secret = token.issue(OPENER, Role.INSTITUTION, now=dt.datetime.now(dt.UTC)).secret
    at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    bodies = [
        json.dumps(as_json(case_opened(OPENER, uuid.uuid4(), "lazarevac", at))).encode()
        for _ in range(RATE * SECONDS)
    ]
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", "--host", HOST, "--port", str(port),
         "--without-pipeline", "--bus", platform.settings.resolved_bus_url,
         "--data-dir", str(data)],
        stdout=log, stderr=subprocess.STDOUT,
        # One token at 200/s: the load, not the per-token write limit, is what is measured here.
        env={**os.environ, "POVEZIMO_API_WRITE_RATE": str(RATE * 10),
             "POVEZIMO_API_WRITE_BURST": str(RATE * SECONDS)},
    )  # fmt: skip
    try:
        wait_for_port(port, timeout=30)
        latencies, statuses, wall = drive(f"http://{HOST}:{port}", secret, bodies)
    finally:
        server.terminate()
        server.wait(15)
        log.close()
    errors = [s for s in statuses if s != 202]
    assert not errors, f"{len(errors)} errors, e.g. {errors[:5]}"
    arrived = sum(
        platform.bus.end_offsets(partitions_of(platform.bus, [f"submissions.{OPENER}"])).values()
    )
    assert arrived == len(bodies), f"{arrived} of {len(bodies)} events reached the bus"
    ordered = sorted(latencies)
    p50, p99 = ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99)]
    record(
        "api ingest load",
        rate_per_s=RATE,
        seconds=SECONDS,
        events=len(bodies),
        errors=0,
        achieved_per_s=round(len(bodies) / wall),
        p50_ms=round(p50 * 1000, 1),
        p99_ms=round(p99 * 1000, 1),
        max_ms=round(ordered[-1] * 1000, 1),
    )
    platform.close()


def drive(url: str, secret: str, bodies: list[bytes]) -> tuple[list[float], list[int], float]:
    """Send ``bodies`` at ``RATE`` a second (open loop); latency is send to answer."""
    local = threading.local()
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

    def post(body: bytes) -> tuple[float, int]:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=url, timeout=30)
        began = time.perf_counter()
        try:
            status = client.post("/v1/events", content=body, headers=headers).status_code
        except httpx.HTTPError:
            return time.perf_counter() - began, -1  # counted as an error
        return time.perf_counter() - began, status

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=32) as pool:
        futures = []
        for index, body in enumerate(bodies):
            delay = start + index / RATE - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(post, body))
        results = [f.result() for f in futures]
    wall = time.perf_counter() - start
    return [r[0] for r in results], [r[1] for r in results], wall
