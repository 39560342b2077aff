"""Disclosure control of released count tables: threshold rule and complementary suppression.

Pure functions, no I/O. A count table has row and column margins; the grid here is the table
*extended* by them: rows ``0..R-1`` and columns ``0..C-1`` are cells, column ``C`` holds the row
totals (only when ``C > 1``), row ``R`` the column totals (only when ``R > 1``) and ``(R, C)`` the
grand total (when both exist). Totals are sums of the cells, so every published total is a linear
constraint an attacker may use.

1. **Primary suppression**: any position (cell or total) with a count from 1 to ``threshold - 1``
   is withheld; zero is published (there is nobody in it to point at).
2. **Complementary suppression**: a withheld count must not be recomputable exactly from what is
   published. The feasible values of the withheld counts form a transportation polytope; its
   matrix is a network matrix, so a withheld count can take another integer value exactly when
   there is a cycle of withheld positions through it along which it moves by one, alternating
   along rows and columns, that keeps every total and makes no count negative (`is_protected`).
   Each unprotected position gets the cheapest set of further suppressions (a single position of
   its row or column, or a rectangle; smallest total count first, then fewest, then position) that
   protects it; in the worst case everything is withheld, which is always protected. The result
   depends only on the table and the threshold: the same data give the same release.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

Position = tuple[int, int]
FREE = ("free", -1)  # the lines without a published total act as one unconstrained node


@dataclass(frozen=True)
class Grid:
    """An ``R × C`` count table with the totals the release publishes."""

    cells: tuple[tuple[int, ...], ...]

    @classmethod
    def of(cls, cells: Sequence[Sequence[int]]) -> Grid:
        rows = tuple(tuple(int(v) for v in row) for row in cells)
        if not rows or not rows[0] or any(len(r) != len(rows[0]) for r in rows):
            raise ValueError("a count table needs at least one cell and rows of equal length")
        if any(v < 0 for r in rows for v in r):
            raise ValueError("counts are never negative")
        return cls(rows)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.cells), len(self.cells[0])

    @property
    def row_totals(self) -> bool:
        """Whether a totals column (one total per row) is published."""
        return self.shape[1] > 1

    @property
    def column_totals(self) -> bool:
        return self.shape[0] > 1

    @cached_property
    def values(self) -> dict[Position, int]:
        """Every published-or-withheld position of the extended grid with its count."""
        rows, cols = self.shape
        found: dict[Position, int] = {}
        for i in range(rows):
            for j in range(cols):
                found[(i, j)] = self.cells[i][j]
        if self.row_totals:
            for i in range(rows):
                found[(i, cols)] = sum(self.cells[i])
        if self.column_totals:
            for j in range(cols):
                found[(rows, j)] = sum(r[j] for r in self.cells)
        if self.row_totals and self.column_totals:
            found[(rows, cols)] = sum(map(sum, self.cells))
        return found

    def is_total(self, position: Position) -> bool:
        rows, cols = self.shape
        return position[0] == rows or position[1] == cols

    def is_grand_total(self, position: Position) -> bool:
        return position == self.shape and self.row_totals and self.column_totals

    def _sign(self, position: Position) -> int:
        """+1 where a count enters its lines' balance as itself, -1 where as a total."""
        return -1 if self.is_total(position) and not self.is_grand_total(position) else 1

    def _nodes(self, position: Position) -> tuple[tuple[str, int], tuple[str, int]]:
        i, j = position
        row = ("row", i) if self.row_totals else FREE
        col = ("col", j) if self.column_totals else FREE
        return row, col

    def can_move(self, position: Position, suppressed: frozenset[Position], step: int) -> bool:
        """Whether the withheld count at ``position`` can change by ``step`` (±1) while every
        published count and total stays as published and no count turns negative."""
        values = self.values
        if step < 0 and values[position] < 1:
            return False
        arcs: dict[tuple[str, int], list[tuple[str, int]]] = {}
        for other in suppressed:
            if other == position:
                continue
            row, col = self._nodes(other)
            sign = self._sign(other)
            # Along a cycle a position is passed row→col when its balance term rises by one
            # and col→row when it falls; the count itself moves by sign × that.
            if sign > 0 or values[other] >= 1:
                arcs.setdefault(row, []).append(col)
            if sign < 0 or values[other] >= 1:
                arcs.setdefault(col, []).append(row)
        row, col = self._nodes(position)
        rising = self._sign(position) * step > 0
        start, goal = (col, row) if rising else (row, col)
        return _reachable(arcs, start, goal)

    def is_protected(self, position: Position, suppressed: frozenset[Position]) -> bool:
        """A withheld count is protected when the release leaves it more than one value."""
        return self.can_move(position, suppressed, +1) or self.can_move(position, suppressed, -1)


def _reachable(
    arcs: dict[tuple[str, int], list[tuple[str, int]]],
    start: tuple[str, int],
    goal: tuple[str, int],
) -> bool:
    if start == goal:
        return True
    seen = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in arcs.get(node, ()):
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return False


def primary(grid: Grid, threshold: int) -> frozenset[Position]:
    """Positions whose count is from 1 to ``threshold - 1``."""
    if threshold < 1:
        raise ValueError("the threshold is at least 1")
    return frozenset(p for p, v in grid.values.items() if 0 < v < threshold)


def suppress(grid: Grid, threshold: int) -> frozenset[Position]:
    """Primary suppression plus the complementary suppressions that protect it."""
    suppressed = primary(grid, threshold)
    while True:
        exposed = next(
            (p for p in sorted(suppressed) if not grid.is_protected(p, suppressed)), None
        )
        if exposed is None:
            return suppressed
        suppressed = suppressed | _cheapest_cover(grid, exposed, suppressed)


def _cheapest_cover(
    grid: Grid, exposed: Position, suppressed: frozenset[Position]
) -> frozenset[Position]:
    values = grid.values
    rows = sorted({p[0] for p in values})
    cols = sorted({p[1] for p in values})
    r, c = exposed
    options: set[frozenset[Position]] = set()
    for j in cols:
        options.add(frozenset({(r, j)}))
    for i in rows:
        options.add(frozenset({(i, c)}))
    for i in rows:
        for j in cols:
            if i != r and j != c:
                options.add(frozenset({(r, j), (i, c), (i, j)}))
    ranked = []
    for option in options:
        added = frozenset(p for p in option if p in values and p not in suppressed)
        if added:
            cost = sum(values[p] for p in added)
            ranked.append((cost, len(added), sorted(added), added))
    ranked.sort(key=lambda item: (item[0], item[1], item[2]))
    for *_, added in ranked:
        if grid.is_protected(exposed, suppressed | added):
            return added
    return frozenset(values) - suppressed  # withholding everything always protects


def unprotected(grid: Grid, suppressed: Iterable[Position]) -> list[Position]:
    """Withheld positions the published rest still determines exactly (empty when safe)."""
    frozen = frozenset(suppressed)
    return [p for p in sorted(frozen) if not grid.is_protected(p, frozen)]
