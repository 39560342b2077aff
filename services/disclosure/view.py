"""A release as a view of the protected cube: every number it shows is a cell of the cube, shown
with its value when the cube publishes it and withheld (``None``) when it does not.

Layout: the first dimension gives the rows, the others together the columns, and each table has
its row and column totals (``*``). A period's total covers every month the cube holds. A rate or
median is withheld with a count it is made of; the total over a dimension where one unit sits in
several categories (a case with two violence types) adds (unit, category) pairs, so it carries
no rate.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from consumers.indicators import Indicator, Unit
from services.disclosure.cube import ALL, SPINE, Cell, Cube, members
from services.disclosure.model import (
    PERIODS,
    TOTAL,
    PeriodRange,
    Release,
    ReleaseRequest,
    branches_of,
)

Published = Mapping[Cell, bool]
Medians = Callable[[Cell], float | None]


def view(
    cube: Cube,
    published: Published,
    found: Indicator,
    by: tuple[str, ...],
    request: ReleaseRequest,
    medians: Medians | None = None,
) -> Release:
    """The table ``request`` asks for, each number as the cube decided it.

    Limited to a period (``--from``/``--to``), it shows the periods of its period dimension that
    lie wholly in the range, and as their total the cell of the range itself when the range is
    one whole year, quarter or month of the cube; otherwise no period total, since a total over
    any other range is a number the protection never decided (it and a published period could
    give back a withheld one)."""
    limit = request.period()
    out = Release(found.name, found.description, found.kind, by, request.threshold,
                  request.epsilon, _measures(found.kind),
                  period_from=limit.first if limit and request.period_from else None,
                  period_to=limit.last if limit and request.period_to else None)  # fmt: skip
    if not cube.variables:
        return out
    total = cube.everything if limit is None else _range_cell(cube, limit)
    period_dim = next((d for d in by if d in PERIODS), None)
    if total is None and period_dim is None:
        return out  # the one period asked for is not released (not closed yet)
    row_dims, col_dims = by[:1], by[1:]
    rows = [*itertools.product(*(_labels(cube, d, limit) for d in row_dims))]
    cols = [*itertools.product(*(_labels(cube, d, limit) for d in col_dims))]
    if (len(rows) > 1 or not row_dims) and (total or period_dim not in row_dims):
        rows.append((TOTAL,) * len(row_dims))
    if (len(cols) > 1 or not col_dims) and (total or period_dim not in col_dims):
        cols.append((TOTAL,) * len(col_dims))
    for row in _unique(rows):
        for col in _unique(cols):
            labels = dict(zip(by, (*row, *col), strict=True))
            numbers = _numbers(cube, published, by, labels, medians, total or cube.everything)
            out.rows.append(labels | numbers)
    return out


def _range_cell(cube: Cube, limit: PeriodRange) -> str | None:
    """The period of the cube's cell that is the whole range, if the range is one."""
    single = limit.single
    if single is None:
        return None
    level, period = single
    return period if period in cube.periods(level) else None


def _measures(kind: str) -> tuple[str, ...]:
    if kind == "rate":
        return ("numerator", "denominator", "rate")
    return ("count", "median_hours") if kind == "median" else ("count",)


def _labels(cube: Cube, dim: str, limit: PeriodRange | None = None) -> list[str]:
    if dim == "municipality":
        return cube.areas
    if dim in PERIODS:
        return [p for p in cube.periods(dim) if limit is None or limit.holds(p)]
    return cube.categories(dim)


def _unique(labels: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    return list(dict.fromkeys(labels))


def cell_of(
    cube: Cube,
    part: str,
    by: Sequence[str],
    labels: Mapping[str, str],
    total: str | None = None,
) -> Cell:
    """The cube's cell for one position of a table of ``by`` (a label ``*`` for a total; a
    period total is ``total``, by default every period the cube holds)."""
    branches = branches_of(tuple(by))
    branch = branches[0] if branches else SPINE
    period_dim = next((d for d in by if d in PERIODS), None)
    area = labels.get("municipality", TOTAL)
    period = labels[period_dim] if period_dim else TOTAL
    category = labels[branch] if branch != SPINE else SPINE
    cell = Cell(
        part,
        branch,
        ALL if area == TOTAL else area,
        (total or cube.everything) if period == TOTAL else period,
        ALL if category == TOTAL else category,
    )
    return cube.canonical(cell)


def _numbers(
    cube: Cube,
    published: Published,
    by: Sequence[str],
    labels: Mapping[str, str],
    medians: Medians | None,
    total: str,
) -> dict[str, Any]:
    def shown(part: str) -> int | None:
        cell = cell_of(cube, part, by, labels, total)
        return cube.value(cell) if published.get(cell, False) else None

    if cube.kind == "rate":
        numerator, denominator = shown("numerator"), shown("denominator")
        pairs = any(labels.get(b) == TOTAL for b in branches_of(tuple(by))
                    if b not in cube.adding_up)  # fmt: skip
        rate = None
        if numerator is not None and denominator and not pairs:
            rate = round(min(numerator / denominator, 1.0), 4)
        return {"numerator": numerator, "denominator": denominator, "rate": rate}
    count = shown("count")
    numbers: dict[str, Any] = {"count": count}
    if cube.kind == "median":
        cell = cell_of(cube, "count", by, labels, total)
        numbers["median_hours"] = medians(cell) if count and medians else None
    return numbers


def median_of(units: Sequence[Unit], cube: Cube, cell: Cell) -> float | None:
    """The median of the values of the units in ``cell`` (those the cube counts there)."""
    bases = set(members(cell.period, cube.base_level, cube.bases))
    base_dim = "year" if cube.base_level == "year" else "month"
    values = [
        u.value
        for u in units
        if u.value is not None
        and cell.area in (ALL, u.dims["municipality"])
        and u.dims[base_dim] in bases
        and (cell.branch == SPINE or cell.category in (ALL, *_as_tuple(u.dims[cell.branch])))
    ]
    return float(statistics.median(values)) if values else None


def _as_tuple(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)
