"""What has been released, kept in the aggregate's database apart from the projection's tables (a
replay of the aggregate rebuilds those, never these).

- **Frozen counts.** The first release that reaches a closed base period (a month) freezes every
  finest count of the indicator in it; every later release reads the frozen counts, so an event
  that arrives late for a released period changes no published number.
- **Decisions.** Whether each cell of the cube is published or withheld, per threshold, decided
  once and kept: a published cell stays published, with its value.
- **The ledger.** Every release: who, when, through which door, the indicator, its grouping,
  threshold and epsilon, the months it was limited to, and a digest of the published table.
  Auditors list it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)

from services.disclosure.cube import Cell, Var
from services.platform.sql import UtcDateTime, add_missing_columns

metadata = MetaData()

frozen_periods = Table(
    "agg_release_periods",
    metadata,
    Column("indicator", String(60), primary_key=True),
    Column("base", String(7), primary_key=True),
)
frozen_counts = Table(
    "agg_release_counts",
    metadata,
    Column("indicator", String(60), primary_key=True),
    Column("part", String(12), primary_key=True),
    Column("branch", String(40), primary_key=True),
    Column("area", String(120), primary_key=True),
    Column("base", String(7), primary_key=True),
    Column("category", String(60), primary_key=True),
    Column("units", Integer, nullable=False),
)
decisions = Table(
    "agg_release_decisions",
    metadata,
    Column("indicator", String(60), primary_key=True),
    Column("threshold", Integer, primary_key=True, autoincrement=False),
    Column("part", String(12), primary_key=True),
    Column("branch", String(40), primary_key=True),
    Column("area", String(120), primary_key=True),
    Column("period", String(20), primary_key=True),
    Column("category", String(60), primary_key=True),
    Column("published", Boolean, nullable=False),
    Column("value", Integer, nullable=False),
)
ledger = Table(
    "agg_release_ledger",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("released_at", UtcDateTime, nullable=False),
    Column("released_by", String(200), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("indicator", String(60), nullable=False),
    Column("grouping", Text, nullable=False),
    Column("threshold", Integer, nullable=False),
    Column("epsilon", Float, nullable=True),
    Column("digest", String(64), nullable=False),
    # The months a release was limited to (--from/--to); added in place to an older ledger.
    Column("period_from", String(7), nullable=True),
    Column("period_to", String(7), nullable=True),
)


def create(conn: Connection) -> None:
    metadata.create_all(conn)
    add_missing_columns(conn, ledger)


def frozen(conn: Connection, indicator: str) -> tuple[set[str], dict[Var, int]]:
    """The base periods frozen for ``indicator``, and their counts."""
    bases = set(
        conn.execute(
            select(frozen_periods.c.base).where(frozen_periods.c.indicator == indicator)
        ).scalars()
    )
    rows = conn.execute(select(frozen_counts).where(frozen_counts.c.indicator == indicator))
    counts = {Var(r.part, r.branch, r.area, r.base, r.category): r.units for r in rows}
    return bases, counts


def freeze(
    conn: Connection, indicator: str, bases: Iterable[str], counts: Mapping[Var, int]
) -> None:
    """Keep ``counts`` of the base periods ``bases`` as they are now."""
    bases = sorted(bases)
    if not bases:
        return
    conn.execute(insert(frozen_periods), [{"indicator": indicator, "base": b} for b in bases])
    # Zeros are kept too: a cell some unit fell in, counted by none, still shapes the tables.
    rows = [var._asdict() | {"indicator": indicator, "units": n} for var, n in counts.items()
            if var.base in bases]  # fmt: skip
    if rows:
        conn.execute(insert(frozen_counts), rows)


def decided(conn: Connection, indicator: str, threshold: int) -> dict[Cell, tuple[bool, int]]:
    rows = conn.execute(
        select(decisions)
        .where(decisions.c.indicator == indicator)
        .where(decisions.c.threshold == threshold)
    )
    return {
        Cell(r.part, r.branch, r.area, r.period, r.category): (r.published, r.value) for r in rows
    }


def decide(
    conn: Connection, indicator: str, threshold: int, cells: Mapping[Cell, tuple[bool, int]]
) -> None:
    rows = [
        cell._asdict()
        | {"indicator": indicator, "threshold": threshold, "published": p, "value": v}
        for cell, (p, v) in cells.items()
    ]
    if rows:
        conn.execute(insert(decisions), rows)


def record(conn: Connection, entry: Mapping[str, Any]) -> None:
    """A release in the ledger (``grouping`` a list of dimensions)."""
    conn.execute(
        insert(ledger).values(**{**entry, "grouping": json.dumps(list(entry["grouping"]))})
    )


def releases(conn: Connection, since: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every release recorded, oldest first."""
    query = select(ledger).order_by(ledger.c.seq)
    if since is not None:
        query = query.where(ledger.c.released_at >= since)
    return [
        dict(row._mapping) | {"grouping": json.loads(row.grouping)} for row in conn.execute(query)
    ]
