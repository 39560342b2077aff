"""API tokens: issued per institution and role, shown once, stored only as a SHA-256 hash.

A token is 32 random bytes (URL-safe text with a ``pvz_`` prefix so a leaked one is easy to spot
in logs and scanners). Its hash is the only thing kept, so a copy of the database grants nothing;
a high-entropy secret needs no slow password hash. Revoking keeps the row, so the access log can
still say which token read what.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Column, Engine, MetaData, String, Table, insert, select, update

from services.platform.migrations import upgrade as migrate
from services.platform.sql import UtcDateTime, write_transaction

PREFIX = "pvz_"

metadata = MetaData()
tokens_table = Table(
    "api_tokens",
    metadata,
    Column("token_id", String(36), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("institution", String(120), nullable=False),
    Column("role", String(20), nullable=False),
    Column("label", String(200), nullable=True),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)


class Role(StrEnum):
    """Who holds a token: an institution's system, or a person in an oversight role."""

    INSTITUTION = "institution"  # publishes events and reads the cases it takes part in
    COORDINATOR = "coordinator"  # reads only the disclosure-controlled regional aggregate
    AUDITOR = "auditor"  # reads only the audit endpoints
    ADMIN = "admin"  # runs the platform: registers schemas


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of a request."""

    token_id: str
    institution: str
    role: Role


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token_id: str
    secret: str  # shown once, never stored
    institution: str
    role: Role


@dataclass(frozen=True, slots=True)
class TokenInfo:
    token_id: str
    institution: str
    role: Role
    label: str | None
    issued_at: dt.datetime
    revoked_at: dt.datetime | None


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenStore:
    """Tokens in the platform's SQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        migrate(engine, "api")  # api_tokens and ingest's api_submissions

    def issue(
        self, institution: str, role: Role, *, now: dt.datetime, label: str | None = None
    ) -> IssuedToken:
        secret = PREFIX + secrets.token_urlsafe(32)
        token_id = str(uuid.uuid4())
        with self.engine.begin() as tx:
            tx.execute(
                insert(tokens_table).values(
                    token_id=token_id,
                    token_hash=token_hash(secret),
                    institution=institution,
                    role=role.value,
                    label=label,
                    issued_at=now,
                )
            )
        return IssuedToken(token_id, secret, institution, role)

    def revoke(self, token_id: str, *, now: dt.datetime) -> bool:
        """Revoke a token by its id (or a unique prefix of it); False if there is none."""
        with write_transaction(self.engine) as tx:  # read, then write: a writer from the start
            found = tx.execute(
                select(tokens_table.c.token_id).where(tokens_table.c.token_id.startswith(token_id))
            ).all()
            if len(found) != 1:
                return False
            tx.execute(
                update(tokens_table)
                .where(tokens_table.c.token_id == found[0].token_id)
                .where(tokens_table.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        return True

    def list(self) -> list[TokenInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(tokens_table).order_by(tokens_table.c.issued_at, tokens_table.c.token_id)
            ).all()
        return [
            TokenInfo(r.token_id, r.institution, Role(r.role), r.label, r.issued_at, r.revoked_at)
            for r in rows
        ]

    def authenticate(self, secret: str) -> Principal | TokenInfo | None:
        """The principal a token stands for; its info if revoked; None if unknown."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(tokens_table).where(tokens_table.c.token_hash == token_hash(secret))
            ).first()
        if row is None:
            return None
        if row.revoked_at is not None:
            return TokenInfo(
                row.token_id, row.institution, Role(row.role), row.label, row.issued_at,
                row.revoked_at,
            )  # fmt: skip
        return Principal(row.token_id, row.institution, Role(row.role))
