"""SQL engines for every part that stores rows: the SQL log, the embedded registry, the views.

SQLite is the embedded default and PostgreSQL the production engine; both go through SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeDecorator

from services.logredact import redact_library_logs

IMMEDIATE = "immediate"
"""Execution option: begin the SQLite transaction as a writer right away."""


def normalise_url(url: str) -> str:
    """Pick the driver we ship (psycopg 3) for a bare ``postgresql://`` URL."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def sql_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite files get WAL and writers that queue instead of failing."""
    url = normalise_url(url)
    parsed = make_url(url)
    # Parameters are event bytes, sealed fields, vault keys: never in a log or an error message.
    kwargs.setdefault("hide_parameters", True)
    redact_library_logs()
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so that BEGIN IMMEDIATE is possible.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writer that began deferred can fail with SQLITE_BUSY when it upgrades its lock (the
        # busy handler does not apply then); beginning IMMEDIATE makes writers queue instead.
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class UtcDateTime(TypeDecorator[dt.datetime]):
    """An aware UTC datetime on every engine (SQLite keeps no zone; PostgreSQL converts)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times are stored in UTC and must say so")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
