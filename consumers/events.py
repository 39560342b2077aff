"""Case events as projections see them, and the base every case-events projection shares.

The base decodes each record once, drops an ``event_id`` the projection already applied (the
exchange may append an event twice after a crash), keeps a record it cannot apply with the reason,
and hands the rest, in log order, to the projection's ``apply``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import Connection, Table, insert, select

from consumers.runner import Outbox, applied_table, is_outage, record_failure
from schemas import Codec, DecodeError
from schemas.codec import Decoded
from services.bus import Record

CASE_EVENTS = "case-events"
ACCESS_LOG = "access-log"


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One decoded event of ``case-events`` with its place in the log."""

    record: Record
    event_type: str
    body: dict[str, Any]
    # The ids as text, made once: every projection asks for them many times an event.
    event_id: str = field(init=False)
    case_id: str = field(init=False)

    def __post_init__(self) -> None:
        header = self.body["header"]
        object.__setattr__(self, "event_id", str(header["event_id"]))
        object.__setattr__(self, "case_id", str(header["case_id"]))

    @property
    def header(self) -> dict[str, Any]:
        header: dict[str, Any] = self.body["header"]
        return header

    @property
    def source(self) -> str:
        return str(self.header["source_institution"])

    @property
    def occurred_at(self) -> dt.datetime:
        occurred: dt.datetime = self.header["occurred_at"]
        return occurred

    @property
    def recorded_at(self) -> dt.datetime:
        recorded: dt.datetime = self.header["recorded_at"]
        return recorded

    def __getitem__(self, name: str) -> Any:
        return self.body[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.body.get(name, default)


def as_uuid(value: Any) -> str:
    """UUIDs are stored as their canonical text in every table."""
    return str(uuid.UUID(str(value)))


class DecodeMemo:
    """Recently decoded records by their bytes, shared by the consumers of one process.

    The exchange decodes a submission and appends the same bytes to ``case-events``, where every
    projection decodes them again; remembering the last few thousand saves those decodes. A hit
    returns a copy of the top-level record (consumers treat records as read-only in any case).
    """

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._decoded: dict[tuple[int, bytes], Decoded] = {}

    def decode(self, codec: Codec, value: bytes) -> Decoded:
        key = (id(codec), value)
        found = self._decoded.get(key)
        if found is None:
            found = codec.decode(value)  # a DecodeError is not remembered: it is raised again
            if len(self._decoded) >= self.size:
                del self._decoded[next(iter(self._decoded))]
            self._decoded[key] = found
        return Decoded(found.schema_id, found.event_type, dict(found.record))


decode_memo = DecodeMemo()


class EventProjection:
    """Base of the projections over ``case-events``; subclasses implement ``apply``."""

    name: ClassVar[str] = ""
    topics: Sequence[str] = (CASE_EVENTS,)
    tables: Sequence[Table] = ()

    def __init__(self, codec: Codec) -> None:
        self.codec = codec

    def apply_batch(self, records: Sequence[Record], tx: Connection, out: Outbox) -> None:
        events = self._decode(records, tx)
        fresh = self._not_yet_applied(events, tx)
        published = len(out.messages)
        self.begin_batch()
        try:
            # The whole batch under one savepoint; only if an event fails is the batch redone
            # event by event, so the failing one is recorded and the others still apply.
            with tx.begin_nested():
                for event in fresh:
                    self.apply(event, tx, out)
        except Exception as error:
            if is_outage(error):
                raise  # the database went away: the batch is retried, no event is blamed
            del out.messages[published:]
            self.begin_batch()
            for event in fresh:
                sent = len(out.messages)
                try:
                    with tx.begin_nested():
                        self.apply(event, tx, out)
                except Exception as error:
                    if is_outage(error):
                        raise
                    del out.messages[sent:]  # what the failed event would have sent goes too
                    record_failure(self.name, event.record, error, tx)
        if fresh:
            tx.execute(
                insert(applied_table),
                [{"projection": self.name, "event_id": e.event_id} for e in fresh],
            )
        self.after_batch(tx, out)

    def _decode(self, records: Sequence[Record], tx: Connection) -> list[CaseEvent]:
        events = []
        for record in records:
            try:
                decoded = decode_memo.decode(self.codec, record.value or b"")
            except DecodeError as error:
                record_failure(self.name, record, error, tx)
                continue
            events.append(CaseEvent(record, decoded.event_type, decoded.record))
        return events

    def _not_yet_applied(self, events: list[CaseEvent], tx: Connection) -> list[CaseEvent]:
        ids = [e.event_id for e in events]
        seen = set(
            tx.execute(
                select(applied_table.c.event_id)
                .where(applied_table.c.projection == self.name)
                .where(applied_table.c.event_id.in_(ids))
            ).scalars()
        )
        fresh = []
        for event in events:
            if event.event_id not in seen:
                seen.add(event.event_id)
                fresh.append(event)
        return fresh

    def apply(self, event: CaseEvent, tx: Connection, out: Outbox) -> None:
        raise NotImplementedError

    def begin_batch(self) -> None:
        """Forget whatever was cached while applying a batch (it may have been rolled back)."""

    def after_batch(self, tx: Connection, out: Outbox) -> None:
        """Work that depends on the whole batch (e.g. deadlines passed); nothing by default."""
