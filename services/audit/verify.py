"""`povezimo audit verify`: recompute the archive's hash chain and check its signed checkpoints.

Verification walks the rows in sequence order and stops at the first broken position:

- ``missing``: a sequence number is absent (a row was deleted);
- ``chain_broken``: a row does not hash to its stored value from the row before it (a byte of it
  changed, or a row was inserted, deleted with renumbering, or moved);
- ``offset_order``: a partition's offsets do not follow each other (records re-ordered or copied);
- ``checkpoint_mismatch``: the chain was recomputed after a checkpoint had signed another head;
- ``bad_signature`` / ``other_signer``: a checkpoint the key did not sign;
- ``unsigned_tail`` / ``truncated``: rows after the last checkpoint, or a checkpoint or stored
  offset beyond the last row (rows deleted from the end).

It also compares the archive with the bus, record by record, while the bus still holds them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import ColumnElement, Connection, Row, and_, func, select

from consumers.archive import (
    GENESIS,
    Archive,
    archive_checkpoints,
    archive_records,
    bytes_of,
    chain_hash,
    checkpoint_message,
    record_bytes,
)
from consumers.pipeline import partitions_of
from consumers.runner import offsets_table
from services.bus import Bus, TopicPartition
from services.platform.signing import key_id, signature_valid

if TYPE_CHECKING:
    from services.bootstrap import Platform


@dataclass(frozen=True)
class Breach:
    """The first place where the archive is not what was signed."""

    position: int  # the record sequence number (1-based) where the break is found
    code: str
    detail: str

    def __str__(self) -> str:
        return f"BROKEN at record #{self.position} [{self.code}]: {self.detail}"


@dataclass
class BusCheck:
    equal: int = 0
    not_on_bus: int = 0  # archived records the bus no longer holds (retention)
    not_archived: int = 0  # records on the bus the archive has not consumed yet
    mismatch: str | None = None


@dataclass
class Verification:
    records: int = 0
    checkpoints: int = 0
    head_hash: bytes = GENESIS
    signer: str = ""
    breach: Breach | None = None
    bus: BusCheck | None = None
    seconds: float = 0.0
    partitions: dict[tuple[str, int], int] = field(default_factory=dict)  # last offset seen

    @property
    def intact(self) -> bool:
        return self.breach is None and (self.bus is None or self.bus.mismatch is None)

    def summary(self) -> str:
        if self.breach:
            return str(self.breach)
        if self.bus and self.bus.mismatch:
            return f"BUS MISMATCH: {self.bus.mismatch}"
        line = (
            f"archive intact: {self.records} records, {self.checkpoints} signed checkpoints"
            f" (key {self.signer or 'none'}), head #{self.records} {self.head_hash.hex()[:16]}"
        )
        if self.bus is not None:
            line += (
                f"; bus: {self.bus.equal} equal, {self.bus.not_on_bus} no longer on the bus,"
                f" {self.bus.not_archived} not archived yet"
            )
        return line


_COLUMNS = (
    archive_records.c.seq,
    archive_records.c.topic,
    archive_records.c.partition,
    archive_records.c.offset,
    archive_records.c.timestamp_ms,
    archive_records.c.key,
    archive_records.c.value,
    archive_records.c.headers,
    archive_records.c.hash,
)


def verify_archive(
    system: Platform, public_key: Ed25519PublicKey, *, with_bus: bool = True
) -> Verification:
    """The platform's archive: its chain and signatures, then (if intact) record by record
    against the bus where the bus still holds the records."""
    with system.archive_engine.connect() as conn:
        result = verify_chain(conn, public_key)
        if result.breach is None and with_bus:
            result.bus = cross_check(system.bus, conn)
    return result


def verify_chain(conn: Connection, public_key: Ed25519PublicKey) -> Verification:
    """Walk the archive in ``conn`` and report the first broken position, if any."""
    started = time.perf_counter()
    result = Verification(signer=key_id(public_key))
    checkpoints = {row.seq: row for row in conn.execute(select(archive_checkpoints))}
    result.checkpoints = len(checkpoints)
    partitions = result.partitions
    last_signed, expected, previous = 0, 1, GENESIS
    rows = conn.execution_options(yield_per=5000).execute(
        select(*_COLUMNS).order_by(archive_records.c.seq)
    )
    # Plain tuples and no calls per row beyond the hash: this loop is the cost of an audit.
    for seq, topic, partition, offset, timestamp_ms, key, value, headers, stored in rows:
        breach = None
        if seq != expected:
            breach = Breach(expected, "missing", f"record #{expected} is missing (next is #{seq})")
        elif (
            chain_hash(
                previous,
                record_bytes(topic, partition, offset, timestamp_ms, key, value, headers),
            )
            != stored
        ):
            breach = Breach(
                seq,
                "chain_broken",
                f"record #{seq} ({topic}/{partition}@{offset}) does not hash to its stored value "
                f"from record #{seq - 1}: its bytes changed, or a row was inserted, deleted or "
                f"moved here",
            )
        else:
            before = partitions.get((topic, partition))
            if before is not None and offset != before + 1:
                breach = Breach(
                    seq,
                    "offset_order",
                    f"record #{seq} ({topic}/{partition}@{offset}) follows offset {before} of "
                    f"its partition",
                )
            partitions[(topic, partition)] = offset
            previous = stored
            checkpoint = checkpoints.get(seq)
            if breach is None and checkpoint is not None:
                breach = _check_checkpoint(checkpoint, previous, public_key, last_signed)
                last_signed = seq
        if breach is not None:
            rows.close()
            result.breach = breach
            break
        expected += 1
    result.records, result.head_hash = expected - 1, previous
    if result.breach is None:
        result.breach = _check_end(conn, result.records, last_signed, checkpoints, result)
    result.seconds = time.perf_counter() - started
    return result


def _check_checkpoint(
    checkpoint: Row[Any], head: bytes, public_key: Ed25519PublicKey, last_signed: int
) -> Breach | None:
    seq: int = checkpoint.seq
    signer = key_id(public_key)
    if checkpoint.key_id != signer:
        return Breach(
            seq,
            "other_signer",
            f"the checkpoint at record #{seq} names key {checkpoint.key_id}, not {signer}",
        )
    message = checkpoint_message(seq, checkpoint.head_hash, checkpoint.signed_at, signer)
    if not signature_valid(public_key, checkpoint.signature, message):
        return Breach(
            seq,
            "bad_signature",
            f"the checkpoint at record #{seq} is not signed by key {signer} (forged or altered)",
        )
    if checkpoint.head_hash != head:
        return Breach(
            seq,
            "checkpoint_mismatch",
            f"the chain at record #{seq} differs from the signed head: records "
            f"#{last_signed + 1}..#{seq} were rewritten after they were signed",
        )
    return None


def _check_end(
    conn: Connection,
    head: int,
    last_signed: int,
    checkpoints: dict[int, Row[Any]],
    result: Verification,
) -> Breach | None:
    beyond = sorted(seq for seq in checkpoints if seq > head)
    if beyond:
        return Breach(
            head + 1,
            "truncated",
            f"a checkpoint signs record #{beyond[-1]} but the archive ends at #{head}: "
            f"records #{head + 1}..#{beyond[-1]} were deleted",
        )
    if head > last_signed:
        return Breach(
            last_signed + 1,
            "unsigned_tail",
            f"records #{last_signed + 1}..#{head} are covered by no signed checkpoint "
            f"(appended or rewritten outside the archive)",
        )
    stored = conn.execute(
        select(offsets_table).where(offsets_table.c.projection == Archive.name)
    ).all()
    for row in stored:
        last = result.partitions.get((row.topic, row.partition), -1)
        if row.next_offset > last + 1:
            return Breach(
                head + 1,
                "truncated",
                f"the archive consumed {row.topic}/{row.partition} up to offset "
                f"{row.next_offset - 1} but holds it only up to {last}: rows deleted from the end",
            )
    return None


def cross_check(bus: Bus, conn: Connection, *, timeout: float = 120.0) -> BusCheck:
    """Read the archived topics from the bus and compare each record with its archived copy."""
    check = BusCheck()
    partitions = partitions_of(bus, list(Archive.topics))
    ends = bus.end_offsets(partitions)
    for tp, end in ends.items():
        past_end = conn.execute(
            select(func.count())
            .select_from(archive_records)
            .where(_at(tp))
            .where(archive_records.c.offset >= end)
        ).scalar_one()
        if past_end:
            check.mismatch = (
                f"the archive holds {past_end} records of {tp.topic}/{tp.partition} at or after "
                f"offset {end}, where the bus ends"
            )
            return check
    remaining = {tp: end for tp, end in ends.items() if end > 0}
    if remaining:
        checked = _compare_with_bus(bus, conn, remaining, check, timeout)
        if check.mismatch:
            return check
    else:
        checked = 0
    archived = conn.execute(select(func.count()).select_from(archive_records)).scalar_one()
    check.not_on_bus = archived - checked
    return check


def _compare_with_bus(
    bus: Bus,
    conn: Connection,
    ends: dict[TopicPartition, int],
    check: BusCheck,
    timeout: float,
) -> int:
    reader = bus.reader(dict.fromkeys(ends, 0))
    checked = 0
    deadline = time.monotonic() + timeout
    try:
        while ends:
            if time.monotonic() > deadline:
                check.mismatch = f"could not read the bus to its end in {timeout:.0f}s"
                return checked
            batch = reader.poll(max_records=2000, timeout=0.5)
            by_place = {(r.topic, r.partition, r.offset): r for r in batch}
            archived = _archived_at(conn, by_place)
            for place, record in sorted(by_place.items()):
                stored = archived.get(place)
                if stored is None:
                    check.not_archived += 1
                elif stored != bytes_of(record):
                    check.mismatch = (
                        f"{record.topic}/{record.partition}@{record.offset} differs between the "
                        f"bus and the archive"
                    )
                    return checked
                else:
                    check.equal += 1
                    checked += 1
                tp = record.topic_partition
                if tp in ends and record.offset + 1 >= ends[tp]:
                    del ends[tp]
    finally:
        reader.close()
    return checked


def _at(tp: TopicPartition) -> ColumnElement[bool]:
    return and_(archive_records.c.topic == tp.topic, archive_records.c.partition == tp.partition)


def _archived_at(
    conn: Connection, places: Iterable[tuple[str, int, int]]
) -> dict[tuple[str, int, int], bytes]:
    spans: dict[tuple[str, int], list[int]] = {}
    for topic, partition, offset in places:
        spans.setdefault((topic, partition), []).append(offset)
    found = {}
    for (topic, partition), offsets in spans.items():
        rows = conn.execute(
            select(archive_records)
            .where(_at(TopicPartition(topic, partition)))
            .where(archive_records.c.offset.between(min(offsets), max(offsets)))
        )
        for row in rows:
            found[(row.topic, row.partition, row.offset)] = record_bytes(
                row.topic,
                row.partition,
                row.offset,
                row.timestamp_ms,
                row.key,
                row.value,
                row.headers,
            )
    return found
