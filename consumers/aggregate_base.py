"""What the regional aggregate's projection stands on: pseudonymous idempotency, failure notes
without content, and sealed clocks.

The shared ``EventProjection`` keeps applied event ids and a failed record's bytes: fine for the
views, wrong here, where an event id links a pseudonym back to the log and the bytes hold the case
id. So this base keeps a keyed pseudonym of each applied event id, and notes a failure only by its
place in the log and the error's type (an error message may quote an id).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select

from consumers.aggregate_tables import applied, clocks, failures
from consumers.events import CaseEvent, EventProjection, decode_memo
from consumers.runner import Outbox, is_outage
from schemas import Codec, DecodeError
from services.bus import Record
from services.pseudonyms import Pseudonymiser

log = logging.getLogger("consumers.aggregate")

# Built once: SQLAlchemy memoises a statement's cache key on the object, so a reused statement
# skips the construction and key generation that cost more than SQLite's own work per event.
_READ_CLOCK = select(clocks.c.sealed_at).where(clocks.c.clock_ps == bindparam("key"))
_DROP_CLOCK = delete(clocks).where(clocks.c.clock_ps == bindparam("key"))
_ADD_CLOCK = insert(clocks)


@dataclass(frozen=True)
class CaseFacts:
    """A case as the aggregate knows it: its pseudonym, the epoch of that pseudonym, its month."""

    case_ps: str
    epoch: str
    month: str
    review: str | None


class PseudonymousProjection(EventProjection):
    def __init__(self, codec: Codec, pseudonyms: Pseudonymiser) -> None:
        super().__init__(codec)
        self.ps = pseudonyms
        self._clocks: dict[str, int | None] = {}

    def begin_batch(self) -> None:
        # Sealed clocks read or written in this batch; forgotten whenever work may roll back.
        self._clocks = {}

    def _id(self, kind: str, raw: Any, case: CaseFacts) -> str:
        return self.ps.pseudonym(kind, raw, case.epoch)

    # -- the batch: our own idempotency and failure notes, free of raw ids --------------------

    def apply_batch(self, records: Sequence[Record], tx: Connection, out: Outbox) -> None:
        events: list[tuple[CaseEvent, str]] = []
        for record in records:
            try:
                decoded = decode_memo.decode(self.codec, record.value or b"")
            except DecodeError as error:
                self._failed(record, error, tx)
                continue
            event = CaseEvent(record, decoded.event_type, decoded.record)
            events.append((event, self.ps.pseudonym("event", event.event_id, "all")))
        fresh = self._not_yet_applied_pseudonymous(events, tx)
        published = len(out.messages)
        self.begin_batch()
        try:
            # The whole batch under one savepoint (a savepoint per event costs more than the
            # event); only if an event fails is the batch redone event by event, so the failing
            # one is noted and the others still apply.
            with tx.begin_nested():
                for event, _ in fresh:
                    self.apply(event, tx, out)
        except Exception as error:
            if is_outage(error):
                raise  # the database went away: the batch is retried, no event is blamed
            del out.messages[published:]
            for event, _ in fresh:
                sent = len(out.messages)
                self.begin_batch()  # a rolled-back event leaves nothing remembered behind
                try:
                    with tx.begin_nested():
                        self.apply(event, tx, out)
                except Exception as error:
                    if is_outage(error):
                        raise
                    del out.messages[sent:]
                    self._failed(event.record, error, tx)
        if fresh:
            tx.execute(insert(applied), [{"event_ps": event_ps} for _, event_ps in fresh])

    def _not_yet_applied_pseudonymous(
        self, events: list[tuple[CaseEvent, str]], tx: Connection
    ) -> list[tuple[CaseEvent, str]]:
        """The batch's events not applied before, each once: one query for the whole batch."""
        seen = set(
            tx.execute(
                select(applied.c.event_ps).where(
                    applied.c.event_ps.in_([event_ps for _, event_ps in events])
                )
            ).scalars()
        )
        fresh = []
        for event, event_ps in events:
            if event_ps not in seen:
                seen.add(event_ps)
                fresh.append((event, event_ps))
        return fresh

    def _failed(self, record: Record, error: BaseException, tx: Connection) -> None:
        kind = type(error).__name__
        log.error(
            "aggregate: cannot apply %s/%s@%s: %s", *record.topic_partition, record.offset, kind
        )
        where = (
            (failures.c.topic == record.topic)
            & (failures.c.partition == record.partition)
            & (failures.c.offset == record.offset)
        )
        tx.execute(delete(failures).where(where))
        tx.execute(
            insert(failures).values(
                topic=record.topic, partition=record.partition, offset=record.offset, error=kind
            )
        )

    # -- sealed clocks ----------------------------------------------------------------------

    def _clock_ps(self, kind: str, raw: Any, case: CaseFacts) -> str:
        return self._id(f"clock/{kind}", raw, case)

    def _set_clock(
        self, tx: Connection, kind: str, raw: Any, case: CaseFacts, at: dt.datetime
    ) -> None:
        clock_ps = self._clock_ps(kind, raw, case)
        sealed = self.ps.seal_instant(kind, raw, case.epoch, at)
        tx.execute(_DROP_CLOCK, {"key": clock_ps})
        tx.execute(_ADD_CLOCK, {"clock_ps": clock_ps, "sealed_at": sealed})
        self._clocks[clock_ps] = sealed

    def _clock(self, tx: Connection, kind: str, raw: Any, case: CaseFacts) -> dt.datetime | None:
        clock_ps = self._clock_ps(kind, raw, case)
        if clock_ps in self._clocks:
            sealed = self._clocks[clock_ps]
        else:
            sealed = tx.execute(_READ_CLOCK, {"key": clock_ps}).scalar_one_or_none()
            self._clocks[clock_ps] = sealed
        return None if sealed is None else self.ps.open_instant(kind, raw, case.epoch, sealed)

    def _drop_clock(self, tx: Connection, kind: str, raw: Any, case: CaseFacts) -> None:
        clock_ps = self._clock_ps(kind, raw, case)
        tx.execute(_DROP_CLOCK, {"key": clock_ps})
        self._clocks[clock_ps] = None
