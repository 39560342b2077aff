"""The embedded registry's SQL tables.

A schema's text, once stored, is never deleted: ``case-events`` is kept forever and its records
carry schema ids, so even a permanently deleted version leaves its schema readable by id.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, func

metadata = MetaData()

schemas_table = Table(
    "registry_schemas",
    metadata,
    Column("schema_id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("schema", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
)

versions_table = Table(
    "registry_versions",
    metadata,
    Column("subject", String(255), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("schema_id", Integer, nullable=False),
)

# A soft-deleted version keeps its row above and gets one here (a table of its own, so a registry
# created before soft deletes needs no new column).
deleted_versions_table = Table(
    "registry_deleted_versions",
    metadata,
    Column("subject", String(255), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
)

GLOBAL = ""
"""The ``scope`` of the registry-wide rules (no subject is named by an empty string)."""

rules_table = Table(
    "registry_rules",
    metadata,
    Column("scope", String(255), primary_key=True),
    Column("compatibility", String(32), nullable=True),
    Column("mode", String(32), nullable=True),
)
