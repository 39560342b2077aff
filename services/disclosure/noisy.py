"""Differentially private tables: an indicator tabulated from its units with calibrated noise on
every interior count, totals summed from the noisy cells, and the table's own disclosure control
(``services.disclosure.suppression``) on top. Noise composes over any number of answers, each
charged to the budget, so these tables need no linked cube; ``services.disclosure.release``
calls this for a request with ``epsilon``.

Layout: the first dimension gives the rows, the others together the columns. Where one unit sits
in several cells (a case with two violence types) the totals add (unit, cell) pairs, so they
carry no rate.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from consumers.indicators import Facts, Unit
from services.disclosure import privacy
from services.disclosure.model import TOTAL, Release, ReleaseRequest
from services.disclosure.suppression import Grid, Position, suppress

Noise = Callable[[list[int]], list[int]]


@dataclass
class _Layout:
    rows: list[tuple[str, ...]]
    cols: list[tuple[str, ...]]
    cells: list[tuple[Unit, Position]]

    @property
    def expanded(self) -> bool:
        """Whether a unit sits in several cells (a case with two violence types): its totals
        then add (unit, cell) pairs, and a rate over them is not the indicator's."""
        return len({u.origin or id(u) for u, _ in self.cells}) < len(self.cells)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.cols)


def _layout(units: Sequence[Unit], by: tuple[str, ...]) -> _Layout:
    row_dims, col_dims = by[:1], by[1:]
    placed: list[tuple[Unit, tuple[str, ...], tuple[str, ...]]] = []
    for unit in units:
        choices = [
            [v] if isinstance(v := unit.dims[d], str) else list(v) for d in (*row_dims, *col_dims)
        ]
        for combo in itertools.product(*choices):
            placed.append((unit, combo[: len(row_dims)], combo[len(row_dims) :]))
    rows = sorted({r for _, r, _ in placed})
    cols = sorted({c for _, _, c in placed})
    row_at, col_at = {r: i for i, r in enumerate(rows)}, {c: j for j, c in enumerate(cols)}
    return _Layout(rows, cols, [(u, (row_at[r], col_at[c])) for u, r, c in placed])


def _counts(
    layout: _Layout, keep: bool | None, bound: int | None
) -> tuple[list[list[int]], list[tuple[str, int]]]:
    """Interior counts; ``keep`` True counts numerator units only; distinct keys once a cell."""
    rows, cols = layout.shape
    entries: list[tuple[str, int]] = []
    seen: set[tuple[str, Position]] = set()
    for unit, (i, j) in layout.cells:
        if keep and not unit.numerator:
            continue
        if unit.key is not None:
            if (unit.key, (i, j)) in seen:
                continue
            seen.add((unit.key, (i, j)))
        entries.append((unit.person, i * cols + j))
    if bound is not None:
        entries = privacy.bound_contributions(entries, bound)
    flat = [0] * (rows * cols)
    for _, index in entries:
        flat[index] += 1
    return [flat[i * cols : (i + 1) * cols] for i in range(rows)], entries


def _protected(cells: list[list[int]], threshold: int) -> dict[Position, int | None]:
    grid = Grid.of(cells)
    withheld = suppress(grid, threshold)
    return {p: (None if p in withheld else v) for p, v in grid.values.items()}


def _labels(layout: _Layout, by: tuple[str, ...], position: Position) -> dict[str, str]:
    i, j = position
    row = layout.rows[i] if i < len(layout.rows) else (TOTAL,) * len(by[:1])
    col = layout.cols[j] if j < len(layout.cols) else (TOTAL,) * len(by[1:])
    return dict(zip(by, (*row, *col), strict=True))


def tabulate(
    facts: Facts,
    request: ReleaseRequest,
    *,
    noise: Noise | None = None,
    bound: int | None = None,
    keep: Callable[[Unit], bool] = lambda _unit: True,
) -> Release:
    """The protected release of ``request`` over ``facts`` (no I/O), of the units ``keep`` lets in.

    ``noise`` (counts → noisy counts) is applied to every interior count table before disclosure
    control; totals are sums of the noisy cells, so the release stays consistent."""
    found, by = request.checked()
    units = [u for u in found.units(facts, by) if keep(u)]
    layout = _layout(units, by)
    rows, cols = layout.shape

    def table(keep: bool | None) -> dict[Position, int | None]:
        cells, _ = _counts(layout, keep, bound)
        if noise is not None:
            flat = noise([v for row in cells for v in row])
            cells = [flat[i * cols : (i + 1) * cols] for i in range(rows)]
        return _protected(cells, request.threshold)

    out = Release(found.name, found.description, found.kind, by, request.threshold,
                  request.epsilon, ())  # fmt: skip
    if not layout.cells:
        out.measures = ("numerator", "denominator", "rate") if found.kind == "rate" else ("count",)
        return out  # nothing to count: an empty table, not a table of zeros of unknown shape
    if found.kind == "rate":
        numerator, denominator = table(True), table(None)
        out.measures = ("numerator", "denominator", "rate")
        grid_cells = {(i, j) for i in range(rows) for j in range(cols)}
        for position in sorted(denominator):
            n, d = numerator[position], denominator[position]
            # min(…, 1): noise may lift a numerator above its denominator (post-processing).
            rate = round(min(n / d, 1.0), 4) if n is not None and d else None
            if layout.expanded and position not in grid_cells:
                rate = None
            out.rows.append(_labels(layout, by, position) | {"numerator": n, "denominator": d,
                                                             "rate": rate})  # fmt: skip
        return out
    counts = table(True)
    out.measures = ("count", "median_hours") if found.kind == "median" else ("count",)
    for position in sorted(counts):
        row: dict[str, Any] = _labels(layout, by, position) | {"count": counts[position]}
        if found.kind == "median":
            row["median_hours"] = _median(layout, position, counts[position])
        out.rows.append(row)
    return out


def _median(layout: _Layout, position: Position, count: int | None) -> float | None:
    if not count:
        return None
    i, j = position
    rows, cols = layout.shape
    values = [
        u.value
        for u, (ui, uj) in layout.cells
        if u.value is not None and (i == rows or ui == i) and (j == cols or uj == j)
    ]
    return float(statistics.median(values)) if values else None
