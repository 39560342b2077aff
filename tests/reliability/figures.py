"""The figures the reliability tests establish, printed at the end of the run for the README."""

from __future__ import annotations

import os
from typing import Any

LONG = bool(os.environ.get("POVEZIMO_LONG"))
"""``POVEZIMO_LONG=1``: the long run (100,000 hostile inputs, 50 kills, 30 s outages)."""

PSEUDONYM_KEY = "reliability-tests-pseudonym-key-0123456789abcdef"
"""One aggregate key for every run of a test, so two runs' pseudonyms compare."""

FIGURES: dict[str, dict[str, Any]] = {}


def scaled(ci: int | float, long: int | float) -> Any:
    return long if LONG else ci


def record(test: str, **numbers: Any) -> None:
    """Keep what a test proved (inputs tried, faults survived, lost, duplicated, leaked)."""
    FIGURES.setdefault(test, {}).update(numbers)
