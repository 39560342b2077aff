"""The audit archive: every record of ``case-events`` and ``access-log`` on a signed hash chain.

The archive appends records in the order it consumes them (one case stays in offset order, since
a case lives on one partition); each row keeps the record's topic, partition and offset, so the bus
can be checked against it while it still holds the records. Row *n* carries

    hash_n = SHA-256(hash_{n-1} ‖ record_bytes(topic, partition, offset, timestamp, key, value,
                                               headers))

with ``hash_0`` 32 zero bytes and every variable field length-prefixed (see ``record_bytes``), so
no two different records encode alike. Every ``checkpoint_every`` records, and at the end of every
batch, a checkpoint (sequence number, head hash, time) is signed with the archive's Ed25519 key:
rewriting rows and recomputing their hashes then breaks a signature the editor cannot make.

The archive is its own database (``POVEZIMO_ARCHIVE_URL``), and the runner stores its offsets there
in the same transaction as its rows. It is never rebuilt: a rebuild would re-chain the history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    and_,
    insert,
    select,
)

from consumers.runner import BatchOutput, Database
from consumers.runner import metadata as runner_metadata
from schemas.topics import ACCESS_LOG, CASE_EVENTS
from services.bus import Record
from services.platform.signing import key_id, load_or_create_private_key
from services.platform.sql import UtcDateTime, create_schema

GENESIS = bytes(32)
CHECKPOINT_DOMAIN = b"povezimo.archive.checkpoint.v1"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

metadata = MetaData()
archive_records = Table(
    "archive_records",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("topic", String(249), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("timestamp_ms", BigInteger, nullable=False),
    Column("key", LargeBinary, nullable=True),
    Column("value", LargeBinary, nullable=True),
    Column("headers", LargeBinary, nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
    Index("archive_records_position", "topic", "partition", "offset"),
    Index("archive_records_key", "key"),
)
archive_checkpoints = Table(
    "archive_checkpoints",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("head_hash", LargeBinary(32), nullable=False),
    Column("signed_at", UtcDateTime, nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
)

_U32 = struct.Struct(">I")
_POSITION = struct.Struct(">IQq")  # partition, offset, timestamp (ms)


# -- the encoding: pure functions, the same for the archive, verify and the bus cross-check ----


def _field(value: bytes) -> bytes:
    return _U32.pack(len(value)) + value


def _optional(value: bytes | None) -> bytes:
    return b"\x00" if value is None else b"\x01" + _field(value)


def encode_headers(headers: Iterable[tuple[str, bytes]]) -> bytes:
    """Headers as stored and hashed: a count, then each name and value length-prefixed."""
    pairs = list(headers)
    return _U32.pack(len(pairs)) + b"".join(
        _field(name.encode()) + _field(bytes(value)) for name, value in pairs
    )


def decode_headers(data: bytes) -> tuple[tuple[str, bytes], ...]:
    (count,), at = _U32.unpack_from(data), _U32.size
    pairs = []
    for _ in range(count):
        (size,) = _U32.unpack_from(data, at)
        name = data[at + 4 : at + 4 + size].decode()
        at += 4 + size
        (size,) = _U32.unpack_from(data, at)
        pairs.append((name, data[at + 4 : at + 4 + size]))
        at += 4 + size
    return tuple(pairs)


def record_bytes(
    topic: str,
    partition: int,
    offset: int,
    timestamp_ms: int,
    key: bytes | None,
    value: bytes | None,
    headers: bytes,
) -> bytes:
    """One record, unambiguously: topic length-prefixed, fixed-width numbers, optional key and
    value with a presence byte, ``headers`` already in the ``encode_headers`` form."""
    return (
        _field(topic.encode())
        + _POSITION.pack(partition, offset, timestamp_ms)
        + _optional(key)
        + _optional(value)
        + headers
    )


def chain_hash(previous: bytes, record: bytes) -> bytes:
    return hashlib.sha256(previous + record).digest()


def bytes_of(record: Record) -> bytes:
    return record_bytes(
        record.topic,
        record.partition,
        record.offset,
        record.timestamp_ms,
        record.key,
        record.value,
        encode_headers(record.headers),
    )


def checkpoint_message(seq: int, head_hash: bytes, signed_at: dt.datetime, signer: str) -> bytes:
    """What a checkpoint's signature covers."""
    micros = (signed_at - _EPOCH) // dt.timedelta(microseconds=1)  # exact, no float rounding
    return CHECKPOINT_DOMAIN + struct.pack(">Qq", seq, micros) + head_hash + signer.encode()


