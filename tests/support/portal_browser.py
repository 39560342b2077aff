"""What the portal's browser tests share: Chromium or the reason it is absent, a platform made
by a short simulated run with one staff account, polling, and screenshots at two widths."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from typer.testing import CliRunner

from services.cli.main import app as cli
from tests.support.browser import chromium as find_chromium
from tests.support.devtools import Page

RUN = ("--months", "3", "--scale", "0.1")  # the demo's network, short: a minute's run
PASSWORD = "correct horse battery staple"
T = TypeVar("T")

_chromium = functools.cache(find_chromium)


def chromium_or_skip() -> str:
    """The browser's path; the test is skipped, saying why, where there is none."""
    path, why_absent = _chromium()
    if path is None:
        pytest.skip(why_absent)
    return path


def clean_env() -> dict[str, str]:
    """This process's environment without the platform's settings (the test's own apply)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("POVEZIMO_")}


def simulated_platform(tmp_path: Path) -> Path:
    """A data directory holding a short simulated run of the demo's network."""
    data_dir = tmp_path / "data"
    demo = subprocess.run(
        [sys.executable, "-m", "services.cli", "demo", *RUN, "--data-dir", str(data_dir)],
        cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    return data_dir


def add_staff(data_dir: Path, username: str, institution: str, role: str) -> None:
    """A portal account, added as an operator does (password piped in)."""
    added = CliRunner().invoke(
        cli,
        ["users", "add", username, "--institution", institution, "--role", role,
         "--password-stdin", "--data-dir", str(data_dir)],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output


def eventually(what: Callable[[], T | None], timeout: float = 60) -> T:
    deadline = time.monotonic() + timeout
    while (found := what()) is None:
        assert time.monotonic() < deadline, what.__doc__
        time.sleep(0.25)
    return found


def shoot(page: Page, directory: Path, name: str, at: str | None = None) -> None:
    """Screenshots at a phone's and a desktop's width, kept for a person to look at."""
    for label, width, height, mobile in (("phone", 390, 844, True), ("desktop", 1280, 900, False)):
        shot = page.screenshot(
            directory / f"portal-{name}-{label}.png",
            width=width, height=height, mobile=mobile, at=at,
        )  # fmt: skip
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5_000
