"""The embedded schema registry: SQL tables (SQLite by default, PostgreSQL in production).

Ids are global, registering a schema already present returns its id, and every new version must
be compatible with the live (not soft-deleted) earlier ones under the subject's rule
(``DEFAULT_COMPATIBILITY``, FULL_TRANSITIVE, unless an operator set another). Deleting follows
Confluent's two steps: soft first, then permanent.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, insert, select
from sqlalchemy.exc import IntegrityError

from schemas.catalogue import schema_fingerprint
from schemas.registry.compatibility import (
    DEFAULT_COMPATIBILITY,
    Compatibility,
    CompatibilityResult,
    check,
)
from schemas.registry.port import (
    DeletionRefused,
    IncompatibleSchema,
    Mode,
    ReadOnly,
    RegisteredSchema,
    SchemaNotFound,
    SubjectNotFound,
    SubjectVersion,
    VersionNotFound,
    schema_text,
)
from schemas.registry.rules import RegistryRules
from schemas.registry.tables import (
    deleted_versions_table,
    schemas_table,
    versions_table,
)
from services.platform.migrations import upgrade as migrate
from services.platform.sql import IMMEDIATE, sql_engine

__all__ = ["DEFAULT_COMPATIBILITY", "EmbeddedRegistry"]


@dataclass(frozen=True)
class _Version:
    """One row of a subject's history, as the registry's rules need it."""

    version: int
    schema_id: int
    schema: str
    fingerprint: str
    deleted: bool


def _history(conn: Connection, subject: str) -> list[_Version]:
    """Every version of ``subject``, soft-deleted ones included, oldest first."""
    deleted = deleted_versions_table
    rows = conn.execute(
        select(
            versions_table.c.version,
            schemas_table.c.schema_id,
            schemas_table.c.schema,
            schemas_table.c.fingerprint,
            deleted.c.version.is_not(None).label("deleted"),
        )
        .join(schemas_table, schemas_table.c.schema_id == versions_table.c.schema_id)
        .outerjoin(
            deleted,
            and_(
                deleted.c.subject == versions_table.c.subject,
                deleted.c.version == versions_table.c.version,
            ),
        )
        .where(versions_table.c.subject == subject)
        .order_by(versions_table.c.version)
    )
    return [
        _Version(r.version, r.schema_id, r.schema, r.fingerprint, bool(r.deleted)) for r in rows
    ]


def _visible(history: list[_Version], deleted: bool) -> list[_Version]:
    return history if deleted else [v for v in history if not v.deleted]


def _pick(subject: str, history: list[_Version], version: int | str, deleted: bool) -> _Version:
    """The version ``version`` (``"latest"`` or -1 for the newest) of a subject's history."""
    visible = _visible(history, deleted)
    if not visible:
        raise SubjectNotFound(f"subject {subject!r} not found")
    if version in {"latest", -1, "-1"}:
        return visible[-1]
    wanted = int(version)
    for row in visible:
        if row.version == wanted:
            return row
    raise VersionNotFound(f"version {wanted} of subject {subject!r} not found")


