"""Case events as projections see them, and the base every case-events projection shares.

The base decodes each record once, drops an ``event_id`` the projection already applied (the
exchange may append an event twice after a crash), keeps a record it cannot apply with the reason,
and hands the rest, in log order, to the projection's ``apply``.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import Connection, Table

from consumers.applied import AppliedEvents
from consumers.participation import Change, participation_change
from consumers.rows import RowsToInsert, RowStore, TableRows
from consumers.runner import (
    BatchOutput,
    Database,
    case_events_table,
    is_outage,
    record_failure,
)
from schemas import Codec, DecodeError
from schemas.codec import Decoded, canonical_uuid_text
from schemas.institutions import PROGRAMME_EVENTS, InstitutionRegistry
from schemas.topics import CASE_EVENTS
from services.bus import Record


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One decoded event of ``case-events`` with its place in the log."""

    record: Record
    event_type: str
    body: dict[str, Any]
    # The ids as text, made once: every projection asks for them many times an event.
    event_id: str = field(init=False)
    case_id: str = field(init=False)
    # What several projections derive alike from the event (a rebuild feeds them all one copy).
    memo: dict[Any, Any] = field(init=False, default_factory=dict, repr=False, compare=False)

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

    def participation(
        self, case_municipality: str | None, institutions: InstitutionRegistry
    ) -> Change:
        """What the event changes in its case's participants (the views and the inboxes ask)."""
        key = ("participation", case_municipality, id(institutions))
        found: Change | None = self.memo.get(key)
        if found is None:
            found = self.memo[key] = participation_change(
                self.event_type,
                self.body,
                case_municipality=case_municipality,
                serving=institutions.serving_id,
            )
        return found

    def get(self, name: str, default: Any = None) -> Any:
        return self.body.get(name, default)


def as_uuid(value: Any) -> str:
    """UUIDs are stored as their canonical text in every table."""
    if isinstance(value, uuid.UUID):
        return str(value)  # what the decoder gives: canonical already
    return canonical_uuid_text(str(value))  # a rebuild decodes them as text


class DecodeMemo:
    """Recently decoded records by their bytes, shared by the consumers of one process.

    The exchange decodes a submission and appends the same bytes to ``case-events``, where every
    projection decodes them again; remembering the last few thousand saves those decodes. A hit
    returns a copy of the top-level record (consumers treat records as read-only in any case).
    Projections running in threads of one process share it: evictions hold a lock.
    """

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._decoded: dict[tuple[int, bytes], Decoded] = {}
        self._lock = threading.Lock()

    def decode(self, codec: Codec, value: bytes) -> Decoded:
        key = (id(codec), value)
        found = self._decoded.get(key)
        if found is None:
            found = codec.decode(value)  # a DecodeError is not remembered: it is raised again
            with self._lock:
                while len(self._decoded) >= self.size:
                    self._decoded.pop(next(iter(self._decoded)), None)
                self._decoded[key] = found
        return Decoded(found.schema_id, found.event_type, dict(found.record))


decode_memo = DecodeMemo()


