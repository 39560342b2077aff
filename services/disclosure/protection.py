"""Which cells of a cube may be published: primary and complementary suppression over every cell
any release can show, with the attacker's audit as the test of each step.

The attacker knows every published cell of the cube (whatever releases they came from), that no
count is negative, and how the cube's branches relate to its spine; for each withheld cell that
may hold a small count, they compute by linear programming the lowest and the highest value it
can take. A cell is protected when that interval is at least the threshold wide. Suppression
starts with every count from 1 to threshold − 1 (and for a rate every numerator whose complement
is that small); while some small cell is not protected, the published cells that bound it in the
attacker's programme (those whose constraint is binding) are candidates, and the smallest of them
is withheld too. Withholding everything is always protected, so this ends.

Decisions already published are kept (``fixed``): a cell once published stays published with its
value, a cell once withheld stays withheld; new cells are decided around them.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import highspy
import numpy as np

from services.disclosure.cube import Cell, Cube

_TOLERANCE = 1e-6
_FIRST = threading.Lock()
_started = False


def _quiet_highs() -> highspy.Highs:
    """A solver that writes nothing: HiGHS prints its banner to standard output (the file
    descriptor, past Python) when the process makes its first one, so that one is made with
    the descriptor pointed at /dev/null."""
    global _started
    with _FIRST:
        if _started:
            highs = highspy.Highs()
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "wb") as null:
                    os.dup2(null.fileno(), 1)
                    highs = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _started = True
    highs.setOptionValue("output_flag", False)
    return highs


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low


class Attacker:
    """The attacker's linear programme over a cube: every cell a row, published ones fixed."""

    def __init__(self, cube: Cube, rows: list[Cell]) -> None:
        self.cube = cube
        self.rows = rows
        self.branches = {c.branch for c in rows}
        self.row_of = {cell: i for i, cell in enumerate(rows)}
        self.highs = _quiet_highs()
        self._pass_model()

    def _pass_model(self) -> None:
        cube = self.cube
        starts, indices, values = [0], [], []
        lower, upper = [], []
        for cell in self.rows:
            terms = cube.terms(cell)
            indices += terms
            values += [1.0] * len(terms)
            starts.append(len(indices))
            lower.append(-highspy.kHighsInf)
            upper.append(highspy.kHighsInf)
        for relation in cube.relations:
            if relation.branch not in self.branches:
                continue  # its variables are in no row: free, they bind nothing
            indices += [i for i, _ in relation.terms]
            values += [float(c) for _, c in relation.terms]
            starts.append(len(indices))
            lower.append(max(relation.lower, -highspy.kHighsInf))
            upper.append(min(relation.upper, highspy.kHighsInf))
        lp = highspy.HighsLp()
        lp.num_col_ = len(cube.variables)
        lp.num_row_ = len(starts) - 1
        lp.col_cost_ = np.zeros(lp.num_col_)
        lp.col_lower_ = np.zeros(lp.num_col_)
        lp.col_upper_ = np.full(lp.num_col_, highspy.kHighsInf)
        lp.row_lower_ = np.array(lower)
        lp.row_upper_ = np.array(upper)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(indices, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(values)
        self.highs.passModel(lp)

    def touching(self, cell: Cell, withheld: set[Cell], fixed: Mapping[Cell, bool]) -> list[Cell]:
        """Published cells, not fixed, over the same areas and base periods as ``cell``: those
        that can give it room when none of the cells binding it may be withheld."""
        variables = self.cube.variables
        places = {(variables[i].area, variables[i].base) for i in self.cube.terms(cell)}
        return [
            row
            for row in self.rows
            if row not in withheld
            and row.part != "rest"
            and fixed.get(row) is None
            and any((variables[i].area, variables[i].base) in places for i in self.cube.terms(row))
        ]

    def publish(self, cells: Iterable[Cell]) -> None:
        for cell in cells:
            value = float(self.cube.value(cell))
            self.highs.changeRowBounds(self.row_of[cell], value, value)

    def withhold(self, cells: Iterable[Cell]) -> None:
        for cell in cells:
            self.highs.changeRowBounds(self.row_of[cell], -highspy.kHighsInf, highspy.kHighsInf)

    def interval(self, cell: Cell) -> tuple[Interval, set[int]]:
        """The values ``cell`` can take, and the rows whose constraints bind either end."""
        terms = self.cube.terms(cell)
        n = len(self.cube.variables)
        cost = np.zeros(n)
        cost[terms] = 1.0
        self.highs.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        ends, binding = [], set()
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            self.highs.changeObjectiveSense(sense)
            status = self._solve()
            if status == highspy.HighsModelStatus.kUnbounded:
                ends.append(float("inf"))
                continue
            if status != highspy.HighsModelStatus.kOptimal:
                said = self.highs.modelStatusToString(status)
                raise RuntimeError(f"the attacker's programme: {said}")
            ends.append(self.highs.getInfo().objective_function_value)
            duals = np.asarray(self.highs.getSolution().row_dual)[: len(self.rows)]
            binding |= set(np.flatnonzero(np.abs(duals) > _TOLERANCE).tolist())
        return Interval(ends[0], ends[1]), binding

    def _solve(self) -> highspy.HighsModelStatus:
        """Solve from the last basis; once more from scratch if that ended undecided.

        Solving from the basis of the previous cell is what makes a release fast, but after many
        bound changes HiGHS can end "Unknown" (found by the period tests' random releases); a cold
        start decides those."""
        self.highs.run()
        status = self.highs.getModelStatus()
        if status in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kUnbounded):
            return status
        self.highs.clearSolver()
        self.highs.run()
        return self.highs.getModelStatus()


