"""Reliability tests print what they proved, so the README's figures can be copied from a run."""

from __future__ import annotations

import pytest

from tests.reliability.figures import FIGURES, LONG


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section(f"reliability figures ({'long' if LONG else 'CI'} run)")
    for test, numbers in FIGURES.items():
        shown = ", ".join(f"{name} = {value}" for name, value in numbers.items())
        terminalreporter.write_line(f"{test}: {shown}")
