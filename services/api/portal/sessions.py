"""Signed-in sessions of the portal: a random id in an HttpOnly cookie, the rest on the server.

Only the id's SHA-256 is stored (a copy of the database signs nobody in), so signing out and
disabling an account end a session at once. A session ends after half an hour without a request
or eight hours after sign-in, whichever comes first: a shared office computer left signed in
does not stay open for the next person. Each session holds its own CSRF token, which every form
of the signed-in pages sends back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    MetaData,
    Row,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)

from services.platform.sql import UtcDateTime, create_schema

IDLE = dt.timedelta(minutes=30)
LONGEST = dt.timedelta(hours=8)
SEEN_EVERY = dt.timedelta(seconds=30)  # a write per page would queue behind the projections

metadata = MetaData()
sessions_table = Table(
    "portal_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("seen_at", UtcDateTime, nullable=False),
)


@dataclass(frozen=True, slots=True)
class Session:
    username: str
    csrf: str


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def same_secret(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())


class SessionStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_schema(engine, metadata)

    def start(self, username: str, *, now: dt.datetime) -> str:
        """A new session's id (for the cookie); only its hash is kept."""
        session_id = secrets.token_urlsafe(32)
        with self.engine.begin() as tx:
            # Sessions nobody came back to are forgotten here, not left to pile up.
            tx.execute(
                delete(sessions_table).where(
                    (sessions_table.c.seen_at < now - IDLE)
                    | (sessions_table.c.started_at < now - LONGEST)
                )
            )
            tx.execute(
                insert(sessions_table).values(
                    session_hash=_hash(session_id),
                    username=username,
                    csrf=secrets.token_urlsafe(32),
                    started_at=now,
                    seen_at=now,
                )
            )
        return session_id

    def find(self, session_id: str, *, now: dt.datetime) -> Session | None:
        """The live session of this id (and it counts as seen now); None if unknown or expired."""
        key = _hash(session_id)
        # Read first, then write by one statement each: the views' database is busy with the
        # projections, and a transaction that read cannot become a writer on SQLite.
        row = self._live_row(session_id, now)
        if row is None:
            return None
        if now - row.seen_at > SEEN_EVERY:
            with self.engine.begin() as tx:
                tx.execute(
                    update(sessions_table)
                    .where(sessions_table.c.session_hash == key)
                    .values(seen_at=now)
                )
        return Session(row.username, row.csrf)

    def peek(self, session_id: str, *, now: dt.datetime) -> Session | None:
        """As ``find``, but not counting as seen: a stream a page holds open is no person's
        request, and must not keep an idle session alive."""
        row = self._live_row(session_id, now)
        return Session(row.username, row.csrf) if row is not None else None

    def _live_row(self, session_id: str, now: dt.datetime) -> Row[Any] | None:
        """The session's row while it lives; an expired one is ended here."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(sessions_table).where(sessions_table.c.session_hash == _hash(session_id))
            ).first()
        if row is None:
            return None
        if now - row.seen_at > IDLE or now - row.started_at > LONGEST:
            self.end(session_id)
            return None
        return row

    def end(self, session_id: str) -> None:
        with self.engine.begin() as tx:
            tx.execute(
                delete(sessions_table).where(sessions_table.c.session_hash == _hash(session_id))
            )

    def end_all(self, username: str) -> None:
        with self.engine.begin() as tx:
            tx.execute(delete(sessions_table).where(sessions_table.c.username == username))
