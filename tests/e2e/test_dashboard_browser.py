"""The coordinator dashboard in headless Chromium against a lone ``povezimo serve`` after a
simulated run: it renders, shows the totals the disclosure-controlled API gives, withheld cells
read "x", and a screenshot is written under the test's temporary directory."""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from services.cli.main import app as cli
from tests.support.brokers import free_port, wait_for_port
from tests.support.browser import chromium as find_chromium

pytestmark = pytest.mark.browser
_browser = functools.cache(find_chromium)  # looked for (or installed) once, when first needed
RUN = ("--months", "3", "--scale", "0.1")  # about a hundred cases over three months


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("POVEZIMO_")}


@pytest.fixture
def served_after_a_run(tmp_path: Path) -> Iterator[tuple[str, str]]:
    path, why_absent = _browser()
    if path is None:
        pytest.skip(why_absent)
    data_dir = tmp_path / "data"
    demo = subprocess.run(
        [sys.executable, "-m", "services.cli", "demo", *RUN, "--programme",
         "--data-dir", str(data_dir)],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    issued = CliRunner().invoke(
        cli,
        ["tokens", "issue", "--institution", "platform.povezimo", "--role", "coordinator",
         "--data-dir", str(data_dir)],
    )  # fmt: skip
    assert issued.exit_code == 0, issued.output
    token = issued.output.strip().splitlines()[-1]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", "--port", str(port),
         "--data-dir", str(data_dir)],
        cwd=tmp_path, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}", token
    finally:
        process.terminate()
        process.wait(timeout=30)


def chromium(*args: str) -> str:
    path = _browser()[0]
    assert path is not None
    done = subprocess.run(
        [path, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--virtual-time-budget=15000", *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def opened_cases(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "views.db") as conn:
        count: int = conn.execute("SELECT count(*) FROM view_cases").fetchone()[0]
    return count


def test_the_dashboard_renders_the_released_totals_in_chromium(
    served_after_a_run: tuple[str, str], tmp_path: Path
) -> None:
    url, token = served_after_a_run
    bearer = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, timeout=30) as api:
        by_year = api.get("/v1/aggregate/indicators/reported_cases?by=year", headers=bearer).json()
        sent = api.get("/v1/aggregate/indicators/referrals_sent?by=year", headers=bearer).json()
        cells = api.get(
            "/v1/aggregate/indicators/reported_cases?by=month,municipality", headers=bearer
        ).json()
    years = {r["year"]: r["count"] for r in by_year["rows"]}
    total = years.get("*", next(iter(years.values())))  # one year: its row is the total
    assert total == opened_cases(tmp_path / "data")  # the views' count, large enough to be shown
    withheld_cells = sum(r["count"] is None for r in cells["rows"])
    assert withheld_cells > 0  # small municipalities' months are below the threshold

    page = f"{url}/dashboard#token={token}&lang=en"
    dom = chromium("--dump-dom", page)
    assert 'data-state="ready"' in dom, dom[-3000:]
    assert re.search(rf'id="total-cases"[^>]*>{total}<', dom)
    assert re.search(rf'data-indicator="referrals_sent"[^>]*>{sent["rows"][-1]["count"]}<', dom)
    assert "Reported cases by month and municipality" in dom
    cases_table = re.search(r'<table id="cases-table">.*?</table>', dom, re.S)
    assert cases_table is not None
    assert cases_table.group(0).count('class="withheld">x<') == withheld_cells
    # The vendored Chart.js loaded (offline: this server is the only one) and drew the charts:
    # cases, funnel and timeliness; the victims' chart is left out when every cell is withheld.
    assert re.search(r'data-chart-library="chart\.js 4\.', dom), dom[:2000]
    assert re.search(r'data-charts="[34]"', dom)
    for chart in ("cases-chart", "funnel-chart", "timeliness-chart"):
        assert f'<canvas id="{chart}"' in dom
    assert token not in dom  # the token leaves the address bar once read
    # The programme's section: the seed's work, drawn with the same library, in both languages.
    assert 'data-programme="ready"' in dom, dom[-3000:]
    assert re.search(r'data-programme-charts="1"', dom)  # no participants were recorded
    assert re.search(r'data-kind="CONSULTATIVE_MEETING"[^>]*>28<', dom)
    assert re.search(r'data-kind="MEDIA_APPEARANCE"[^>]*>101<', dom)
    assert "Cooperation agreements in force" in dom

    serbian = chromium("--dump-dom", f"{url}/dashboard#token={token}&lang=sr")
    assert "Ukupno prijavljenih slučajeva" in serbian
    assert "Tok upućivanja" in serbian and "Poštovanje zakonskih rokova" in serbian
    assert "Konsultativni sastanci" in serbian and "Sporazumi o saradnji na snazi" in serbian

    screenshot = tmp_path / "dashboard.png"
    chromium(f"--screenshot={screenshot}", "--window-size=1200,1600", page)
    assert screenshot.stat().st_size > 10_000
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
