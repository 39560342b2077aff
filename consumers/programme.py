"""The programme's own record: agreements, activities and services set up, from ``case-events``.

A projection of the programme events only (``reads_programme``): what the coordinating NGO and
the local governments recorded of their work, kept in tables of their own in the views database
and read by ``consumers.programme_queries``. None of it is about a person: participants are
counts by institution kind and sex. Replayable like any projection of the log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Column, Connection, Date, Integer, MetaData, String, Table, Text

from consumers.event_projection import CaseEvent, EventProjection, as_uuid
from consumers.rows import TableRows
from consumers.runner import BatchOutput
from schemas import Codec

metadata = MetaData()
PUBLIC = "PUBLIC"
"""The institution kind of participants who came from no institution (a tribune's audience)."""


def _id(name: str, primary: bool = False) -> Column[Any]:
    return Column(name, String(120), primary_key=primary, nullable=not primary)


activities = Table(
    "programme_activities",
    metadata,
    _id("activity_id", True),
    _id("programme_id"),
    _id("publisher"),
    Column("kind", String(40), nullable=False),
    Column("topic", String(60), nullable=False),
    Column("seminar_programme", String(30)),
    Column("seminar_days", Integer),
    Column("municipality", String(60)),
    Column("held_from", Date, nullable=False),
    Column("held_until", Date),
    Column("outlet", Text),
    Column("outlet_scope", String(20)),
    Column("medium", String(20)),
    Column("reach", BigInteger),
)
participants = Table(
    "programme_participants",
    metadata,
    _id("activity_id", True),
    Column("institution_kind", String(30), primary_key=True),
    Column("sex", String(10), primary_key=True),
    Column("count", Integer, nullable=False),
)
agreements = Table(
    "programme_agreements",
    metadata,
    _id("agreement_id", True),
    _id("programme_id"),
    _id("signed_by"),
    Column("municipality", String(60)),
    Column("parties", Text, nullable=False),  # institution ids, comma-separated, as amended
    Column("party_kinds", Text, nullable=False),
    Column("scope", Text, nullable=False),
    Column("signed_on", Date, nullable=False),
    Column("in_force_from", Date, nullable=False),
    Column("in_force_until", Date),
    Column("ended_on", Date),
    Column("end_reason", String(30)),
    Column("amendments", Integer, nullable=False, default=0),
)
services = Table(
    "programme_services",
    metadata,
    _id("establishment_id", True),
    _id("programme_id"),
    _id("publisher"),
    Column("service", String(30), nullable=False),
    _id("institution_id"),
    Column("municipality", String(60), nullable=False),
    Column("established_on", Date, nullable=False),
    Column("law_offices", Integer),
    Column("supported_by", Text, nullable=False),
)
ALL_TABLES = (activities, participants, agreements, services)


class ProgrammeRecord(EventProjection):
    """Projection ``programme``: the programme events, and nothing of any case."""

    name: ClassVar[str] = "programme"
    tables = ALL_TABLES
    reads_programme: ClassVar[bool] = True

    def __init__(self, codec: Codec) -> None:
        self.activities = TableRows(activities)
        self.participants = TableRows(participants, groups=("activity_id",))
        self.agreements = TableRows(agreements)
        self.services = TableRows(services)
        super().__init__(codec, self.activities, self.participants, self.agreements, self.services)

    def prepare(self, events: Sequence[CaseEvent]) -> None:
        super().prepare(events)
        held = [as_uuid(e["activity_id"]) for e in events if e.event_type == "ActivityHeld"]
        self.activities.prefetch(held)
        self.participants.prefetch_groups("activity_id", held)

    def apply(self, event: CaseEvent, tx: Connection, out: BatchOutput) -> None:
        # One handler per event type, named after it (``_on_ActivityHeld``).
        handler = getattr(self, f"_on_{event.event_type}", None)
        if handler is not None:
            handler(event)

    def _on_ActivityHeld(self, event: CaseEvent) -> None:
        activity_id = as_uuid(event["activity_id"])
        seminar, media = event.get("seminar") or {}, event.get("media") or {}
        # The same activity recorded again (a corrected spreadsheet row) replaces the first.
        self.activities.put(
            {
                "activity_id": activity_id,
                "programme_id": event.case_id,
                "publisher": event.source,
                "kind": event["kind"],
                "topic": event["topic"],
                "seminar_programme": seminar.get("programme"),
                "seminar_days": seminar.get("days"),
                "municipality": event.get("municipality"),
                "held_from": event["held_from"],
                "held_until": event.get("held_until"),
                "outlet": media.get("outlet"),
                "outlet_scope": media.get("scope"),
                "medium": media.get("medium"),
                "reach": media.get("reach"),
            }
        )
        for row in self.participants.group("activity_id", activity_id):
            self.participants.remove(self.participants.key_of(row))
        counts: dict[tuple[str, str], int] = {}
        for group in event.get("participants") or []:
            key = (group.get("institution_kind") or PUBLIC, group["sex"])
            counts[key] = counts.get(key, 0) + group["count"]
        for (kind, sex), count in sorted(counts.items()):
            self.participants.add(
                {"activity_id": activity_id, "institution_kind": kind, "sex": sex, "count": count}
            )

    def _on_CooperationAgreementSigned(self, event: CaseEvent) -> None:
        self.agreements.put(
            {
                "agreement_id": as_uuid(event["agreement_id"]),
                "programme_id": event.case_id,
                "signed_by": event.source,
                "municipality": event.get("municipality"),
                **_terms(event),
                "signed_on": event["signed_on"],
                "in_force_from": event["in_force_from"],
                "in_force_until": event.get("in_force_until"),
                "ended_on": None,
                "end_reason": None,
                "amendments": 0,
            }
        )

    def _on_CooperationAgreementAmended(self, event: CaseEvent) -> None:
        agreement_id = as_uuid(event["agreement_id"])
        found = self.agreements.get(agreement_id)
        if found is None:
            raise LookupError("an amendment of an agreement this record has not seen signed")
        self.agreements.update(
            agreement_id,
            **_terms(event),
            in_force_until=event.get("in_force_until"),
            amendments=found["amendments"] + 1,
        )

    def _on_CooperationAgreementEnded(self, event: CaseEvent) -> None:
        ended: dt.date = event["ended_on"]
        if not self.agreements.update(
            as_uuid(event["agreement_id"]), ended_on=ended, end_reason=event["reason"]
        ):
            raise LookupError("the end of an agreement this record has not seen signed")

    def _on_ServiceEstablished(self, event: CaseEvent) -> None:
        self.services.put(
            {
                "establishment_id": as_uuid(event["establishment_id"]),
                "programme_id": event.case_id,
                "publisher": event.source,
                "service": event["service"],
                "institution_id": event.get("institution_id"),
                "municipality": event["municipality"],
                "established_on": event["established_on"],
                "law_offices": event.get("law_offices"),
                "supported_by": ",".join(event.get("supported_by") or []),
            }
        )


def _terms(event: CaseEvent) -> dict[str, str]:
    parties = event["parties"]
    return {
        "parties": ",".join(p["institution_id"] for p in parties),
        "party_kinds": ",".join(p["kind"] for p in parties),
        "scope": ",".join(event.get("scope") or []),
    }
