"""The README's first command: ``povezimo demo`` on the embedded bus, and the same over Kafka.

CI-sized: two months at 5 % of the real case rate (the default is 12 months at the full rate)."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.brokers import free_port, wait_for_port

SMALL = ("--months", "2", "--scale", "0.05")


def run_demo(
    cwd: Path, *args: str, session_timeout_ms: int | None = None
) -> subprocess.CompletedProcess[str]:
    cwd.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("POVEZIMO_")}
    if session_timeout_ms:
        env["POVEZIMO_SESSION_TIMEOUT_MS"] = str(session_timeout_ms)
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "demo", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def counts(stdout: str) -> dict[str, int]:
    found = {}
    for label in ("published", "accepted", "rejected", "of them deliberate bad submissions",
                  "of them unexpected"):  # fmt: skip
        match = re.search(rf"│ +{re.escape(label)} +│ +(\d+) +│", stdout)
        assert match, f"no {label!r} row in:\n{stdout}"
        found[label] = int(match.group(1))
    return found


def case_events(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "bus.db") as conn:
        return conn.execute(
            "SELECT count(*) FROM bus_records WHERE topic = 'case-events'"
        ).fetchone()[0]


def test_the_demo_runs_on_the_embedded_default_and_summarises_the_network(
    tmp_path: Path,
) -> None:
    first = run_demo(tmp_path, *SMALL)
    assert first.returncode == 0, first.stderr
    seen = counts(first.stdout)
    assert seen["published"] > 300
    assert seen["accepted"] + seen["rejected"] == seen["published"]
    assert seen["rejected"] == seen["of them deliberate bad submissions"]
    assert seen["of them unexpected"] == 0
    assert "inbox of each institution" in first.stdout and "ngo.azc" in first.stdout
    assert "overdue and late" in first.stdout and "referral_answer" in first.stdout
    assert "regional table: reported cases" in " ".join(first.stdout.split())
    assert "x: withheld (below 5" in first.stdout  # a few cases per municipality: some withheld
    assert re.search(r"│ x +│", first.stdout), "no withheld cell in the regional table"
    assert "audit verify: intact" in first.stdout
    data_dir = tmp_path / "povezimo-data"
    logged = case_events(data_dir)
    assert logged >= seen["accepted"]

    # The same seed again: every event is already known, so nothing is appended twice.
    again = run_demo(tmp_path, *SMALL)
    assert again.returncode == 0, again.stderr
    assert counts(again.stdout) == seen
    assert case_events(data_dir) == logged


@pytest.mark.kafka
def test_the_demo_over_kafka_decides_as_on_the_embedded_bus(tmp_path: Path, tansu_url: str) -> None:
    args = ("--months", "1", "--scale", "0.02")
    embedded = run_demo(tmp_path / "sqlite", *args)
    # tansu holds a group join for half the session timeout; keep it short here.
    kafka = run_demo(tmp_path / "kafka", *args, "--bus", tansu_url, session_timeout_ms=2000)
    assert embedded.returncode == 0, embedded.stderr
    assert kafka.returncode == 0, kafka.stderr
    seen = counts(kafka.stdout)
    assert seen["accepted"] + seen["rejected"] == seen["published"] > 20
    assert seen["of them unexpected"] == 0
    assert seen == counts(embedded.stdout)
    assert "audit verify: intact" in kafka.stdout


def test_demo_serve_prints_a_working_dashboard_address_and_coordinator_token(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POVEZIMO_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "demo", *SMALL, "--serve", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        printed = []
        for line in process.stdout:
            printed.append(line)
            if line.startswith("coordinator token"):
                break
        token = printed[-1].split(":", 1)[1].strip()
        assert any(f"http://127.0.0.1:{port}/dashboard#token={token}" in x for x in printed)
        wait_for_port(port, timeout=60)
        bearer = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as api:
            assert api.get("/dashboard").status_code == 200
            released = api.get("/v1/aggregate/indicators/reported_cases?by=year", headers=bearer)
            assert released.status_code == 200, released.text
            assert api.get("/v1/cases", headers=bearer).status_code == 403  # coordinators only
    finally:
        process.terminate()
        process.wait(timeout=30)