def create_archive_tables(engine: Engine) -> Engine:
    """The archive's tables and the runner's offsets beside them (idempotent)."""
    create_schema(engine, metadata, runner_metadata)
    return engine


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    hash: bytes


def head_of(conn: Connection) -> Head:
    row = conn.execute(
        select(archive_records.c.seq, archive_records.c.hash)
        .order_by(archive_records.c.seq.desc())
        .limit(1)
    ).first()
    return Head(row.seq, row.hash) if row else Head(0, GENESIS)


# -- the projection ----------------------------------------------------------------------------


class Archive:
    """Appends ``case-events`` and ``access-log`` to the chain; signs checkpoints."""

    name = "archive"
    topics: Sequence[str] = (CASE_EVENTS, ACCESS_LOG)
    tables: Sequence[Table] = (archive_records, archive_checkpoints)
    database: ClassVar[Database] = "archive"
    on_data_path: ClassVar[bool] = False
    # The audit record itself: dropping it would throw away its signed history.
    replayable: ClassVar[bool] = False

    def __init__(
        self,
        engine: Engine,
        key_file: Path,
        *,
        checkpoint_every: int = 1000,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.engine = engine
        self.key_file = key_file
        self.checkpoint_every = checkpoint_every
        self.clock = clock
        self._key: Ed25519PrivateKey | None = None

    @property
    def signing_key(self) -> Ed25519PrivateKey:
        if self._key is None:
            self._key = load_or_create_private_key(self.key_file)
        return self._key

    def apply_batch(self, records: Sequence[Record], tx: Connection, out: BatchOutput) -> None:
        head = head_of(tx)
        archived = _already_archived(tx, records)
        rows: list[dict[str, object]] = []
        due: list[Head] = []
        seq, previous = head.seq, head.hash
        for record in records:
            if (record.topic, record.partition, record.offset) in archived:
                continue  # stored offsets were lost but the rows were not: never chain twice
            headers = encode_headers(record.headers)
            seq += 1
            previous = chain_hash(
                previous,
                record_bytes(
                    record.topic,
                    record.partition,
                    record.offset,
                    record.timestamp_ms,
                    record.key,
                    record.value,
                    headers,
                ),
            )
            rows.append(
                {
                    "seq": seq,
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "timestamp_ms": record.timestamp_ms,
                    "key": record.key,
                    "value": record.value,
                    "headers": headers,
                    "hash": previous,
                }
            )
            if seq % self.checkpoint_every == 0:
                due.append(Head(seq, previous))
        if not rows:
            return
        tx.execute(insert(archive_records), rows)
        # The head is always signed: rows after the last checkpoint could otherwise be rewritten
        # (or appended) with recomputed hashes and nobody could tell.
        if not due or due[-1].seq != seq:
            due.append(Head(seq, previous))
        self._sign(tx, due)

    def _sign(self, tx: Connection, heads: list[Head]) -> None:
        key = self.signing_key
        signer = key_id(key.public_key())
        signed_at = self.clock()
        tx.execute(
            insert(archive_checkpoints),
            [
                {
                    "seq": head.seq,
                    "head_hash": head.hash,
                    "signed_at": signed_at,
                    "key_id": signer,
                    "signature": key.sign(
                        checkpoint_message(head.seq, head.hash, signed_at, signer)
                    ),
                }
                for head in heads
            ],
        )


def _already_archived(tx: Connection, records: Sequence[Record]) -> set[tuple[str, int, int]]:
    spans: dict[tuple[str, int], list[int]] = {}
    for record in records:
        spans.setdefault((record.topic, record.partition), []).append(record.offset)
    found: set[tuple[str, int, int]] = set()
    for (topic, partition), offsets in spans.items():
        rows = tx.execute(
            select(archive_records.c.offset).where(
                and_(
                    archive_records.c.topic == topic,
                    archive_records.c.partition == partition,
                    archive_records.c.offset.between(min(offsets), max(offsets)),
                )
            )
        ).scalars()
        found.update((topic, partition, offset) for offset in rows)
    return found
