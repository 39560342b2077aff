"""The deadline watcher: referral answers and statutory deadlines, judged in event time.

Its clock is the latest ``recorded_at`` in ``case-events``, never the wall, so a replay of the same
log gives the same verdicts. A referral left unanswered past its due time gets a ``ReferralExpired``
submitted by the platform (with an id derived from the referral, so re-emitting it is harmless);
a statutory deadline missed or met late is flagged in ``deadline_verdicts``:

- the prosecutor's extension proposal, 24 h after the urgent measure is served (LPDV Art. 18);
- the court's decision, 24 h after the proposal (Art. 19);
- the coordination group's review, 15 days after an imminent-danger assessment (Art. 25, 31).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    case,
    delete,
    insert,
    select,
)

from consumers import deadlines
from consumers.events import CaseEvent, EventProjection, as_uuid
from consumers.runner import Outbox
from producers.events import PLATFORM_INSTITUTION, new_event, new_header
from services.sql import UtcDateTime

_EXPIRY_IDS = uuid.UUID("0b7e2f61-3f0c-4d8e-9c1a-2a6b5e4d7c90")
PLATFORM_SUBMISSIONS = f"submissions.{PLATFORM_INSTITUTION}"

metadata = MetaData()
open_deadlines = Table(
    "deadline_open",
    metadata,
    Column("kind", String(30), primary_key=True),
    Column("ref", String(36), primary_key=True),
    Column("case_id", String(36), nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("recipient", String(120)),  # referrals: whose answer is awaited
    Column("cause_event_id", String(36)),  # the event that started the clock
)
verdicts = Table(
    "deadline_verdicts",
    metadata,
    Column("kind", String(30), primary_key=True),
    Column("ref", String(36), primary_key=True),
    Column("case_id", String(36), nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("met_at", UtcDateTime),
    Column("status", String(10), nullable=False),
)
clock = Table(
    "deadline_clock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("now", UtcDateTime, nullable=False),
)

# event type → (deadline kind it meets, the field naming what it belongs to, field of the time)
_MEETS: dict[str, tuple[str, str, str | None]] = {
    "ReferralAccepted": ("referral_answer", "referral_id", None),
    "ReferralDeclined": ("referral_answer", "referral_id", None),
    "ExtensionProposed": ("extension_proposal", "measure_id", "proposed_at"),
    "ExtensionDecided": ("extension_decision", "measure_id", "decided_at"),
}


class DeadlineWatcher(EventProjection):
    name = "deadlines"
    tables = (open_deadlines, verdicts, clock)

    def apply(self, event: CaseEvent, tx: Connection, out: Outbox) -> None:
        self._apply(event, tx)
        # Last, so an event that fails to apply does not move the clock either.
        self._advance_clock(event.recorded_at, tx)

    def _apply(self, event: CaseEvent, tx: Connection) -> None:
        kind = event.event_type
        if kind == "ReferralSent":
            due = deadlines.referral_due(event.occurred_at, event["urgency"], event.get("due_at"))
            self._open(
                tx, "referral_answer", event["referral_id"], event, due, event["to_institution"]
            )
        elif kind == "UrgentMeasureServed":
            due = deadlines.extension_proposal_due(event["served_at"])
            self._open(tx, "extension_proposal", event["measure_id"], event, due)
        elif kind == "RiskAssessed" and event["level"] == "IMMINENT_DANGER":
            if not self._case_has_open(tx, "coordination_review", event.case_id):
                due = deadlines.coordination_review_due(event.occurred_at)
                self._open(tx, "coordination_review", event["assessment_id"], event, due)
        elif kind in {"CaseConferenceScheduled", "CaseConferenceHeld"}:
            for ref in self._refs_awaiting(tx, "coordination_review", event.case_id):
                self._meet(tx, "coordination_review", ref, event.occurred_at)
        elif kind == "ReferralExpired":
            self._meet(tx, "referral_answer", as_uuid(event["referral_id"]), None)
        elif kind == "ReferralRevoked":
            self._cancel(tx, "referral_answer", as_uuid(event["referral_id"]))
        if kind in _MEETS:
            deadline_kind, ref_field, time_field = _MEETS[kind]
            met_at = event[time_field] if time_field else event.occurred_at
            self._meet(tx, deadline_kind, as_uuid(event[ref_field]), met_at)
        if kind == "ExtensionProposed":
            due = deadlines.extension_decision_due(event["proposed_at"])
            self._open(tx, "extension_decision", event["measure_id"], event, due)

    def after_batch(self, tx: Connection, out: Outbox) -> None:
        now = self._store_clock(tx)
        if now is not None:
            self.judge_passed(tx, out, now)

    def judge_passed(self, tx: Connection, out: Outbox, now: dt.datetime) -> None:
        """Deadlines whose time has passed: flag statutory ones, expire referrals."""
        passed = tx.execute(
            select(open_deadlines)
            .where(open_deadlines.c.due_at < now)
            .order_by(open_deadlines.c.due_at, open_deadlines.c.ref)
        ).all()
        for row in passed:
            if row.kind == "referral_answer":
                # Judged when the expiry comes back through the log, as every other event.
                out.publish(PLATFORM_SUBMISSIONS, row.case_id.encode(), self._expiry(row))
            else:
                self._verdict(tx, row, None, "missed")
                tx.execute(_where_deadline(delete(open_deadlines), row.kind, row.ref))

    def _expiry(self, row: Any) -> bytes:
        referral_id = uuid.UUID(row.ref)
        header = new_header(
            "ReferralExpired",
            case_id=uuid.UUID(row.case_id),
            source=PLATFORM_INSTITUTION,
            occurred_at=row.due_at,
            actor_role="PLATFORM_SYSTEM",
            causation_id=uuid.UUID(row.cause_event_id),
            event_id=uuid.uuid5(_EXPIRY_IDS, row.ref),
        )
        event = new_event(
            "ReferralExpired",
            header,
            referral_id=referral_id,
            to_institution=row.recipient,
            due_at=row.due_at,
            expired_at=row.due_at,
        )
        return self.codec.encode("ReferralExpired", event.to_avro())

    # -- bookkeeping -------------------------------------------------------------------------

    def begin_batch(self) -> None:
        self._latest: dt.datetime | None = None

    def _advance_clock(self, moment: dt.datetime, tx: Connection) -> None:
        """Remember the latest time of the batch; ``after_batch`` moves the stored clock once."""
        latest = getattr(self, "_latest", None)
        self._latest = moment if latest is None or moment > latest else latest

    def _store_clock(self, tx: Connection) -> dt.datetime | None:
        now = tx.execute(select(clock.c.now).where(clock.c.id == 1)).scalar_one_or_none()
        latest = getattr(self, "_latest", None)
        if latest is not None and now is None:
            tx.execute(insert(clock), {"id": 1, "now": latest})
            now = latest
        elif latest is not None and now is not None and latest > now:
            tx.execute(clock.update().where(clock.c.id == 1).values(now=latest))
            now = latest
        self._latest = None
        return now  # type: ignore[no-any-return]

    def _open(
        self,
        tx: Connection,
        kind: str,
        ref: Any,
        event: CaseEvent,
        due: dt.datetime,
        recipient: str | None = None,
    ) -> None:
        tx.execute(
            insert(open_deadlines),
            dict(
                kind=kind,
                ref=as_uuid(ref),
                case_id=event.case_id,
                due_at=due,
                recipient=recipient,
                cause_event_id=event.event_id,
            ),
        )

    def _meet(self, tx: Connection, kind: str, ref: str, met_at: dt.datetime | None) -> None:
        key = {"key_kind": kind, "key_ref": ref}
        row = tx.execute(_FIND_OPEN, key).first()
        if row is not None:
            status = "missed" if met_at is None else ("met" if met_at <= row.due_at else "late")
            self._verdict(tx, row, met_at, status)
            tx.execute(_DROP_OPEN, key)
            return
        if met_at is not None:
            # Flagged missed before the answer arrived: the clock is the latest time seen on any
            # partition, so another case can move it past this due time first. The answer's own
            # time decides, as it would have without that race, so any batching gives one verdict.
            tx.execute(_MEET_MISSED, {**key, "met": met_at})

    def _cancel(self, tx: Connection, kind: str, ref: str) -> None:
        tx.execute(_DROP_OPEN, {"key_kind": kind, "key_ref": ref})

    def _verdict(self, tx: Connection, row: Any, met_at: dt.datetime | None, status: str) -> None:
        tx.execute(
            insert(verdicts),
            dict(
                kind=row.kind,
                ref=row.ref,
                case_id=row.case_id,
                due_at=row.due_at,
                met_at=met_at,
                status=status,
            ),
        )

    def _open_refs(self, tx: Connection, kind: str, case_id: str) -> list[str]:
        return list(tx.execute(_OPEN_REFS, {"key_kind": kind, "key_case": case_id}).scalars())

    def _refs_awaiting(self, tx: Connection, kind: str, case_id: str) -> list[str]:
        """Deadlines of a case still open or flagged missed: both can still be met."""
        flagged = tx.execute(_MISSED_REFS, {"key_kind": kind, "key_case": case_id}).scalars()
        return sorted({*self._open_refs(tx, kind, case_id), *flagged})

    def _case_has_open(self, tx: Connection, kind: str, case_id: str) -> bool:
        return bool(self._open_refs(tx, kind, case_id))


def _where_deadline(statement: Any, kind: str, ref: str, table: Table = open_deadlines) -> Any:
    return statement.where(table.c.kind == kind).where(table.c.ref == ref)


# The per-event statements of ``_meet`` and ``_cancel``, built once with bound keys: SQLAlchemy
# memoises a reused statement's cache key instead of rebuilding statement and key per event.
_FIND_OPEN = _where_deadline(select(open_deadlines), bindparam("key_kind"), bindparam("key_ref"))
_DROP_OPEN = _where_deadline(delete(open_deadlines), bindparam("key_kind"), bindparam("key_ref"))
_MET = bindparam("met", type_=UtcDateTime())
_MEET_MISSED = (
    _where_deadline(verdicts.update(), bindparam("key_kind"), bindparam("key_ref"), table=verdicts)
    .where(verdicts.c.status == "missed")
    .values(
        met_at=_MET,
        status=case((verdicts.c.due_at >= _MET, "met"), else_="late"),
    )
)
_OPEN_REFS = (
    select(open_deadlines.c.ref)
    .where(open_deadlines.c.kind == bindparam("key_kind"))
    .where(open_deadlines.c.case_id == bindparam("key_case"))
)
_MISSED_REFS = (
    select(verdicts.c.ref)
    .where(verdicts.c.kind == bindparam("key_kind"))
    .where(verdicts.c.case_id == bindparam("key_case"))
    .where(verdicts.c.status == "missed")
)
