"""The key vault: direct identifiers sealed under a per-subject data key, kept apart from the log.

A subject's identifiers (name, JMBG, address, phone, exact birth date) travel only as AES-GCM
ciphertext in ``SubjectRegistered.sealed``; the 256-bit key that opens them lives here, in a store
of its own (``POVEZIMO_VAULT_URL``, by default ``vault.db`` in the data directory), never in the
log or the views. Destroying a key (crypto-shredding) erases the person from every replay while
the log stays byte-for-byte intact and its hash chain verifiable.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
import uuid
from collections.abc import Iterator
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    event,
    insert,
    select,
)

from services.platform.migrations import upgrade as migrate
from services.platform.sql import UtcDateTime, given_or_own

ALGORITHM = "AES-256-GCM"

metadata = MetaData()

keys_table = Table(
    "vault_keys",
    metadata,
    Column("subject_id", String(36), primary_key=True),
    Column("key_id", String(36), nullable=False, unique=True),
    Column("data_key", LargeBinary(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)


class PersonalData(BaseModel):
    """The direct identifiers of one subject: what only the vault can open."""

    model_config = ConfigDict(frozen=True)

    given_name: str
    family_name: str
    jmbg: str | None = None
    birth_date: dt.date | None = None
    address: str | None = None
    phone: str | None = None

    def identifiers(self) -> list[str]:
        """Every identifying string, as a leak scan searches for them."""
        values = [self.given_name + " " + self.family_name, self.jmbg, self.address, self.phone]
        if self.birth_date:
            values.append(self.birth_date.isoformat())
        return [v for v in values if v]


class VaultError(Exception):
    """A sealed record that the vault cannot open for a reason other than erasure."""


class KeyVault:
    """Per-subject data keys in SQL; sealing and unsealing of ``SealedData`` records."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._shared = threading.local()  # this thread's transaction for many seals, if open
        if engine.dialect.name == "sqlite":
            _overwrite_deleted_keys(engine)
        migrate(engine, "vault")

    def seal(self, subject_id: uuid.UUID | str, data: PersonalData) -> dict[str, Any]:
        """A ``SealedData`` record of ``data`` under the subject's key (created on first use)."""
        key_id, key = self._key_for(str(subject_id))
        nonce = os.urandom(12)
        plaintext = data.model_dump_json().encode()
        ciphertext = AESGCM(key).encrypt(nonce, plaintext, _bound_to(subject_id, key_id))
        return {"key_id": key_id, "nonce": nonce, "ciphertext": ciphertext, "algorithm": ALGORITHM}

    def unseal(self, subject_id: uuid.UUID | str, sealed: dict[str, Any]) -> PersonalData | None:
        """The identifiers, or ``None`` when the subject's key was destroyed (erased)."""
        with self.engine.connect() as conn:
            key = conn.execute(
                select(keys_table.c.data_key).where(keys_table.c.key_id == sealed["key_id"])
            ).scalar_one_or_none()
        if key is None:
            return None
        if sealed.get("algorithm", ALGORITHM) != ALGORITHM:
            raise VaultError(f"unsupported algorithm {sealed['algorithm']!r}")
        try:
            plaintext = AESGCM(key).decrypt(
                sealed["nonce"], sealed["ciphertext"], _bound_to(subject_id, sealed["key_id"])
            )
        except InvalidTag as error:
            raise VaultError("sealed data does not authenticate for this subject") from error
        return PersonalData.model_validate(json.loads(plaintext))

    def sealed_problem(self, subject_id: uuid.UUID | str, sealed: dict[str, Any]) -> str | None:
        """Why nobody could ever open ``sealed`` for this subject, or ``None`` if the vault can.

        Opening it is the only proof: a key id alone can be copied from another registration of
        the same subject with made-up bytes beside it. What is opened is dropped at once.
        """
        if sealed.get("key_id") != self.key_id_of(subject_id):
            return "the vault holds no such key for this subject"
        try:
            self.unseal(subject_id, sealed)
        except VaultError:
            return "the sealed identifiers do not authenticate under this subject's key"
        except (ValueError, TypeError):  # a nonce of the wrong length, identifiers not JSON
            return "the sealed identifiers are not a sealed record of this platform"
        return None

    def key_id_of(self, subject_id: uuid.UUID | str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(keys_table.c.key_id).where(keys_table.c.subject_id == str(subject_id))
            ).scalar_one_or_none()

    def destroy(self, subject_id: uuid.UUID | str) -> str | None:
        """Delete the subject's key for good; returns its key id, or ``None`` if it had none."""
        with self.engine.begin() as tx:
            key_id = tx.execute(
                select(keys_table.c.key_id).where(keys_table.c.subject_id == str(subject_id))
            ).scalar_one_or_none()
            tx.execute(delete(keys_table).where(keys_table.c.subject_id == str(subject_id)))
        if key_id is not None and self.engine.dialect.name == "sqlite":
            _checkpoint(self.engine)
        return key_id

    @contextlib.contextmanager
    def one_transaction(self) -> Iterator[None]:
        """This thread's seals inside the block find and create keys in one transaction.

        For a producer that seals thousands of subjects before it publishes anything (the
        simulator): a transaction per seal cost half its time. The keys commit when the block
        ends, before any sealed record can leave; an error inside it rolls them back. On SQLite
        other writers of the vault wait for the block, so keep it to such batch work.
        """
        with self.engine.begin() as tx:
            self._shared.tx = tx
            try:
                yield
            finally:
                self._shared.tx = None

    def _key_for(self, subject_id: str) -> tuple[str, bytes]:
        shared: Connection | None = getattr(self._shared, "tx", None)
        with given_or_own(shared, self.engine.begin) as tx:
            row = tx.execute(
                select(keys_table.c.key_id, keys_table.c.data_key).where(
                    keys_table.c.subject_id == subject_id
                )
            ).first()
            if row is not None:
                return row.key_id, row.data_key
            return _new_key(tx, subject_id)


def _new_key(tx: Connection, subject_id: str) -> tuple[str, bytes]:
    key_id, key = str(uuid.uuid4()), AESGCM.generate_key(bit_length=256)
    tx.execute(
        insert(keys_table).values(
            subject_id=subject_id, key_id=key_id, data_key=key, created_at=dt.datetime.now(dt.UTC)
        )
    )
    return key_id, key


def _bound_to(subject_id: uuid.UUID | str, key_id: str) -> bytes:
    # Associated data: a ciphertext copied onto another subject's registration does not open.
    return f"{uuid.UUID(str(subject_id))}|{key_id}".encode()


def _overwrite_deleted_keys(engine: Engine) -> None:
    """SQLite keeps deleted rows in free pages; secure_delete zeroes them, so a key is gone."""

    @event.listens_for(engine, "connect")
    def _secure_delete(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()


def _checkpoint(engine: Engine) -> None:
    # The write-ahead log still holds the page as it was before the delete: fold it back and
    # truncate it, so no copy of the destroyed key survives on disk.
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def sealed_off(subject_id: uuid.UUID | str, data: PersonalData) -> dict[str, Any]:
    """Sealed under a key that is thrown away at once: for simulations without a vault.

    The record is well-formed, but nobody can ever open it: the subject is born erased.
    """
    key_id, key, nonce = str(uuid.uuid4()), AESGCM.generate_key(bit_length=256), os.urandom(12)
    ciphertext = AESGCM(key).encrypt(
        nonce, data.model_dump_json().encode(), _bound_to(subject_id, key_id)
    )
    return {"key_id": key_id, "nonce": nonce, "ciphertext": ciphertext, "algorithm": ALGORITHM}
