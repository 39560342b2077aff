"""One indicator's counts as the cube every release of it is a view of.

Every number any release of an indicator can show — a cell, a row or column total, at any
period level, any threshold — is one *cell* of this cube: the sum of some of its *variables*,
the finest counts (an area × a base period, and for each other dimension the area × base period
× category). A release never computes a number of its own, so two releases that show the same
number show it alike (published in both, or withheld in both), and the protection decided for
the cube holds for every combination of releases (``services.disclosure.protection``).

The other dimensions hang from the spine (area × base period) as a star: each is related to the
spine by what holds in every group of it (the categories add up to the spine, or each is at most
it, or together at least it), which is what an attacker may know of them. Crossing two other
dimensions needs the joint counts, so a release names at most one besides area and period.

Pure: built from units (``consumers.indicators``), with no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from consumers import generalise as g

ALL = "*"
SPINE = ""  # the branch name of the spine (area × base period), and its category
PERIOD_LEVELS = ("month", "quarter", "year")


class Var(NamedTuple):
    """A finest count: units of one ``part`` in one area, base period and category."""

    part: str  # "count", or for a rate "numerator" and "rest" (the denominator's other units)
    branch: str  # SPINE, or the other dimension
    area: str
    base: str  # a month (YYYY-MM), or a year (YYYY) for distinct counts
    category: str  # SPINE, or a category of the branch


class Cell(NamedTuple):
    """A number a release can show (or, for ``part`` "rest", one it must not give away)."""

    part: str  # "count", "numerator", "denominator", or "rest" (denominator − numerator)
    branch: str
    area: str  # an area, or ALL
    period: str  # a base period, a quarter (YYYY-Qn), a year, or ALL + the last base period
    category: str  # SPINE, a category, or ALL


@dataclass(frozen=True)
class Relation:
    """A linear relation of variables an attacker may know: ``lower ≤ Σ coef × var ≤ upper``."""

    branch: str  # the branch it relates to the spine
    terms: tuple[tuple[int, int], ...]  # (variable index, coefficient)
    lower: float
    upper: float


@dataclass
class Cube:
    indicator: str
    kind: str  # count, distinct, rate, median
    base_level: str  # "month", or "year" for distinct counts
    variables: list[Var]
    values: list[int]
    branches: set[str]  # the dimensions hanging from the spine
    relations: list[Relation] = field(default_factory=list)
    adding_up: set[str] = field(
        default_factory=set
    )  # branches whose categories add up to the spine
    _terms: dict[Cell, list[int]] = field(default_factory=dict, repr=False)

    # -- what it spans --------------------------------------------------------------------------

    @property
    def parts(self) -> tuple[str, ...]:
        """The parts a release shows."""
        return ("numerator", "denominator") if self.kind == "rate" else ("count",)

    @property
    def areas(self) -> list[str]:
        return sorted({v.area for v in self.variables})

    @property
    def bases(self) -> list[str]:
        return sorted({v.base for v in self.variables})

    def categories(self, branch: str) -> list[str]:
        return sorted({v.category for v in self.variables if v.branch == branch})

    def periods(self, level: str) -> list[str]:
        """The complete periods of ``level`` the cube covers (a quarter needs its three months)."""
        if level == self.base_level:
            return self.bases
        if self.base_level == "year":
            return []  # nothing finer than its base
        have = set(self.bases)
        wanted = {_period_of(base, level) for base in self.bases}
        return sorted(p for p in wanted if set(members(p, self.base_level)) <= have)

    @property
    def everything(self) -> str:
        """The period of a total over every base period the cube holds."""
        return ALL + (self.bases[-1] if self.bases else "")

    # -- cells ----------------------------------------------------------------------------------

    def cells(self, branches: Iterable[str] | None = None) -> list[Cell]:
        """Every cell a release of this cube can show (of the spine and ``branches``, all by
        default), each once (an alias counted once)."""
        wanted = None if branches is None else {SPINE, *branches}
        return [
            c
            for c in self._cell_terms()
            if c.part != "rest"
            and self.canonical(c) == c
            and (wanted is None or c.branch in wanted)
        ]

    def canonical(self, cell: Cell) -> Cell:
        """The cell ``cell`` is the same number as (a branch total that adds up to the spine)."""
        if cell.branch in self.adding_up and cell.category == ALL:
            return cell._replace(branch=SPINE, category=SPINE)
        return cell

    def sensitive_cells(self, threshold: int, branches: Iterable[str] | None = None) -> list[Cell]:
        """Cells whose count is from 1 to ``threshold - 1``, and for a rate every cell whose
        denominator minus numerator is: those an attacker must not narrow."""
        cells = self.cells(branches)
        found = [c for c in cells if 0 < self.value(c) < threshold]
        if self.kind == "rate":
            found += [
                rest
                for c in cells
                if c.part == "numerator"
                and 0 < self.value(rest := c._replace(part="rest")) < threshold
            ]
        return found

    def terms(self, cell: Cell) -> list[int]:
        """The variables ``cell`` adds up."""
        found = self._cell_terms().get(cell)
        if found is not None:
            return found
        if cell.period.startswith(ALL):  # a total published before the cube grew
            last = cell.period[len(ALL) :]
            wider = self._cell_terms().get(cell._replace(period=self.everything), [])
            return [i for i in wider if self.variables[i].base <= last]
        raise KeyError(cell)

    def covers(self, cell: Cell) -> bool:
        """Whether ``cell`` is a number of this cube (not one of periods beyond its horizon)."""
        try:
            self.terms(cell)
        except KeyError:
            return False
        return True

    def value(self, cell: Cell) -> int:
        return sum(self.values[i] for i in self.terms(cell))

    def _cell_terms(self) -> dict[Cell, list[int]]:
        if not self._terms:
            complete = {lv: set(self.periods(lv)) for lv in PERIOD_LEVELS}
            everything = self.everything  # once: it reads every variable
            for index, var in enumerate(self.variables):
                for cell in self._cells_of(var, complete, everything):
                    self._terms.setdefault(cell, []).append(index)
        return self._terms

    def _cells_of(self, var: Var, complete: dict[str, set[str]], everything: str) -> Iterable[Cell]:
        parts = {"numerator": ("numerator", "denominator"), "rest": ("rest", "denominator")}
        periods = [everything]
        for level in PERIOD_LEVELS:
            if self.base_level == "year" and level != "year":
                continue
            period = _period_of(var.base, level)
            if period in complete[level]:
                periods.append(period)
        categories = [SPINE] if var.branch == SPINE else [var.category, ALL]
        for part in parts.get(var.part, (var.part,)):
            for area in (var.area, ALL):
                for period in periods:
                    for category in categories:
                        yield Cell(part, var.branch, area, period, category)


SpineUnit = tuple[str, str, bool, str | None]  # area, base, numerator, key
BranchUnit = tuple[str, str, str | tuple[str, ...], bool, str | None]  # … the category or several


def count_units(
    kind: str, spine: Iterable[SpineUnit], branches: Mapping[str, Iterable[BranchUnit]]
) -> dict[Var, int]:
    """The finest counts of units placed in cells: every cell a unit falls in, zero where none
    of its units is counted (a count counts only the units where its condition holds).

    A unit with a ``key`` counts once per finest cell (distinct people); a branch unit with a
    tuple of categories counts in each."""
    seen: dict[Var, set[object]] = defaultdict(set)
    for serial, (area, base, numerator, key) in enumerate(spine):
        _place(seen, kind, numerator, Var("", SPINE, area, base, SPINE), key or serial)
    for branch, units in branches.items():
        for serial, (area, base, value, numerator, key) in enumerate(units):
            for category in value if isinstance(value, tuple) else (value,):
                var = Var("", branch, area, base, category)
                _place(seen, kind, numerator, var, key or serial)
    return {var: len(units) for var, units in seen.items()}


def from_counts(
    indicator: str, kind: str, counts: Mapping[Var, int], bases: Sequence[str] = ()
) -> Cube:
    """The cube over every area, base period (``bases``, else those the counts name) and
    category the counts name (zero where they name none), with what relates each branch to the
    spine."""
    base_level = "year" if kind == "distinct" else "month"
    parts = ("numerator", "rest") if kind == "rate" else ("count",)
    areas = sorted({v.area for v in counts})
    bases = list(bases) or continuous(sorted({v.base for v in counts}), base_level)
    per_branch: dict[str, list[str]] = {}
    for var in counts:
        if var.branch != SPINE:
            per_branch.setdefault(var.branch, [])
    for branch in per_branch:
        per_branch[branch] = sorted({v.category for v in counts if v.branch == branch})
    variables = [Var(p, SPINE, a, b, SPINE) for p in parts for a in areas for b in bases]
    for branch, cats in sorted(per_branch.items()):
        variables += [Var(p, branch, a, b, c) for p in parts for a in areas for b in bases
                      for c in cats]  # fmt: skip
    values = [counts.get(v, 0) for v in variables]
    cube = Cube(indicator, kind, base_level, variables, values, set(per_branch))
    _relate(cube, per_branch, parts, areas, bases)
    return cube


def _place(
    seen: dict[Var, set[object]], kind: str, numerator: bool, where: Var, unit: object
) -> None:
    counted = seen[where._replace(part=_part(kind, numerator))]
    if kind == "rate" or numerator:
        counted.add(unit)


def _part(kind: str, numerator: bool) -> str:
    if kind != "rate":
        return "count"
    return "numerator" if numerator else "rest"


def _relate(
    cube: Cube,
    per_branch: dict[str, list[str]],
    parts: Sequence[str],
    areas: Sequence[str],
    bases: Sequence[str],
) -> None:
    """What holds between each branch and the spine in every group, as relations (and aliases
    for branch totals that add up to the spine)."""
    index = {v: i for i, v in enumerate(cube.variables)}
    for branch, cats in per_branch.items():
        groups = [
            (index[Var(p, SPINE, a, b, SPINE)], [index[Var(p, branch, a, b, c)] for c in cats])
            for p in parts
            for a in areas
            for b in bases
        ]
        value = cube.values
        adds_up = all(sum(value[i] for i in xs) == value[n] for n, xs in groups)
        at_most = all(value[i] <= value[n] for n, xs in groups for i in xs)
        covers = all(sum(value[i] for i in xs) >= value[n] for n, xs in groups)
        each_is = all(value[i] == value[n] for n, xs in groups for i in xs)
        for n, xs in groups:
            if adds_up:
                cube.relations.append(_relation(branch, [(n, -1), *((i, 1) for i in xs)], 0, 0))
                continue
            if covers:
                cube.relations.append(_relation(branch, [(n, -1), *((i, 1) for i in xs)], 0, _INF))
            for i in xs:
                if each_is:
                    cube.relations.append(_relation(branch, [(n, -1), (i, 1)], 0, 0))
                elif at_most:
                    cube.relations.append(_relation(branch, [(n, -1), (i, 1)], -_INF, 0))
        if adds_up:
            cube.adding_up.add(branch)


_INF = float("inf")


def _relation(branch: str, terms: list[tuple[int, int]], lower: float, upper: float) -> Relation:
    return Relation(branch, tuple(terms), lower, upper)


def _period_of(base: str, level: str) -> str:
    if level == "year":
        return g.year_of(base) if "-" in base else base
    if level == "quarter":
        return g.quarter_of(base)
    return base


def members(period: str, base_level: str, bases: Sequence[str] = ()) -> list[str]:
    """The base periods ``period`` adds up."""
    if period.startswith(ALL):
        last = period[len(ALL) :]
        return [b for b in bases if b <= last]
    if "-Q" in period:
        year, quarter = period.split("-Q")
        first = (int(quarter) - 1) * 3 + 1
        return [f"{year}-{m:02d}" for m in range(first, first + 3)]
    if "-" in period:
        return [period]
    if base_level == "year":
        return [period]
    return [f"{period}-{m:02d}" for m in range(1, 13)]


def continuous(bases: list[str], level: str) -> list[str]:
    """Every base period from the first to the last (an empty month is a count of zero)."""
    if not bases:
        return []
    if level == "year":
        return [str(y) for y in range(int(bases[0]), int(bases[-1]) + 1)]
    found, month = [], bases[0]
    while month <= bases[-1]:
        found.append(month)
        month = g.month_of(g.shift_month(month, 1))
    return found
