"""What a coordinator asks the release door for, and the table it answers with."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from consumers.indicators import INDICATORS, Indicator

TOTAL = "*"
PERIODS = ("month", "quarter", "year")
ALIASES = {"area": "municipality", "pool": "municipality"}


class ReleaseError(ValueError):
    """A release asked for something that does not exist; ``code`` says what."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


MIN_EPSILON = 0.01
"""Below it the noise drowns any count (and OpenDP's search for its scale fails)."""
MAX_EPSILON = 10.0
"""Above it the noise protects nobody; the budget is smaller anyway."""


def branches_of(by: tuple[str, ...]) -> list[str]:
    """The dimensions of ``by`` besides the municipality and the period."""
    return [d for d in by if d not in (*PERIODS, "municipality")]


@dataclass(frozen=True)
class ReleaseRequest:
    indicator: str = "reported_cases"
    by: tuple[str, ...] = ("municipality", "month")
    threshold: int = 5
    epsilon: float | None = None

    def checked(self) -> tuple[Indicator, tuple[str, ...]]:
        found = INDICATORS.get(self.indicator)
        if found is None:
            raise ReleaseError(
                "unknown_indicator", f"no indicator {self.indicator!r}: {', '.join(INDICATORS)}"
            )
        by = tuple(ALIASES.get(d, d) for d in self.by)
        for dim in by:
            if dim not in found.allowed:
                raise ReleaseError(
                    "unknown_dimension",
                    f"{self.indicator} has no dimension {dim!r}: {', '.join(found.allowed)}",
                )
        if len(set(by)) != len(by) or len(set(by) & set(PERIODS)) > 1:
            raise ReleaseError("dimensions_overlap", "name each dimension, and one period, once")
        if len(branches_of(by)) > 1:
            # Two such dimensions crossed need their joint counts, which the protected cube
            # does not hold (services.disclosure.cube).
            raise ReleaseError(
                "too_many_dimensions",
                "name at most one dimension besides municipality and the period",
            )
        if found.kind == "distinct" and set(by) & {"month", "quarter"}:
            raise ReleaseError(
                "period_too_fine", "distinct people are counted by year (a pseudonym's epoch)"
            )
        if self.threshold < 1:
            raise ReleaseError("bad_threshold", "the threshold is at least 1")
        if self.epsilon is not None and not MIN_EPSILON <= self.epsilon <= MAX_EPSILON:
            raise ReleaseError("bad_epsilon", f"epsilon is from {MIN_EPSILON:g} to {MAX_EPSILON:g}")
        if self.epsilon is not None and found.kind == "median":
            raise ReleaseError("bad_epsilon", "a median has no private version")
        return found, by


@dataclass
class Release:
    indicator: str
    description: str
    kind: str
    by: tuple[str, ...]
    threshold: int
    epsilon: float | None
    measures: tuple[str, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"by": list(self.by), "measures": list(self.measures)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Release:
        return cls(**(data | {"by": tuple(data["by"]), "measures": tuple(data["measures"])}))