def protect(
    cube: Cube,
    threshold: int,
    branches: Iterable[str] = (),
    fixed: Mapping[Cell, bool] | None = None,
    floor: set[Cell] | None = None,
) -> set[Cell]:
    """The cells of the spine and ``branches`` to withhold. ``fixed`` maps a cell already
    decided to whether it was published; ``floor`` holds cells that must be withheld whatever
    (a lower threshold's pattern)."""
    fixed = dict(fixed or {})
    branches = list(branches)
    cells = cube.cells(branches)
    rows = sorted(set(cells) | {c for c in fixed})
    sensitive = cube.sensitive_cells(threshold, branches)
    withheld = {c for c in cells if 0 < cube.value(c) < threshold and fixed.get(c) is not True}
    withheld |= {c._replace(part="numerator") for c in sensitive if c.part == "rest"}
    withheld |= {c for c, published in fixed.items() if not published}
    withheld |= (floor or set()) - {c for c, published in fixed.items() if published}
    attacker = Attacker(cube, [*rows, *(c for c in sensitive if c.part == "rest")])
    attacker.publish(c for c in rows if c not in withheld)
    # Withholding more only widens intervals: a cell protected once stays so, and only those
    # still unprotected are asked again.
    unsafe = _unprotected(attacker, sensitive, threshold)
    while unsafe:
        more = _complements(attacker, unsafe, withheld, fixed, threshold)
        if not more:
            raise RuntimeError("no complement left to withhold, yet a cell is not protected")
        withheld |= more
        attacker.withhold(more)
        unsafe = _unprotected(attacker, [cell for cell, _, _ in unsafe], threshold)
    return withheld


def _unprotected(
    attacker: Attacker, cells: list[Cell], threshold: int
) -> list[tuple[Cell, Interval, set[int]]]:
    found = []
    for cell in cells:
        interval, binding = attacker.interval(cell)
        if interval.width < threshold - _TOLERANCE:
            found.append((cell, interval, binding))
    return found


def _complements(
    attacker: Attacker,
    unsafe: list[tuple[Cell, Interval, set[int]]],
    withheld: set[Cell],
    fixed: Mapping[Cell, bool],
    threshold: int,
) -> set[Cell]:
    """For each unprotected cell, a published cell that binds it (none fixed): the smallest that
    could give it the room it lacks, else the largest there is."""
    chosen: set[Cell] = set()
    cube = attacker.cube
    for _cell, interval, binding in unsafe:
        candidates = [
            row
            for i in binding
            if i < len(attacker.rows)
            and (row := attacker.rows[i]) not in withheld | chosen
            and row.part != "rest"
            and fixed.get(row) is None
        ]
        if not candidates:
            candidates = attacker.touching(_cell, withheld | chosen, fixed)
        if not candidates:
            continue
        lacking = threshold - interval.width
        roomy = [c for c in candidates if cube.value(c) >= lacking]
        if roomy:
            chosen.add(min(roomy, key=lambda c: (cube.value(c), c)))
        else:
            chosen.add(max(candidates, key=lambda c: (cube.value(c), c)))
    return chosen
