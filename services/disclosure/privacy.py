"""Differential privacy for released counts: contribution bounding, calibrated noise, a budget.

Noise comes from OpenDP (``opendp``): the discrete Laplace (geometric) mechanism on a vector of
integer counts, with its scale calibrated by OpenDP so that the release is ``epsilon``-DP when
one person changes the vector by at most ``bound`` in L1 distance. Contribution bounding makes
that true: each person keeps at most ``bound`` (unit, cell) entries, chosen deterministically.

The ledger (``agg_privacy_ledger``, in the aggregate database) charges every release's epsilon
against ``Settings.privacy_budget`` and refuses one that would overspend it. A release asked for
again over the same data returns the stored noisy table and spends nothing: noise drawn twice
could be averaged away.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
)

from services.platform.errors import KeepsItsParts

metadata = MetaData()
ledger = Table(
    "agg_privacy_ledger",
    metadata,
    Column("release_ps", String(32), primary_key=True),
    Column("indicator", String(60), nullable=False),
    Column("dimensions", String(200), nullable=False),
    Column("epsilon", Float, nullable=False),
    Column("published", Text, nullable=False),  # the noisy table as released (already public)
)


class BudgetExhausted(KeepsItsParts, Exception):
    """The privacy budget does not cover the release asked for."""

    code = "privacy_budget_exhausted"

    def __init__(self, asked: float, spent: float, budget: float) -> None:
        super().__init__(
            f"release needs epsilon {asked:g} but {spent:g} of the budget {budget:g} is spent"
        )
        self.asked, self.spent, self.budget = asked, spent, budget


def bound_contributions(entries: Sequence[tuple[str, int]], bound: int) -> list[tuple[str, int]]:
    """Keep at most ``bound`` entries (person, cell index) per person, the lowest cells first."""
    kept: dict[str, int] = {}
    result = []
    for person, cell in sorted(entries):
        if kept.get(person, 0) < bound:
            kept[person] = kept.get(person, 0) + 1
            result.append((person, cell))
    return result


def noisy_counts(counts: Sequence[int], epsilon: float, bound: int) -> list[int]:
    """``counts`` with discrete Laplace noise, ``epsilon``-DP for L1 sensitivity ``bound``,
    clipped at zero (post-processing)."""
    noisy = mechanism(epsilon, bound)(list(counts))
    return [max(0, int(v)) for v in noisy]


def mechanism(epsilon: float, bound: int) -> Any:
    """OpenDP's discrete Laplace on integer count vectors, the smallest scale that is
    ``epsilon``-DP when one person moves the vector by ``bound`` (L1)."""
    import opendp.prelude as dp

    # The vector Laplace measurement is in OpenDP's "contrib" set (not yet formally vetted).
    dp.enable_features("contrib")
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    return dp.binary_search_chain(
        lambda scale: space >> dp.m.then_laplace(scale=scale), d_in=bound, d_out=epsilon
    )


def spent(conn: Connection) -> float:
    return float(conn.execute(select(func.coalesce(func.sum(ledger.c.epsilon), 0.0))).scalar_one())


def stored(conn: Connection, release_ps: str) -> dict[str, Any] | None:
    metadata.create_all(conn)
    text = conn.execute(
        select(ledger.c.published).where(ledger.c.release_ps == release_ps)
    ).scalar_one_or_none()
    return None if text is None else dict(json.loads(text))


def charge(
    conn: Connection,
    release_ps: str,
    indicator: str,
    dimensions: Sequence[str],
    epsilon: float,
    budget: float,
    published: dict[str, Any],
) -> None:
    """Record a release's spend, or refuse it when the budget does not cover it."""
    metadata.create_all(conn)
    used = spent(conn)
    if used + epsilon > budget + 1e-12:
        raise BudgetExhausted(epsilon, used, budget)
    conn.execute(
        insert(ledger).values(
            release_ps=release_ps,
            indicator=indicator,
            dimensions=",".join(dimensions),
            epsilon=epsilon,
            published=json.dumps(published),
        )
    )
