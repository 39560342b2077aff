"""An attacker of the release door who owes nothing to its cube.

The unknowns are the cases themselves, counted by every combination of what the aggregate knows
of a case — its area, its month, its set of violence types, its victim's sex and age band, and
whether the indicator counts it in a numerator. Every number any release published is an equation
over those counts (a total over violence types adds a case once per type); every count is at least
zero. For a withheld count, linear programming (scipy's HiGHS) gives the lowest and the highest
value it can take. Nothing here reads the protection's own model: the check is independent.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linprog

from consumers import generalise as g

TOTAL = "*"
PERIODS = ("month", "quarter", "year")


@dataclass(frozen=True)
class Atom:
    area: str
    month: str
    types: frozenset[str]
    sex: str
    age_band: str
    numerator: bool


@dataclass
class CaseAttacker:
    atoms: list[Atom]
    equations: list[tuple[np.ndarray, float]] = field(default_factory=list)

    @classmethod
    def over(
        cls,
        areas: Iterable[str],
        months: Iterable[str],
        types: Iterable[str],
        sexes: Iterable[str],
        ages: Iterable[str],
    ) -> CaseAttacker:
        types = sorted(types)
        sets = [frozenset(c) for n in range(1, len(types) + 1)
                for c in itertools.combinations(types, n)]  # fmt: skip
        kinds = itertools.product(
            sorted(areas), sorted(months), sets, sorted(sexes), sorted(ages), (False, True)
        )
        return cls([Atom(*kind) for kind in kinds])

    def coefficients(self, part: str, by: Sequence[str], labels: Mapping[str, str]) -> np.ndarray:
        """How many times each kind of case counts in the number at ``labels`` of a table by
        ``by``: zero, once, or once per violence type for a total over types."""
        return np.array([self._times(atom, part, by, labels) for atom in self.atoms], dtype=float)

    def _times(self, atom: Atom, part: str, by: Sequence[str], labels: Mapping[str, str]) -> int:
        if part == "numerator" and not atom.numerator:
            return 0
        if "municipality" in by and labels["municipality"] not in (TOTAL, atom.area):
            return 0
        for level in PERIODS:
            if (
                level in by
                and labels[level] != TOTAL
                and labels[level] != _period(atom.month, level)
            ):
                return 0
        times = 1
        if "violence_type" in by:
            chosen = labels["violence_type"]
            times = len(atom.types) if chosen == TOTAL else int(chosen in atom.types)
        for dim, have in (("sex", atom.sex), ("age_band", atom.age_band)):
            if dim in by and labels[dim] not in (TOTAL, have):
                return 0
        return times

    def learn(
        self,
        releases: Iterable[tuple[Sequence[str], Sequence[Mapping[str, Any]]]],
        parts: Sequence[str],
    ) -> None:
        """Every published number of ``releases`` (each a grouping and its rows) as an equation."""
        seen: set[bytes] = set()
        for by, rows in releases:
            for row in rows:
                labels = {d: str(row[d]) for d in by}
                for part in parts:
                    if row[part] is None:
                        continue
                    coefficients = self.coefficients(part, by, labels)
                    key = coefficients.tobytes() + str(row[part]).encode()
                    if key not in seen:
                        seen.add(key)
                        self.equations.append((coefficients, float(row[part])))

    def interval(self, target: np.ndarray) -> tuple[float, float]:
        a_eq = np.array([c for c, _ in self.equations]) if self.equations else None
        b_eq = [v for _, v in self.equations] if self.equations else None
        bounds = [(0, None)] * len(self.atoms)
        low = linprog(target, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-target, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert low.status == 0, low.message  # the truth satisfies every published number
        return low.fun, (math.inf if high.status == 3 else -high.fun)


def _period(month: str, level: str) -> str:
    if level == "month":
        return month
    return g.quarter_of(month) if level == "quarter" else g.year_of(month)


def atom_of(case: Any, numerator: bool) -> Atom:
    types = frozenset(t for t in case.violence_types.split(",") if t)
    return Atom(case.area, case.month, types, case.victim_sex, case.victim_age_band, numerator)


def true_count(atoms: Sequence[Atom], truth: Mapping[Atom, int], coefficients: np.ndarray) -> int:
    return int(sum(coefficients[i] * truth.get(atom, 0) for i, atom in enumerate(atoms)))
