"""Reliability tests print what they proved, so the README's figures can be copied from a run."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.reliability.figures import FIGURES, LONG, PSEUDONYM_KEY
from tests.reliability.support import comparable, streamed_waves
from tests.support.pipeline import pipeline_of, platform_for, submit


@pytest.fixture(autouse=True, scope="package")
def _one_pseudonym_key() -> Iterator[None]:
    """Every run of a test (clean, crashed, child processes) pseudonymises alike. Set for this
    package only: a session-wide key leaked into the tests collected after it (a replay run as a
    child process then pseudonymised with it, the demo it replayed without)."""
    before = os.environ.get("POVEZIMO_PSEUDONYM_KEY")
    os.environ["POVEZIMO_PSEUDONYM_KEY"] = PSEUDONYM_KEY
    yield
    if before is None:
        del os.environ["POVEZIMO_PSEUDONYM_KEY"]
    else:
        os.environ["POVEZIMO_PSEUDONYM_KEY"] = before


@pytest.fixture(scope="package")
def clean(_one_pseudonym_key: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The views after the streamed waves on the embedded bus, with nothing going wrong.

    Compared with views a test builds under the package's pseudonym key, so it asks for the key
    first (a fixture of a wider scope would be built before the package's autouse one)."""
    tmp = tmp_path_factory.mktemp("clean")
    platform = platform_for(tmp / "data", f"sqlite:///{tmp / 'bus.db'}")
    pipeline = pipeline_of(platform)
    for wave in streamed_waves(platform):
        submit(platform, wave)
        pipeline.drain()
    pipeline.close()
    sums = comparable(platform)
    platform.close()
    return sums


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section(f"reliability figures ({'long' if LONG else 'CI'} run)")
    for test, numbers in FIGURES.items():
        shown = ", ".join(f"{name} = {value}" for name, value in numbers.items())
        terminalreporter.write_line(f"{test}: {shown}")
