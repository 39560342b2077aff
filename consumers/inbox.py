"""Referral inboxes: every event an institution must act on is pushed to ``inbox.<institution>``.

A referral to it, a plan measure it executes, a conference it is invited to, a proposal its court
must decide, or any update on a case it takes part in: its own system receives the event itself
(the canonical bytes) with a header saying why, and no phone call is needed.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, MetaData, String, Table, bindparam, select

from consumers.events import CaseEvent, EventProjection
from consumers.participation import (
    NEEDS_MUNICIPALITY,
    OPENING_EVENTS,
    add_participants,
    end_referral_participation,
    participation_change,
)
from consumers.runner import Outbox
from schemas import Codec
from services.institutions import InstitutionRegistry

metadata = MetaData()
inbox_participants = Table(
    "inbox_participants",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("institution", String(120), primary_key=True),
    Column("role", String(30), primary_key=True),
    Column("via", String(36), primary_key=True),
)
inbox_cases = Table(
    "inbox_cases",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("municipality", String(60)),
)


def inbox_topic(institution: str) -> str:
    return f"inbox.{institution}"


def addressed(event: CaseEvent) -> dict[str, str]:
    """Institutions an event asks to act, with the reason (beyond being a participant)."""
    body, kind = event.body, event.event_type
    if kind == "ReferralSent":
        return {body["to_institution"]: "referral"}
    if kind == "ExtensionProposed":
        return {body["court_institution_id"]: "extension-proposal"}
    if kind == "CaseConferenceScheduled":
        invited = [body["chair_institution"]["institution_id"], *body["invited_institution_ids"]]
        return dict.fromkeys(invited, "conference-invitation")
    if kind == "ProtectionPlanAdopted":
        return {
            m["executor_institution"]["institution_id"]: "plan-measure" for m in body["measures"]
        }
    return {}


# Built once: a reused statement's cache key is memoised by SQLAlchemy.
_PARTICIPANTS = (
    select(inbox_participants.c.institution)
    .where(inbox_participants.c.case_id == bindparam("case_id"))
    .distinct()
)
_MUNICIPALITY = select(inbox_cases.c.municipality).where(
    inbox_cases.c.case_id == bindparam("case_id")
)
_ADD_CASE = inbox_cases.insert()


class Inboxes(EventProjection):
    name = "inbox"
    on_data_path = True  # a referral waits here for its recipient: the runner never lingers
    tables = (inbox_participants, inbox_cases)

    def __init__(self, codec: Codec, institutions: InstitutionRegistry) -> None:
        super().__init__(codec)
        self.institutions = institutions
        self.begin_batch()

    def apply(self, event: CaseEvent, tx: Connection, out: Outbox) -> None:
        municipality = (
            self._municipality(event, tx)
            if event.event_type in OPENING_EVENTS | NEEDS_MUNICIPALITY
            else None
        )
        change = participation_change(
            event.event_type,
            event.body,
            case_municipality=municipality,
            serving=self.institutions.serving_id,
        )
        add_participants(tx, inbox_participants, event.case_id, change.added)
        members = self._participants(event.case_id, tx)
        members |= {p.institution for p in change.added}
        recipients = dict.fromkeys(sorted(members), "case-update")
        recipients |= {p.institution: "statutory" for p in change.added if p.role == "statutory"}
        recipients |= addressed(event)
        recipients.pop(event.source, None)  # the source knows what it published
        for institution, reason in sorted(recipients.items()):
            out.publish(
                inbox_topic(institution),
                event.case_id.encode(),
                event.record.value,
                [
                    ("event-type", event.event_type.encode()),
                    ("event-id", event.event_id.encode()),
                    ("inbox-reason", reason.encode()),
                ],
            )
        if change.ended_referral:
            end_referral_participation(tx, inbox_participants, event.case_id, change.ended_referral)
            self._members.pop(event.case_id, None)  # another participation may keep it in

    def begin_batch(self) -> None:
        # Participants and municipalities of the cases seen in this batch (cleared when a batch
        # starts or is redone: what a rolled-back batch read may not stand).
        self._members: dict[str, set[str]] = {}
        self._municipalities: dict[str, str | None] = {}

    def _participants(self, case_id: str, tx: Connection) -> set[str]:
        if case_id not in self._members:
            self._members[case_id] = set(tx.execute(_PARTICIPANTS, {"case_id": case_id}).scalars())
        return self._members[case_id]

    def _municipality(self, event: CaseEvent, tx: Connection) -> str | None:
        case_id = event.case_id
        if case_id in self._municipalities:
            return self._municipalities[case_id]
        found = tx.execute(_MUNICIPALITY, {"case_id": case_id}).first()
        if found is None:
            # Not remembered: if this event's savepoint is rolled back, the next one inserts it.
            municipality: str | None = event.get("municipality")
            tx.execute(_ADD_CASE, {"case_id": case_id, "municipality": municipality})
            return municipality
        self._municipalities[case_id] = found.municipality
        return found.municipality  # type: ignore[no-any-return]
