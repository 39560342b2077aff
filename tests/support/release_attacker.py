"""An attacker of the release door who owes nothing to its cube.

The unknowns are the cases themselves, counted by every combination of what the aggregate knows
of a case — its area, its month, its set of violence types, its victim's sex and age band, and
whether the indicator counts it in a numerator. Every number any release published is an equation
over those counts (a total over violence types adds a case once per type); every count is at least
zero. For a withheld count, linear programming (HiGHS) gives the lowest and the highest
value it can take. Nothing here reads the protection's own model: the check is independent.

``StarAttacker`` is the same attacker for a region too large for one unknown per kind of case
(the demo's year): releases cross at most one dimension beyond place and period, so it keeps one
unknown per place, month and category of each dimension, and says that each dimension's
categories hold the same cases. Within a place and month any counts by sex, by age band and by
set of violence types with one total come from some cases (spread them independently), so its
intervals are those of the first attacker.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
from scipy import sparse

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
class _LinearAttacker:
    """What every published number tells: one linear equation each over counts at least zero."""

    equations: list[tuple[sparse.csr_array, float]] = field(default_factory=list, kw_only=True)
    _solver: highspy.Highs | None = field(default=None, kw_only=True, repr=False)

    @property
    def unknowns(self) -> int:
        raise NotImplementedError

    def coefficients(self, part: str, by: Sequence[str], labels: Mapping[str, str]) -> np.ndarray:
        raise NotImplementedError

    def know(self, coefficients: np.ndarray, value: float) -> None:
        self.equations.append((sparse.csr_array(coefficients.reshape(1, -1)), value))
        self._solver = None

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
                        self.know(coefficients, float(row[part]))

    def interval(self, target: np.ndarray) -> tuple[float, float]:
        """The lowest and highest value of ``target`` · counts (the highest may be infinite)."""
        solver = self._programme()
        n = self.unknowns
        solver.changeColsCost(n, np.arange(n, dtype=np.int32), target.astype(float))
        ends = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            solver.changeObjectiveSense(sense)
            solver.run()
            status = solver.getModelStatus()
            if status == highspy.HighsModelStatus.kUnbounded:
                ends.append(math.inf)
                continue
            # The truth satisfies every published number: the programme is never infeasible.
            assert status == highspy.HighsModelStatus.kOptimal, solver.modelStatusToString(status)
            ends.append(solver.getInfo().objective_function_value)
        return ends[0], ends[1]

    def _programme(self) -> highspy.Highs:
        """HiGHS holding the equations, kept between questions (only the objective changes)."""
        if self._solver is None:
            rows = sparse.vstack([c for c, _ in self.equations] or [sparse.csr_array((1, 0))])
            rows = sparse.csr_array(rows, shape=(len(self.equations), self.unknowns))
            values = np.array([v for _, v in self.equations], dtype=float)
            lp = highspy.HighsLp()
            lp.num_col_, lp.num_row_ = self.unknowns, len(self.equations)
            lp.col_cost_ = np.zeros(self.unknowns)
            lp.col_lower_ = np.zeros(self.unknowns)
            lp.col_upper_ = np.full(self.unknowns, highspy.kHighsInf)
            lp.row_lower_ = lp.row_upper_ = values
            lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
            lp.a_matrix_.start_ = rows.indptr.astype(np.int32)
            lp.a_matrix_.index_ = rows.indices.astype(np.int32)
            lp.a_matrix_.value_ = rows.data.astype(float)
            self._solver = highspy.Highs()
            self._solver.setOptionValue("output_flag", False)
            self._solver.passModel(lp)
        return self._solver


@dataclass(frozen=True)
class _Columns:
    """What each unknown is, column by column, so that a number's coefficients are a few
    comparisons of arrays rather than a loop over the unknowns."""

    labels: dict[str, np.ndarray]
    type_count: np.ndarray
    type_member: dict[str, np.ndarray]

    @classmethod
    def of(
        cls,
        places: Sequence[tuple[str, str]],
        others: Mapping[str, Sequence[str]],
        type_sets: Sequence[frozenset[str]],
    ) -> _Columns:
        labels = {
            "municipality": np.array([area for area, _ in places]),
            **{level: np.array([_period(m, level) for _, m in places]) for level in PERIODS},
            **{dim: np.array(values) for dim, values in others.items()},
        }
        types = sorted(set().union(*type_sets))
        member = {t: np.array([t in s for s in type_sets], dtype=float) for t in types}
        return cls(labels, np.array([len(s) for s in type_sets], dtype=float), member)

    def times(self, by: Sequence[str], labels: Mapping[str, str]) -> np.ndarray:
        """Zero for an unknown the number at ``labels`` leaves out, else how often it counts:
        once, or once per violence type of its set for a total over types."""
        times = np.ones(len(self.type_count))
        for dim in by:
            chosen = labels[dim]
            if dim == "violence_type":
                times *= self.type_count if chosen == TOTAL else self.type_member.get(chosen, 0)
            elif chosen != TOTAL:
                times *= self.labels[dim] == chosen
        return times


@dataclass
class CaseAttacker(_LinearAttacker):
    atoms: list[Atom]
    _where: _Columns = field(init=False, repr=False)
    _in_numerator: np.ndarray = field(init=False, repr=False)

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

    def __post_init__(self) -> None:
        self._where = _Columns.of(
            [(a.area, a.month) for a in self.atoms],
            {"sex": [a.sex for a in self.atoms], "age_band": [a.age_band for a in self.atoms]},
            [a.types for a in self.atoms],
        )
        self._in_numerator = np.array([a.numerator for a in self.atoms], dtype=float)

    def coefficients(self, part: str, by: Sequence[str], labels: Mapping[str, str]) -> np.ndarray:
        """How many times each kind of case counts in the number at ``labels`` of a table by
        ``by``: zero, once, or once per violence type for a total over types."""
        times = self._where.times(by, labels)
        return times * self._in_numerator if part == "numerator" else times

    @property
    def unknowns(self) -> int:
        return len(self.atoms)


@dataclass
class StarAttacker(_LinearAttacker):
    """Unknowns: (dimension, area, month, category) for each dimension beyond place and period;
    a set of violence types is one category (it counts once for each of its types)."""

    unknown: list[tuple[str, str, str, Any]]
    dimensions: tuple[str, ...]
    _dimension: np.ndarray = field(init=False, repr=False)
    _where: dict[str, _Columns] = field(init=False, repr=False)

    @classmethod
    def over(
        cls, areas: Iterable[str], months: Iterable[str], categories: Mapping[str, Sequence[Any]]
    ) -> StarAttacker:
        dimensions = tuple(sorted(categories))
        places = list(itertools.product(sorted(areas), sorted(months)))
        unknown = [(d, a, m, c) for d in dimensions for a, m in places for c in categories[d]]
        attacker = cls(unknown, dimensions)
        index = {key: i for i, key in enumerate(unknown)}
        for a, m in places:  # every dimension holds the same cases of a place and month
            first = np.zeros(len(unknown))
            for c in categories[dimensions[0]]:
                first[index[(dimensions[0], a, m, c)]] = 1
            for d in dimensions[1:]:
                row = first.copy()
                for c in categories[d]:
                    row[index[(d, a, m, c)]] -= 1
                attacker.know(row, 0.0)
        return attacker

    @property
    def unknowns(self) -> int:
        return len(self.unknown)

    def __post_init__(self) -> None:
        self._dimension = np.array([d for d, *_ in self.unknown])
        self._where = {
            d: _Columns.of(
                [(a, m) for _d, a, m, _c in self.unknown],
                {d: [str(c) if d != "violence_type" else "" for _d, _a, _m, c in self.unknown]},
                [c if d == "violence_type" else frozenset() for _d, _a, _m, c in self.unknown],
            )
            for d in self.dimensions
        }

    def coefficients(self, part: str, by: Sequence[str], labels: Mapping[str, str]) -> np.ndarray:
        shown = next((d for d in by if d in self.dimensions), self.dimensions[0])
        times = self._where[shown].times(by, labels)
        return times * (self._dimension == shown)

    def truth(self, cases: Iterable[Any]) -> np.ndarray:
        """The true value of every unknown, from the cases as the aggregate holds them."""
        index = {key: i for i, key in enumerate(self.unknown)}
        values = np.zeros(len(self.unknown))
        for case in cases:
            for dimension in self.dimensions:
                values[index[(dimension, case.area, case.month, _category(case, dimension))]] += 1
        return values


def _category(case: Any, dimension: str) -> Any:
    if dimension == "violence_type":
        return frozenset(t for t in case.violence_types.split(",") if t)
    return case.victim_sex if dimension == "sex" else case.victim_age_band


def _period(month: str, level: str) -> str:
    if level == "month":
        return month
    return g.quarter_of(month) if level == "quarter" else g.year_of(month)


def atom_of(case: Any, numerator: bool) -> Atom:
    types = frozenset(t for t in case.violence_types.split(",") if t)
    return Atom(case.area, case.month, types, case.victim_sex, case.victim_age_band, numerator)


def true_count(atoms: Sequence[Atom], truth: Mapping[Atom, int], coefficients: np.ndarray) -> int:
    return int(np.dot(coefficients, [truth.get(atom, 0) for atom in atoms]))
