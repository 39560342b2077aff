"""The embedded schema registry: SQL tables (SQLite by default, PostgreSQL in production).

Ids are global, registering a schema already present returns its id, and every new version must
be compatible with the earlier ones under the registry's rule (BACKWARD_TRANSITIVE by default).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from schemas.catalogue import schema_fingerprint
from schemas.registry.compatibility import Compatibility, CompatibilityResult, check
from schemas.registry.port import (
    IncompatibleSchema,
    RegisteredSchema,
    SchemaNotFound,
    schema_text,
)
from services.platform.sql import IMMEDIATE, sql_engine

DEFAULT_COMPATIBILITY = Compatibility.BACKWARD_TRANSITIVE


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


class EmbeddedRegistry:
    """A registry kept in SQL tables (SQLite by default, PostgreSQL in production)."""

    def __init__(
        self, engine: Engine, compatibility: Compatibility = DEFAULT_COMPATIBILITY
    ) -> None:
        self.engine = engine
        self.compatibility = compatibility
        self._by_id: dict[int, str] = {}
        self._lock = threading.Lock()
        metadata.create_all(engine)

    @classmethod
    def from_url(cls, url: str) -> EmbeddedRegistry:
        return cls(sql_engine(url))

    def register(self, subject: str, schema: Any) -> int:
        text = schema_text(schema)
        fingerprint = schema_fingerprint(json.loads(text))
        with self.engine.connect().execution_options(**{IMMEDIATE: True}) as conn, conn.begin():
            existing = conn.execute(
                select(versions_table.c.schema_id)
                .join(schemas_table, schemas_table.c.schema_id == versions_table.c.schema_id)
                .where(versions_table.c.subject == subject)
                .where(schemas_table.c.fingerprint == fingerprint)
            ).scalar_one_or_none()
            if existing is not None:
                return int(existing)
            earlier = [
                row.schema
                for row in conn.execute(
                    select(schemas_table.c.schema)
                    .join(versions_table, schemas_table.c.schema_id == versions_table.c.schema_id)
                    .where(versions_table.c.subject == subject)
                    .order_by(versions_table.c.version)
                )
            ]
            result = check(text, earlier, self.compatibility)
            if not result.compatible:
                raise IncompatibleSchema(subject, result.messages)
            schema_id = self._schema_id(conn, fingerprint, text)
            conn.execute(
                insert(versions_table).values(
                    subject=subject, version=len(earlier) + 1, schema_id=schema_id
                )
            )
        return schema_id

    def _schema_id(self, conn: Any, fingerprint: str, text: str) -> int:
        """The global id of a schema, shared by every subject that registers the same text."""
        found = conn.execute(
            select(schemas_table.c.schema_id).where(schemas_table.c.fingerprint == fingerprint)
        ).scalar_one_or_none()
        if found is not None:
            return int(found)
        try:
            with conn.begin_nested():
                return int(
                    conn.execute(
                        insert(schemas_table)
                        .values(fingerprint=fingerprint, schema=text)
                        .returning(schemas_table.c.schema_id)
                    ).scalar_one()
                )
        except IntegrityError:  # registered concurrently under another subject
            return int(
                conn.execute(
                    select(schemas_table.c.schema_id).where(
                        schemas_table.c.fingerprint == fingerprint
                    )
                ).scalar_one()
            )

    def schema_by_id(self, schema_id: int) -> str:
        cached = self._by_id.get(schema_id)
        if cached is not None:
            return cached
        with self.engine.connect() as conn:
            text = conn.execute(
                select(schemas_table.c.schema).where(schemas_table.c.schema_id == schema_id)
            ).scalar_one_or_none()
        if text is None:
            raise SchemaNotFound(f"no schema with id {schema_id}")
        with self._lock:
            self._by_id[schema_id] = text
        return str(text)

    def subjects(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(versions_table.c.subject).distinct().order_by(versions_table.c.subject)
                ).scalars()
            )

    def versions(self, subject: str) -> list[int]:
        with self.engine.connect() as conn:
            found = list(
                conn.execute(
                    select(versions_table.c.version)
                    .where(versions_table.c.subject == subject)
                    .order_by(versions_table.c.version)
                ).scalars()
            )
        if not found:
            raise SchemaNotFound(f"no subject {subject!r}")
        return found

    def version(self, subject: str, version: int | str = "latest") -> RegisteredSchema:
        query = (
            select(versions_table.c.version, schemas_table.c.schema_id, schemas_table.c.schema)
            .join(schemas_table, schemas_table.c.schema_id == versions_table.c.schema_id)
            .where(versions_table.c.subject == subject)
        )
        if version in {"latest", -1}:
            query = query.order_by(versions_table.c.version.desc()).limit(1)
        else:
            query = query.where(versions_table.c.version == int(version))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise SchemaNotFound(f"no version {version} of subject {subject!r}")
        return RegisteredSchema(subject, row.version, row.schema_id, row.schema)

    def check_compatibility(self, subject: str, schema: Any) -> CompatibilityResult:
        try:
            earlier = [self.version(subject, v).schema for v in self.versions(subject)]
        except SchemaNotFound:
            earlier = []
        return check(schema_text(schema), earlier, self.compatibility)
