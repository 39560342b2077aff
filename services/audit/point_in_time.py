"""Point-in-time replay: what a case, or an institution's view, looked like at time T.

The archived log is replayed through the very projection that builds the live views
(``InstitutionViews``) into a scratch in-memory database, taking only the events recorded at or
before T, so the answer is the state the views had when they had read exactly those events. One
thing from after T is always applied: an erasure. A person erased later is erased from every
replay, whatever its instant (crypto-shredding would leave nothing to show anyway).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.pool import StaticPool

from consumers import queries
from consumers import runner as runner_tables
from consumers import views as view_tables
from consumers.archive import archive_records, decode_headers
from consumers.event_projection import as_uuid
from consumers.runner import BatchOutput
from consumers.views import InstitutionViews, erase_subject
from schemas import Codec, DecodeError
from schemas.institutions import InstitutionRegistry
from schemas.topics import ACCESS_LOG, CASE_EVENTS, SUBMITTED_BY
from services.bus import Record
from services.platform.sql import sql_engine


def parse_instant(text: str) -> dt.datetime:
    """``2007-03-01T12:00`` (UTC unless an offset is given) as an aware datetime."""
    try:
        instant = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {text!r} (e.g. 2007-03-01T12:00)") from None
    return instant.replace(tzinfo=dt.UTC) if instant.tzinfo is None else instant.astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An archived record with its decoded event (``None`` if it cannot be decoded)."""

    seq: int
    record: Record
    event_type: str | None
    body: dict[str, Any] | None

    @property
    def header(self) -> dict[str, Any]:
        return (self.body or {}).get("header") or {}

    @property
    def recorded_at(self) -> dt.datetime | None:
        return self.header.get("recorded_at")

    def summary(self) -> dict[str, Any]:
        submitted_by = self.record.header(SUBMITTED_BY)
        return {
            "seq": self.seq,
            "position": f"{self.record.topic}/{self.record.partition}@{self.record.offset}",
            "event_type": self.event_type,
            "event_id": str(self.header.get("event_id", "")) or None,
            "occurred_at": self.header.get("occurred_at"),
            "recorded_at": self.recorded_at,
            "published_by": self.header.get("source_institution"),
            "actor_role": self.header.get("actor_role"),
            "submitted_by": submitted_by.decode() if submitted_by else None,
        }


def archived(
    conn: Connection, codec: Codec, *, case_id: str | None = None, topic: str | None = None
) -> Iterator[LoggedEvent]:
    """Archived records in archive order, decoded; of one case (by its key) or one topic."""
    query = select(archive_records).order_by(archive_records.c.seq)
    if case_id is not None:
        query = query.where(archive_records.c.key == case_id.encode())
    if topic is not None:
        query = query.where(archive_records.c.topic == topic)
    for row in conn.execution_options(yield_per=2000).execute(query):
        record = Record(
            row.topic,
            row.partition,
            row.offset,
            row.key,
            row.value,
            decode_headers(row.headers),
            row.timestamp_ms,
        )
        try:
            decoded = codec.decode(row.value or b"")
        except DecodeError:
            yield LoggedEvent(row.seq, record, None, None)
            continue
        yield LoggedEvent(row.seq, record, decoded.event_type, decoded.record)


class Replay:
    """Scratch views built from archived events up to an instant."""

    def __init__(self, codec: Codec, institutions: InstitutionRegistry) -> None:
        self.projection = InstitutionViews(codec, institutions)
        # The project's SQLite setup (explicit BEGIN), so a handler's savepoint rolls back alone.
        engine = sql_engine("sqlite://", poolclass=StaticPool)
        self.conn = engine.connect()
        view_tables.metadata.create_all(self.conn)
        runner_tables.metadata.create_all(self.conn)
        self.conn.commit()

    def apply(self, events: list[LoggedEvent], as_of: dt.datetime) -> list[LoggedEvent]:
        """Apply the case events recorded by ``as_of``; erasures apply whenever they happened."""
        known = [
            e
            for e in events
            if e.record.topic == CASE_EVENTS and e.recorded_at and e.recorded_at <= as_of
        ]
        applied = {e.seq for e in known}
        with self.conn.begin():
            self.projection.apply_batch([e.record for e in known], self.conn, BatchOutput())
            for event in events:
                if event.event_type == "SubjectErased" and event.seq not in applied and event.body:
                    erase_subject(self.conn, as_uuid(event.body["subject_id"]))
        return known

    def close(self) -> None:
        self.conn.close()


def case_as_of(
    archive: Connection,
    codec: Codec,
    institutions: InstitutionRegistry,
    case_id: str,
    as_of: dt.datetime,
    *,
    institution: str | None = None,
) -> dict[str, Any] | None:
    """The case as known at ``as_of`` with its events and identified reads; None if unknown.

    With ``institution``, the case as that institution saw it (None if it took no part then).
    """
    events = list(archived(archive, codec, case_id=as_uuid(case_id)))
    replay = Replay(codec, institutions)
    try:
        known = replay.apply(events, as_of)
        opener = replay.conn.execute(
            select(view_tables.cases.c.opened_by).where(
                view_tables.cases.c.case_id == as_uuid(case_id)
            )
        ).scalar_one_or_none()
        if opener is None:
            return None
        state = queries.case_view(replay.conn, institution or opener, as_uuid(case_id))
        if state is None:
            return None
    finally:
        replay.close()
    accesses = [
        access_summary(e)
        for e in events
        if e.record.topic == ACCESS_LOG and e.recorded_at and e.recorded_at <= as_of
    ]
    return {
        "case_id": as_uuid(case_id),
        "as_of": as_of,
        "state": state,
        "events": [e.summary() for e in known],
        "accesses": accesses,
    }


def view_as_of(
    archive: Connection,
    codec: Codec,
    institutions: InstitutionRegistry,
    institution: str,
    as_of: dt.datetime,
) -> dict[str, Any]:
    """What ``institution`` saw at ``as_of``: its cases, referrals and plan measures."""
    events = list(archived(archive, codec, topic=CASE_EVENTS))
    replay = Replay(codec, institutions)
    try:
        known = replay.apply(events, as_of)
        conn = replay.conn
        cases = queries.cases_for(conn, institution)
        return {
            "institution": institution,
            "as_of": as_of,
            "events_replayed": len(known),
            "cases": [queries.case_view(conn, institution, c["case_id"]) for c in cases],
            "referrals_received": queries.referrals_for(conn, institution),
            "referrals_sent": queries.referrals_for(conn, institution, direction="sent"),
            "plan_measures": queries.plan_measures_for(conn, institution, open_only=False),
        }
    finally:
        replay.close()


def access_summary(event: LoggedEvent) -> dict[str, Any]:
    body = event.body or {}
    return {
        "seq": event.seq,
        "case_id": str(event.header.get("case_id", "")) or None,
        "subject_id": str(body["subject_id"]) if body.get("subject_id") else None,
        "institution": (body.get("accessor_institution") or {}).get("institution_id"),
        "role": body.get("accessor_role"),
        "accessed_at": body.get("accessed_at"),
        "purpose": body.get("purpose"),
        "basis": body.get("access_basis"),
        "resource": body.get("resource"),
        "identified": body.get("identified"),
    }
