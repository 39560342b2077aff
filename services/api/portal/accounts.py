"""Staff accounts of the portal: one person, one institution, one staff role; the password kept
only as an Argon2 hash.

Unlike an API token (a high-entropy secret, so a SHA-256 hash is enough), a password is chosen by
a person and guessable: Argon2id makes each guess against a stolen copy cost memory and time.
Failed sign-ins are rows too, so a lock-out holds across workers and restarts. Disabling keeps
the row: the access log and the events still name the account that acted.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from services.platform.sql import UtcDateTime, create_schema

metadata = MetaData()
staff_table = Table(
    "portal_staff",
    metadata,
    Column("username", String(64), primary_key=True),
    # What the access log's token-id header carries for this person's reads: an opaque id, as
    # for an API token, so no staff name reaches the bus; this table turns it back into a name.
    Column("account_id", String(36), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("institution", String(120), nullable=False),
    Column("role", String(40), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("disabled_at", UtcDateTime, nullable=True),
)
failures_table = Table(
    "portal_failed_sign_ins",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, index=True),
    Column("at", UtcDateTime, nullable=False),
)
# Who answered what: the events name only a staff role (never a person), and the ActorRole
# contract leaves who exactly acted to the institution's own system, which here is the portal.
actions_table = Table(
    "portal_actions",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False, index=True),
    Column("event_type", String(60), nullable=False),
    Column("referral_id", String(36), nullable=True),
    Column("at", UtcDateTime, nullable=False),
)

# Five wrong passwords within fifteen minutes lock the account for the rest of that window: an
# online guesser gets about 480 tries a day, a person who mistyped waits a quarter of an hour.
LOCK_AFTER = 5
LOCK_WINDOW = dt.timedelta(minutes=15)
USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")
MIN_PASSWORD = 12

_hasher = PasswordHasher()  # Argon2id with the library's (RFC 9106 low-memory) parameters


@functools.cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so a wrong name costs as long as a wrong password.
    Made at the first sign-in, not at import: hashing takes most of a second, and every CLI
    command imports this module."""
    return _hasher.hash("no such account, but as slow to refuse")


class AccountError(ValueError):
    """An account cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class StaffAccount:
    account_id: str
    username: str
    institution: str
    role: str  # an ActorRole symbol: what the events and the access log record
    created_at: dt.datetime
    disabled_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True, slots=True)
class Action:
    """An answer a person sent from the portal."""

    event_id: str
    event_type: str
    referral_id: str | None
    at: dt.datetime
    username: str


@dataclass(frozen=True, slots=True)
class Locked:
    """Too many failed sign-ins: none is checked until ``until``."""

    until: dt.datetime


def check_username(username: str) -> str:
    if not (2 <= len(username) <= 64) or not set(username) <= USERNAME_CHARS:
        raise AccountError(
            "a username is 2-64 characters of a-z, 0-9, '.', '_' or '-' (e.g. ana.petrovic)"
        )
    return username


class StaffStore:
    """Staff accounts in the platform's SQL database, beside the API tokens."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_schema(engine, metadata)

    def add(
        self, username: str, password: str, *, institution: str, role: str, now: dt.datetime
    ) -> StaffAccount:
        check_username(username)
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
        account_id = str(uuid.uuid4())
        try:
            with self.engine.begin() as tx:
                tx.execute(
                    insert(staff_table).values(
                        account_id=account_id,
                        username=username,
                        password_hash=_hasher.hash(password),
                        institution=institution,
                        role=role,
                        created_at=now,
                    )
                )
        except IntegrityError:
            raise AccountError(f"there is already an account {username!r}") from None
        return StaffAccount(account_id, username, institution, role, now, None)

    def disable(self, username: str, *, now: dt.datetime) -> bool:
        """Disable an account (it can no longer sign in); False if there is none."""
        with self.engine.begin() as tx:
            found = tx.execute(
                update(staff_table)
                .where(staff_table.c.username == username)
                .where(staff_table.c.disabled_at.is_(None))
                .values(disabled_at=now)
            ).rowcount
            exists = tx.execute(
                select(staff_table.c.username).where(staff_table.c.username == username)
            ).first()
        return bool(found) or exists is not None

    def get(self, username: str) -> StaffAccount | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(staff_table).where(staff_table.c.username == username)
            ).first()
        if row is None:
            return None
        return _account(row)

    def accounts(self) -> list[StaffAccount]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(staff_table).order_by(staff_table.c.username)).all()
        return [_account(r) for r in rows]

    def record_action(
        self,
        account: StaffAccount,
        event_id: str,
        event_type: str,
        *,
        referral_id: str | None,
        now: dt.datetime,
    ) -> None:
        with self.engine.begin() as tx:
            tx.execute(
                insert(actions_table).values(
                    event_id=event_id,
                    account_id=account.account_id,
                    event_type=event_type,
                    referral_id=referral_id,
                    at=now,
                )
            )

    def actions(self, username: str) -> list[tuple[str, str, str | None, dt.datetime]]:
        """(event id, event type, referral id, when) of what this person submitted, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(actions_table)
                .join(staff_table, staff_table.c.account_id == actions_table.c.account_id)
                .where(staff_table.c.username == username)
                .order_by(actions_table.c.at, actions_table.c.event_id)
            ).all()
        return [(r.event_id, r.event_type, r.referral_id, r.at) for r in rows]

    def answers_of(self, institution: str, limit: int = 20) -> list[Action]:
        """The latest answers the institution's people sent from the portal, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(actions_table, staff_table.c.username)
                .join(staff_table, staff_table.c.account_id == actions_table.c.account_id)
                .where(staff_table.c.institution == institution)
                .order_by(actions_table.c.at.desc(), actions_table.c.event_id)
                .limit(limit)
            ).all()
        return [Action(r.event_id, r.event_type, r.referral_id, r.at, r.username) for r in rows]

    def sign_in(
        self, username: str, password: str, *, now: dt.datetime
    ) -> StaffAccount | Locked | None:
        """The account if the password is right and it is active and not locked out; ``Locked``
        while too many recent failures hold it; ``None`` otherwise (and the failure counts)."""
        since = now - LOCK_WINDOW
        with self.engine.connect() as conn:
            row = conn.execute(
                select(staff_table).where(staff_table.c.username == username)
            ).first()
            recent = conn.execute(
                select(func.count(), func.min(failures_table.c.at))
                .where(failures_table.c.username == username)
                .where(failures_table.c.at > since)
            ).one()
        if recent[0] >= LOCK_AFTER:
            return Locked(until=recent[1] + LOCK_WINDOW)
        try:
            _hasher.verify(row.password_hash if row is not None else _dummy_hash(), password)
            verified = row is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            verified = False
        if not verified or row is None or row.disabled_at is not None:
            with self.engine.begin() as tx:
                # Only the window counts: older failures (of any name, real or not) go.
                tx.execute(delete(failures_table).where(failures_table.c.at <= since))
                tx.execute(insert(failures_table).values(username=username[:64], at=now))
            return None
        with self.engine.begin() as tx:  # a success ends the count
            tx.execute(delete(failures_table).where(failures_table.c.username == username))
        return _account(row)


def _account(row: Row[Any]) -> StaffAccount:
    return StaffAccount(
        row.account_id, row.username, row.institution, row.role, row.created_at, row.disabled_at
    )
