"""Projection versions: what a projection's stored rows were built by.

A projection's version is a digest of its table definitions (as SQLite's DDL spells them, indexes
included) and of a code version constant its module raises when the rows it writes change
without any table changing (``EventProjection.code_version``). It is stored beside the
projection's offsets, in its own database. A runner that finds another version stored than its
code's rebuilds the projection beside the old one, which keeps serving, and switches to it once it
has caught up (``consumers.blue_green``): no hand-made migration of projection tables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import Column, Connection, MetaData, String, Table, delete, insert, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

metadata = MetaData()  # created in each projection's database beside its offsets

versions_table = Table(
    "projection_versions",
    metadata,
    Column("projection", String(100), primary_key=True),
    Column("version", String(64), nullable=False),
)


def version_of(tables: Sequence[Table], code_version: int) -> str:
    """The digest of ``tables`` (names, columns, keys, indexes) and ``code_version``."""
    digest = hashlib.sha256(f"code {code_version}\n".encode())
    dialect = sqlite.dialect()  # one spelling on every engine: the version is the definition's
    for table in sorted(tables, key=lambda t: t.name):
        digest.update(str(CreateTable(table).compile(dialect=dialect)).encode())
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            digest.update(str(CreateIndex(index).compile(dialect=dialect)).encode())
    return digest.hexdigest()


def stored_version(conn: Connection, projection: str) -> str | None:
    """The version the stored rows were built by; None for a store from before versions."""
    return conn.execute(
        select(versions_table.c.version).where(versions_table.c.projection == projection)
    ).scalar_one_or_none()


def record_version(conn: Connection, projection: str, version: str) -> None:
    conn.execute(delete(versions_table).where(versions_table.c.projection == projection))
    conn.execute(insert(versions_table).values(projection=projection, version=version))
