"""Accepted events a broker lost before the archive kept them, put back on case-events in order.

``povezimo restore`` rebuilds case-events from the archive, which runs behind the log: what the
exchange accepted after the archive's last record is on no store of the platform, only in the
institutions' outboxes. The restore lists those events here (``lost``), with their original
place in the log where a projection that read further than the archive saw them (``ordinal``).
When an outbox sends one again, the exchange does not drop it as an accepted duplicate: it parks
the bytes here. A case's parked events go out once every lost event of that case is back, in
their original order (events no projection saw come after, as they were later in the log), and
a new event of such a case waits behind them: a projection must never read a case's events in
another order than the exchange accepted them (a deadline met before it started is not met).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)

from consumers.archive import decode_headers, encode_headers
from consumers.runner import BatchOutput
from schemas.topics import CASE_EVENTS
from services.bus import Headers

metadata = MetaData()
resend_queue_table = Table(
    "exchange_resend_queue",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("case_id", String(36), nullable=False, index=True),
    Column("lost", Boolean, nullable=False),  # lost from case-events, or new and waiting
    Column("ordinal", BigInteger, nullable=True),  # the original place, where one was seen
    Column("arrived", BigInteger, nullable=True),  # order of arrival, within the case
    Column("value", LargeBinary, nullable=True),  # the bytes, once the outbox sent them again
    Column("headers", LargeBinary, nullable=True),
)
_ANY_QUEUED = select(resend_queue_table.c.event_id).limit(1)  # built once: asked every batch
_CHUNK = 500


class ResendQueue:
    """The queue as one exchange batch sees it (reads cached, writes in the batch's transaction)."""

    def __init__(self, tx: Connection) -> None:
        self.tx = tx
        self._lost: dict[str, bool] = {}  # event_id → still lost
        self._held: dict[str, bool] = {}  # case_id → has a lost event not yet back
        self._empty: bool | None = None  # the usual case: no restore under way

    def preload(self, event_ids: Iterable[str], case_ids: Iterable[str]) -> None:
        column = resend_queue_table.c
        if self._empty is None:
            self._empty = self.tx.execute(_ANY_QUEUED).first() is None
        if self._empty:
            self._lost.update(dict.fromkeys(event_ids, False))
            self._held.update(dict.fromkeys(case_ids, False))
            return
        for chunk in _chunks(event_ids):
            self._lost.update(dict.fromkeys(chunk, False))
            found = self.tx.execute(
                select(column.event_id).where(column.event_id.in_(chunk), _missing())
            ).scalars()
            self._lost.update(dict.fromkeys(found, True))
        for chunk in _chunks(case_ids):
            self._held.update(dict.fromkeys(chunk, False))
            found = self.tx.execute(
                select(column.case_id).where(column.case_id.in_(chunk), _missing())
            ).scalars()
            self._held.update(dict.fromkeys(found, True))

    def is_lost(self, event_id: str) -> bool:
        """An accepted event whose case-events record was lost and has not come back yet."""
        if event_id not in self._lost:
            self.preload([event_id], [])
        return self._lost[event_id]

    def holds(self, case_id: str) -> bool:
        """New events of this case must wait: one of its lost events has not come back."""
        if case_id not in self._held:
            self.preload([], [case_id])
        return self._held[case_id]

    def came_back(self, event_id: str, case_id: str, value: bytes | None, headers: Headers) -> None:
        self._lost[event_id] = False
        self.tx.execute(
            update(resend_queue_table)
            .where(resend_queue_table.c.event_id == event_id)
            .values(value=value, headers=encode_headers(headers), arrived=self._next(case_id))
        )

    def wait(self, event_id: str, case_id: str, value: bytes | None, headers: Headers) -> None:
        """A new event of a held case: it goes out after the case's lost events."""
        self._empty = False
        self.tx.execute(
            insert(resend_queue_table).values(
                event_id=event_id, case_id=case_id, lost=False, value=value,
                headers=encode_headers(headers), arrived=self._next(case_id),
            )
        )  # fmt: skip

    def release(self, case_id: str, out: BatchOutput) -> int:
        """Publish the case's queue in order if every lost event is back; returns how many."""
        column = resend_queue_table.c
        missing = self.tx.execute(
            select(func.count()).where(column.case_id == case_id, _missing())
        ).scalar_one()
        self._held[case_id] = bool(missing)
        if missing:
            return 0
        rows = self.tx.execute(
            select(column.value, column.headers)
            .where(column.case_id == case_id)
            .order_by(column.lost.desc(), column.ordinal.is_(None), column.ordinal, column.arrived)
        ).all()
        for value, headers in rows:
            out.publish(CASE_EVENTS, case_id.encode(), value, decode_headers(headers))
        self.tx.execute(delete(resend_queue_table).where(column.case_id == case_id))
        return len(rows)

    def _next(self, case_id: str) -> int:
        last = self.tx.execute(
            select(func.max(resend_queue_table.c.arrived)).where(
                resend_queue_table.c.case_id == case_id
            )
        ).scalar_one()
        return int(last or 0) + 1


def _missing() -> Any:
    """Rows of lost events whose bytes have not come back."""
    return resend_queue_table.c.lost.is_(True) & resend_queue_table.c.value.is_(None)


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(set(values))
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
