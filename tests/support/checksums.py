"""Checksums of SQL tables, to compare the outcome of two runs row for row."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import Engine, Table, select


def table_checksum(engine: Engine, table: Table, *, where: object = None) -> str:
    query = select(table)
    if where is not None:
        query = query.where(where)  # type: ignore[arg-type]
    with engine.connect() as conn:
        rows = sorted(repr(tuple(row)) for row in conn.execute(query))
    digest = hashlib.sha256()
    for row in rows:
        digest.update(row.encode())
        digest.update(b"\n")
    return f"{len(rows)}:{digest.hexdigest()[:16]}"


def checksums(engine: Engine, tables: Iterable[Table]) -> dict[str, str]:
    return {table.name: table_checksum(engine, table) for table in tables}
