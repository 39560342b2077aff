"""Every ``povezimo`` command the README and docs/ show runs as written, on the data directory the
README's tour makes (``povezimo demo --scale 0.1`` in a fresh folder), and ends with exit code 0.

Placeholders a reader fills in (``CASE_ID``, ``SUBJECT_ID``, a token id's prefix) take a value
from that platform. A command that cannot run here is listed in ``NOT_HERE`` with the reason and
the test that runs it elsewhere; nothing else is skipped.
"""

from __future__ import annotations

import os
import re
import shlex
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_BLOCK = re.compile(r"```(?:sh|bash|shell|console)\n(.*?)```", re.S)

# Why a command shown in the docs does not run in this test, and where it is run instead.
NOT_HERE: dict[str, str] = {
    "bench": "benchmarks take minutes to hours (tests/benchmarks; `bench --help` runs here)",
    "kafka://": "needs a Kafka broker (the kafka tests run these paths against tansu)",
    "serve": "a server until stopped (tests/e2e start it: tests/support/serving.py)",
    "demo --serve": "a server until stopped (tests/e2e/test_dashboard_browser.py)",
    "run": "a service until stopped (tests/reliability/test_failover.py; `run --until-idle` "
    "runs here)",
    "restore": "writes into an emptied bus only (tests/integration/test_restore.py, "
    "tests/reliability/test_broker_restart.py)",
    "demo": "a full year takes minutes on two cores (`demo --scale` runs here; "
    "tests/e2e/test_demo.py runs the demo)",
}
RUNS_HERE = ("bench --help", "run --until-idle", "demo --scale")


@dataclass(frozen=True)
class Shown:
    page: str
    line: str

    @property
    def words(self) -> list[str]:
        return shlex.split(self.line, comments=True)

    @property
    def exit_code(self) -> int:
        """0, or what the line's comment says (``# exit 1: …``) for a command that fails on
        purpose."""
        stated = re.search(r"#\s*exit (\d+)", self.line)
        return int(stated[1]) if stated else 0


def shown_commands() -> list[Shown]:
    found: list[Shown] = []
    for page in PAGES:
        for block in _BLOCK.findall(page.read_text(encoding="utf-8")):
            for line in block.splitlines():
                line = line.strip()
                if line.startswith("povezimo "):
                    found.append(Shown(str(page.relative_to(ROOT)), line))
    return found


def why_not_here(shown: Shown) -> str | None:
    command = " ".join(shown.words[1:])
    if command.startswith(RUNS_HERE) and "kafka://" not in command:
        return None
    for start, reason in NOT_HERE.items():
        if command.startswith(start) or start in command.split() or start in command:
            return reason
    return None


@dataclass
class Folder:
    """The reader's folder after the README's first tour step."""

    path: Path
    env: dict[str, str]
    values: dict[str, str]

    def run(self, words: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "services.cli", *words],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Folder]:
    path = tmp_path_factory.mktemp("reader")
    (path / "deploy").symlink_to(ROOT / "deploy")  # the docs name deploy/examples/…
    env = {k: v for k, v in os.environ.items() if not k.startswith("POVEZIMO_")}
    env["PYTHONPATH"] = str(ROOT)
    made = Folder(path, env, {})
    demo = made.run(["demo", "--scale", "0.1"])
    assert demo.returncode == 0, demo.stderr[-3000:]
    made.values = placeholders(made)
    yield made


def placeholders(folder: Folder) -> dict[str, str]:
    """What a reader would paste in place of the docs' placeholders."""
    data = folder.path / "povezimo-data"
    with sqlite3.connect(data / "views.db") as views:
        case_id, subject_id = views.execute(_A_CASE_THE_DOCS_NAME).fetchone()
    issued = folder.run(["tokens", "issue", "--institution", "ngo.azc", "--role", "institution"])
    assert issued.returncode == 0, issued.stderr
    token_id = re.search(r"token id ([0-9a-f-]+)", issued.stdout + issued.stderr)
    assert token_id, issued.stdout
    return {"CASE_ID": case_id, "SUBJECT_ID": subject_id, "3f9c": token_id[1][:8]}


# The docs look at a case of Lazarevac's centre and police as of 2025-06-01 and 2026-03-05.
_A_CASE_THE_DOCS_NAME = """
SELECT c.case_id, s.subject_id FROM view_cases c
JOIN view_participants csr ON csr.case_id = c.case_id AND csr.institution = 'csr.lazarevac'
JOIN view_participants police ON police.case_id = c.case_id
 AND police.institution = 'police.pu-beograd.lazarevac'
JOIN view_subjects s ON s.case_id = c.case_id AND s.role = 'VICTIM'
WHERE c.opened_at < '2025-06-01' ORDER BY c.opened_at DESC LIMIT 1
"""


def filled(shown: Shown, values: dict[str, str]) -> list[str]:
    return [values.get(word, word) for word in shown.words[1:]]


COMMANDS = shown_commands()
ON_PAGES = sorted({c.page for c in COMMANDS})


def test_the_docs_show_commands_and_most_run_here() -> None:
    here = [c for c in COMMANDS if why_not_here(c) is None]
    assert len(COMMANDS) > 40 and len(here) > len(COMMANDS) / 2


@pytest.mark.parametrize("page", ON_PAGES)
def test_the_commands_a_page_shows_run_as_written_in_its_order(folder: Folder, page: str) -> None:
    failed = []
    for shown in [c for c in COMMANDS if c.page == page and why_not_here(c) is None]:
        ran = folder.run(filled(shown, folder.values))
        if ran.returncode != shown.exit_code or "Traceback" in ran.stderr:
            failed.append(f"{shown.line}\n  exit {ran.returncode}: {ran.stderr.strip()[-600:]}")
    assert not failed, "\n".join(failed)