class EmbeddedRegistry:
    """A registry kept in SQL tables (SQLite by default, PostgreSQL in production)."""

    def __init__(
        self, engine: Engine, compatibility: Compatibility = DEFAULT_COMPATIBILITY
    ) -> None:
        self.engine = engine
        self.rules = RegistryRules(engine, compatibility)
        self._by_id: dict[int, str] = {}
        self._lock = threading.Lock()
        migrate(engine, "registry")

    @classmethod
    def from_url(cls, url: str) -> EmbeddedRegistry:
        return cls(sql_engine(url))

    def _writer(self) -> Connection:
        return self.engine.connect().execution_options(**{IMMEDIATE: True})

    # -- registering ----------------------------------------------------------------------

    def register(self, subject: str, schema: Any) -> int:
        text = schema_text(schema)
        fingerprint = schema_fingerprint(json.loads(text))
        with self._writer() as conn, conn.begin():
            history = _history(conn, subject)
            live = _visible(history, deleted=False)
            for row in live:
                if row.fingerprint == fingerprint:
                    return row.schema_id  # already there: nothing changes, even when read-only
            if self.rules.mode_in_scope(conn, subject) is Mode.READONLY:
                raise ReadOnly(f"subject {subject!r} is in read-only mode")
            level = self.rules.level_in_scope(conn, subject)
            result = check(text, [(row.version, row.schema) for row in live], level)
            if not result.compatible:
                raise IncompatibleSchema(subject, result.messages)
            schema_id = self._schema_id(conn, fingerprint, text)
            next_version = history[-1].version + 1 if history else 1
            conn.execute(
                insert(versions_table).values(
                    subject=subject, version=next_version, schema_id=schema_id
                )
            )
        return schema_id

    def _schema_id(self, conn: Connection, fingerprint: str, text: str) -> int:
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

    # -- reading --------------------------------------------------------------------------

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

    def subjects(self, *, deleted: bool = False) -> list[str]:
        query = select(versions_table.c.subject).distinct().order_by(versions_table.c.subject)
        if not deleted:
            query = query.where(
                versions_table.c.version.not_in(
                    select(deleted_versions_table.c.version).where(
                        deleted_versions_table.c.subject == versions_table.c.subject
                    )
                )
            )
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def versions(self, subject: str, *, deleted: bool = False) -> list[int]:
        with self.engine.connect() as conn:
            found = [row.version for row in _visible(_history(conn, subject), deleted)]
        if not found:
            raise SubjectNotFound(f"subject {subject!r} not found")
        return found

    def version(
        self, subject: str, version: int | str = "latest", *, deleted: bool = False
    ) -> RegisteredSchema:
        with self.engine.connect() as conn:
            row = _pick(subject, _history(conn, subject), version, deleted)
        return RegisteredSchema(subject, row.version, row.schema_id, row.schema)

    def lookup(self, subject: str, schema: Any, *, deleted: bool = False) -> RegisteredSchema:
        fingerprint = schema_fingerprint(json.loads(schema_text(schema)))
        with self.engine.connect() as conn:
            visible = _visible(_history(conn, subject), deleted)
        if not visible:
            raise SubjectNotFound(f"subject {subject!r} not found")
        for row in reversed(visible):
            if row.fingerprint == fingerprint:
                return RegisteredSchema(subject, row.version, row.schema_id, row.schema)
        raise SchemaNotFound(f"that schema is not registered under subject {subject!r}")

    def subjects_of(self, schema_id: int, *, deleted: bool = False) -> list[str]:
        return sorted({found.subject for found in self.versions_of(schema_id, deleted=deleted)})

    def versions_of(self, schema_id: int, *, deleted: bool = False) -> list[SubjectVersion]:
        self.schema_by_id(schema_id)  # SchemaNotFound for an id never issued
        query = (
            select(versions_table.c.subject, versions_table.c.version)
            .where(versions_table.c.schema_id == schema_id)
            .order_by(versions_table.c.subject, versions_table.c.version)
        )
        with self.engine.connect() as conn:
            rows = list(conn.execute(query))
            gone: set[tuple[str, int]] = set()
            if not deleted:
                hidden = conn.execute(select(deleted_versions_table))
                gone = {(row.subject, row.version) for row in hidden}
        return [SubjectVersion(s, v) for s, v in rows if (s, v) not in gone]

    # -- compatibility --------------------------------------------------------------------

    def check_compatibility(self, subject: str, schema: Any) -> CompatibilityResult:
        with self.engine.connect() as conn:
            live = _visible(_history(conn, subject), deleted=False)
            level = self.rules.level_in_scope(conn, subject)
        return check(schema_text(schema), [(row.version, row.schema) for row in live], level)

    def check_against(
        self, subject: str, schema: Any, version: int | str = "latest"
    ) -> CompatibilityResult:
        with self.engine.connect() as conn:
            row = _pick(subject, _history(conn, subject), version, deleted=False)
            level = self.rules.level_in_scope(conn, subject)
        return check(schema_text(schema), [(row.version, row.schema)], level)

    # -- deleting (soft, then permanent) --------------------------------------------------

    def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        with self._writer() as conn, conn.begin():
            self._writable(conn, subject)
            history = _history(conn, subject)
            if not history:
                raise SubjectNotFound(f"subject {subject!r} not found")
            live = [row.version for row in history if not row.deleted]
            if not permanent:
                if not live:
                    raise DeletionRefused(
                        "subject", True, f"subject {subject!r} was soft-deleted already; "
                        "set permanent=true to delete it permanently"
                    )  # fmt: skip
                conn.execute(
                    insert(deleted_versions_table),
                    [{"subject": subject, "version": v} for v in live],
                )
                self.rules.forget(conn, subject)
                return live
            if live:
                raise DeletionRefused(
                    "subject", False, f"subject {subject!r} must be soft-deleted first"
                )
            self._erase(conn, subject, None)
            self.rules.forget(conn, subject)
            return [row.version for row in history]

    def delete_version(self, subject: str, version: int | str, *, permanent: bool = False) -> int:
        with self._writer() as conn, conn.begin():
            self._writable(conn, subject)
            history = _history(conn, subject)
            # "latest" is the newest live version for a soft delete; a number may name a version
            # soft-deleted already (to be deleted permanently, or refused as deleted twice).
            named = version not in {"latest", -1, "-1"}
            row = _pick(subject, history, version, deleted=permanent or named)
            if not permanent:
                if row.deleted:
                    raise DeletionRefused(
                        "version", True, f"version {row.version} of {subject!r} was "
                        "soft-deleted already; set permanent=true to delete it permanently"
                    )  # fmt: skip
                conn.execute(
                    insert(deleted_versions_table).values(subject=subject, version=row.version)
                )
                return row.version
            if not row.deleted:
                raise DeletionRefused(
                    "version", False, f"version {row.version} of {subject!r} must be "
                    "soft-deleted first"
                )  # fmt: skip
            self._erase(conn, subject, row.version)
            return row.version

    def _writable(self, conn: Connection, subject: str) -> None:
        if self.rules.mode_in_scope(conn, subject) is Mode.READONLY:
            raise ReadOnly(f"subject {subject!r} is in read-only mode")

    def _erase(self, conn: Connection, subject: str, version: int | None) -> None:
        """Remove versions from the subject; their schema stays readable by id (tables.py)."""
        for table in (versions_table, deleted_versions_table):
            statement = delete(table).where(table.c.subject == subject)
            if version is not None:
                statement = statement.where(table.c.version == version)
            conn.execute(statement)

    # -- rules ----------------------------------------------------------------------------

    def compatibility(
        self, subject: str | None = None, *, default_to_global: bool = False
    ) -> Compatibility:
        return self.rules.compatibility(subject, default_to_global)

    def set_compatibility(self, level: Compatibility, subject: str | None = None) -> Compatibility:
        return self.rules.set_compatibility(level, subject)

    def delete_compatibility(self, subject: str | None = None) -> Compatibility:
        return self.rules.delete_compatibility(subject)

    def mode(self, subject: str | None = None, *, default_to_global: bool = False) -> Mode:
        return self.rules.mode(subject, default_to_global)

    def set_mode(self, mode: Mode, subject: str | None = None) -> Mode:
        return self.rules.set_mode(mode, subject)

    def delete_mode(self, subject: str | None = None) -> Mode:
        return self.rules.delete_mode(subject)
