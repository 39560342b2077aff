"""What an attacker can infer from a released table: the feasible interval of a withheld count.

An independent check of ``services.disclosure.suppression`` by linear programming (scipy's HiGHS):
the unknowns are the withheld counts, the constraints every published total, each unknown ≥ 0.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linprog

from services.disclosure.suppression import Grid, Position


def lines(grid: Grid) -> list[tuple[list[Position], Position]]:
    """Each published linear relation as (positions summed, position of their total)."""
    rows, cols = grid.shape
    found = []
    if grid.row_totals:
        found += [([(i, j) for j in range(cols)], (i, cols)) for i in range(rows)]
    if grid.column_totals:
        found += [([(i, j) for i in range(rows)], (rows, j)) for j in range(cols)]
    if grid.row_totals and grid.column_totals:
        found.append(([(rows, j) for j in range(cols)], (rows, cols)))
    return found


def feasible_interval(
    grid: Grid, suppressed: frozenset[Position], target: Position
) -> tuple[float, float]:
    unknown = sorted(suppressed)
    index = {p: k for k, p in enumerate(unknown)}
    values = grid.values
    a_eq, b_eq = [], []
    for parts, total in lines(grid):
        row = np.zeros(len(unknown))
        rhs = 0.0
        for p in parts:
            if p in index:
                row[index[p]] += 1
            else:
                rhs -= values[p]
        if total in index:
            row[index[total]] -= 1
        else:
            rhs += values[total]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    objective = np.zeros(len(unknown))
    objective[index[target]] = 1
    bounds = [(0, None)] * len(unknown)
    kwargs = {"A_eq": np.array(a_eq), "b_eq": b_eq} if a_eq else {}
    low = linprog(objective, bounds=bounds, method="highs", **kwargs)
    high = linprog(-objective, bounds=bounds, method="highs", **kwargs)
    assert low.status == 0, low.message  # the true table is always feasible
    top = math.inf if high.status == 3 else -high.fun
    return low.fun, top


def integer_values(interval: tuple[float, float]) -> float:
    low, high = interval
    if math.isinf(high):
        return math.inf
    return math.floor(high + 1e-6) - math.ceil(low - 1e-6) + 1
