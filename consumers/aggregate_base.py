"""What the regional aggregate's projection stands on: pseudonymous idempotency, failure notes
without content, and sealed clocks.

The shared ``EventProjection`` keeps applied event ids and a failed record's bytes: fine for the
views, wrong here, where an event id links a pseudonym back to the log and the bytes hold the case
id. So this base keeps keyed pseudonyms of the applied event ids with the case's pseudonym, and
notes a failure only by its place in the log and the error's type (an error message may quote an
id).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, delete, insert

from consumers.aggregate_tables import case_events, clocks, failures
from consumers.applied import AppliedEvents
from consumers.event_projection import CaseEvent, EventProjection
from consumers.rows import RowsToInsert, TableRows
from schemas import Codec
from services.bus import Record
from services.platform.pseudonyms import Pseudonymiser

log = logging.getLogger("consumers.aggregate")


@dataclass(frozen=True)
class CaseFacts:
    """A case as the aggregate knows it: its pseudonym, the epoch of that pseudonym, its month."""

    case_ps: str
    epoch: str
    month: str
    review: str | None


class PseudonymousProjection(EventProjection):
    def __init__(
        self, codec: Codec, pseudonyms: Pseudonymiser, *rows: TableRows | RowsToInsert
    ) -> None:
        self.ps = pseudonyms
        self.clocks = TableRows(clocks)
        super().__init__(
            codec,
            *rows,
            self.clocks,
            applied=AppliedEvents(case_events, "case_ps", "event_ps"),
        )
        # Pure in (kind, id, epoch) under this key: the same pseudonyms are asked for by every
        # event of a case, so a bounded memo spares an HMAC each time.
        self._pseudonym = lru_cache(maxsize=16_384)(self.ps.pseudonym)

    def _id(self, kind: str, raw: Any, case: CaseFacts) -> str:
        return self._pseudonym(kind, str(raw), case.epoch)

    # -- idempotency: checked once the event's case is known -----------------------------------

    def prepare(self, events: Any) -> None:
        """Nothing to read ahead by case id: the applied ids are kept by the case's pseudonym."""

    def fresh(self, event: CaseEvent) -> bool:
        return True  # ``apply`` asks ``first_time`` once it has found the case

    def first_time(self, event: CaseEvent, case: CaseFacts) -> bool:
        """Whether ``event`` is not applied to ``case`` yet (then it counts as applied)."""
        event_ps = self.ps.pseudonym("event", event.event_id, "all")
        if self.applied.seen(case.case_ps, event_ps):
            return False
        self.applied.add(case.case_ps, event_ps)
        return True

    def mark_failed_applied(self, event: CaseEvent, tx: Connection) -> None:
        """A failed event is noted by its place; with no case found there is nothing to key
        its pseudonym by, and a copy of it is noted again."""

    def note_failure(self, record: Record, error: BaseException, tx: Connection) -> None:
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

    def _set_clock(self, kind: str, raw: Any, case: CaseFacts, at: dt.datetime) -> None:
        clock_ps = self._clock_ps(kind, raw, case)
        sealed = self.ps.seal_instant(kind, raw, case.epoch, at)
        self.clocks.put({"clock_ps": clock_ps, "sealed_at": sealed})

    def _clock(self, kind: str, raw: Any, case: CaseFacts) -> dt.datetime | None:
        row = self.clocks.get(self._clock_ps(kind, raw, case))
        if row is None:
            return None
        return self.ps.open_instant(kind, raw, case.epoch, row["sealed_at"])

    def _drop_clock(self, kind: str, raw: Any, case: CaseFacts) -> None:
        self.clocks.remove(self._clock_ps(kind, raw, case))
