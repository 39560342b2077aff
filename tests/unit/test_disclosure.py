"""Disclosure control: no published count below the threshold, no withheld count recomputable.

The protection is proven independently of the algorithm: for every withheld count of a random
table, linear programming over the published cells and totals gives its feasible interval, and
that interval must hold more than one value.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.disclosure.suppression import Grid, primary, suppress, unprotected
from tests.support.feasible import feasible_interval, integer_values

# Small counts dominate, as in a municipality's month: many zeros and cells below the threshold.
counts = st.one_of(st.integers(0, 6), st.integers(0, 40))


@st.composite
def tables(draw: st.DrawFn) -> list[list[int]]:
    rows = draw(st.integers(1, 5))
    cols = draw(st.integers(1, 6))
    return [[draw(counts) for _ in range(cols)] for _ in range(rows)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.integers(2, 6))
def test_no_small_count_is_published_and_no_withheld_one_is_determined(
    cells: list[list[int]], threshold: int
) -> None:
    grid = Grid.of(cells)
    withheld = suppress(grid, threshold)
    for position, value in grid.values.items():
        if position not in withheld:
            assert value == 0 or value >= threshold, (position, value)
    for position in withheld:
        interval = feasible_interval(grid, withheld, position)
        assert integer_values(interval) > 1, (position, grid.values[position], interval)


@settings(max_examples=50, deadline=None)
@given(tables(), st.integers(2, 6))
def test_the_same_table_gives_the_same_suppression(cells: list[list[int]], threshold: int) -> None:
    assert suppress(Grid.of(cells), threshold) == suppress(Grid.of(cells), threshold)


def test_a_lonely_small_cell_is_hidden_with_a_complement_in_its_row_and_column() -> None:
    grid = Grid.of([[3, 9, 10], [8, 6, 12], [20, 7, 9]])
    withheld = suppress(grid, 5)
    assert (0, 0) in withheld
    assert primary(grid, 5) == {(0, 0)}
    assert len(withheld) >= 4  # the smallest pattern that hides one cell is a rectangle
    assert unprotected(grid, withheld) == []


def test_primary_suppression_alone_would_give_the_cell_back() -> None:
    grid = Grid.of([[3, 9], [8, 6]])
    assert unprotected(grid, primary(grid, 5)) == [(0, 0)]


def test_zero_is_published() -> None:
    grid = Grid.of([[0, 12], [15, 20]])
    assert suppress(grid, 5) == frozenset()