class EventProjection:
    """Base of the projections over ``case-events``; subclasses implement ``apply``.

    A projection keeps its rows in ``TableRows`` (``self.store``): a batch is applied in memory,
    reading what it needs once, and written back with one statement per table and kind of
    change. ``apply_batch`` is the runner's entry (reads and writes in its transaction); a rebuild
    stages a chunk through a read connection (``stage``) and writes it in a short transaction of
    its own (``write``), so several rebuild processes share one SQLite writer lock.
    """

    name: ClassVar[str] = ""
    topics: Sequence[str] = (CASE_EVENTS,)
    tables: Sequence[Table] = ()
    database: ClassVar[Database] = "views"
    on_data_path: ClassVar[bool] = False
    replayable: ClassVar[bool] = True  # a projection of the log: dropped and rebuilt at will
    # Raise it when the rows the code writes change while no table does: the stored rows are
    # then rebuilt beside the old ones at the next start (``consumers.versions``).
    code_version: ClassVar[int] = 1
    # Programme events (agreements, activities) share case-events but belong to no case: a case
    # projection passes them by, and the programme's projection reads nothing else.
    reads_programme: ClassVar[bool] = False

    def __init__(
        self,
        codec: Codec,
        *rows: TableRows | RowsToInsert,
        applied: AppliedEvents | None = None,
    ) -> None:
        self.codec = codec
        self.applied = applied or AppliedEvents(
            case_events_table, "case_id", "event_ids", projection=self.name
        )
        self.store = RowStore(*rows, self.applied.rows)
        self.publishing = True  # a replay rebuilds rows without sending anything again

    # -- the runner's entry -----------------------------------------------------------------

    def apply_batch(self, records: Sequence[Record], tx: Connection, out: BatchOutput) -> None:
        """Apply a batch in the runner's transaction, reading and writing through ``tx``."""
        events = self.decode(records, tx)
        self._begin(tx)
        self._published = len(out.messages)
        try:
            # The whole batch under one savepoint; only if an event fails (or the database
            # refuses a row) is the batch redone event by event, so the failing one is noted and
            # the others still apply.
            with tx.begin_nested():
                self._stage_all(events, tx, out)
                self._flush(tx, out)
        except Exception as error:
            if is_outage(error):
                raise  # the database went away: the batch is retried, no event is blamed
            self.forget(out)
            self._redo(events, tx, out)
        self._finish(tx, out)

    def decode(self, records: Sequence[Record], tx: Connection) -> list[CaseEvent]:
        """The batch's events; a record that does not decode is kept aside with the reason."""
        events = []
        for record in records:
            try:
                decoded = decode_memo.decode(self.codec, record.value or b"")
            except DecodeError as error:
                self.note_failure(record, error, tx)
                continue
            events.append(CaseEvent(record, decoded.event_type, decoded.record))
        return events

    # -- a rebuild's chunk in two steps -------------------------------------------------------

    def stage(
        self, events: Sequence[CaseEvent], conn: Connection, out: BatchOutput, *, more: bool = False
    ) -> bool:
        """Apply ``events`` in memory only, reading through ``conn``; False when one of them
        failed (then nothing staged since the last write is kept: ``write`` redoes it event by
        event). ``more``: these events follow others staged since the last write."""
        self._begin(conn)
        if not more:
            self._published = len(out.messages)
        try:
            self._stage_all(events, conn, out, batch_begins=not more)
        except Exception as error:
            if is_outage(error):
                raise
            self.forget(out)
            return False
        return True

    def write(
        self,
        tx: Connection,
        out: BatchOutput,
        staged_events: Callable[[], Sequence[CaseEvent]],
        *,
        staged: bool,
    ) -> None:
        """Write what ``stage`` kept, in ``tx``; when it could not be kept (or the database
        refuses a row), redo ``staged_events()`` (all staged since the last write) one by one."""
        self.store.begin(tx)  # what is still read from here on is read in the transaction
        if staged:
            try:
                with tx.begin_nested():
                    self._flush(tx, out)
            except Exception as error:
                if is_outage(error):
                    raise
                self.forget(out)
                staged = False
        if not staged:
            self._redo(staged_events(), tx, out)
        self._finish(tx, out)

    # -- the steps ----------------------------------------------------------------------------

    def _stage_all(
        self,
        events: Sequence[CaseEvent],
        conn: Connection,
        out: BatchOutput,
        *,
        batch_begins: bool = True,
    ) -> None:
        if batch_begins:
            self.begin_batch()
        events = self.mine(events)
        self.prepare(events)
        for event in events:
            if self.fresh(event):
                self.apply(event, conn, out)

    def _finish(self, tx: Connection, out: BatchOutput) -> None:
        self.after_batch(tx, out)
        self.store.flush(tx)

    def _begin(self, conn: Connection) -> None:
        if not self.store.keep:
            self.forget_rows()  # the live runner reads every batch afresh
        self.store.begin(conn)

    def _redo(self, events: Sequence[CaseEvent], tx: Connection, out: BatchOutput) -> None:
        self._begin(tx)
        self.begin_batch()
        for event in self.mine(events):
            sent = len(out.messages)
            try:
                with tx.begin_nested():
                    if self.fresh(event):
                        self.apply(event, tx, out)
                    self._flush(tx, out)
            except Exception as error:
                if is_outage(error):
                    raise
                del out.messages[sent:]  # what the failed event would have sent goes too
                self.forget_rows()  # memory may hold the failed event's half-made rows
                self.note_failure(event.record, error, tx)
                self.mark_failed_applied(event, tx)

    def _flush(self, tx: Connection, out: BatchOutput) -> None:
        self.applied.write()
        self.store.flush(tx)
        self.after_flush(tx, out)

    def forget(self, out: BatchOutput) -> None:
        """Drop what was staged and not written (and the outputs it would have sent)."""
        del out.messages[self._published :]
        self.forget_rows()

    def forget_rows(self) -> None:
        """Drop every row held in memory (and what the projection derived from them)."""
        self.store.clear()
        self.applied.clear()
        self.rows_forgotten()

    def age_rows(self) -> None:
        """Past a rebuild's budget: keep in memory the rows used since the last ageing, and
        forget the rest at the next (``TableRows.age``); what was derived from them goes."""
        self.store.age()
        self.applied.clear()  # made again from its rows, which come back without a query
        self.rows_forgotten()

    def mine(self, events: Sequence[CaseEvent]) -> Sequence[CaseEvent]:
        """The events this projection applies: case events, or the programme's."""
        if not self.reads_programme and not any(e.event_type in PROGRAMME_EVENTS for e in events):
            return events  # the usual batch: no copy
        return [e for e in events if (e.event_type in PROGRAMME_EVENTS) == self.reads_programme]

    # -- what subclasses may refine ---------------------------------------------------------

    def prepare(self, events: Sequence[CaseEvent]) -> None:
        """Read ahead what the batch will ask for (one query a table instead of one a row)."""
        self.applied.load(e.case_id for e in events)

    def fresh(self, event: CaseEvent) -> bool:
        """Whether ``event`` is not applied yet (then it counts as applied from now on)."""
        if self.applied.seen(event.case_id, event.event_id):
            return False
        self.applied.add(event.case_id, event.event_id)
        return True

    def mark_failed_applied(self, event: CaseEvent, tx: Connection) -> None:
        """A failed event counts as applied: it is noted once, not retried on every copy."""
        with tx.begin_nested():
            self._begin(tx)
            self.fresh(event)
            self.applied.write()
            self.store.flush(tx)

    def apply(self, event: CaseEvent, tx: Connection, out: BatchOutput) -> None:
        raise NotImplementedError

    def begin_batch(self) -> None:
        """A batch (or its redo) starts: reset what the projection gathers over one batch."""

    def rows_forgotten(self) -> None:
        """The rows in memory were dropped: forget what the projection derived from them."""

    def after_flush(self, tx: Connection, out: BatchOutput) -> None:
        """Work on the rows just written, inside the batch's savepoint; nothing by default."""

    def after_batch(self, tx: Connection, out: BatchOutput) -> None:
        """Work that depends on the whole batch (e.g. deadlines passed); nothing by default."""

    def note_failure(self, record: Record, error: BaseException, tx: Connection) -> None:
        record_failure(self.name, record, error, tx)
