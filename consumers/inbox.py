"""Referral inboxes: every event an institution must act on is pushed to ``inbox.<institution>``.

A referral to it, a plan measure it executes, a conference it is invited to, a proposal its court
must decide, or any update on a case it takes part in: its own system receives the event itself
(the canonical bytes) with a header saying why, and no phone call is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from sqlalchemy import Column, Connection, MetaData, String, Table

from consumers.event_projection import CaseEvent, EventProjection
from consumers.participation import (
    NEEDS_MUNICIPALITY,
    OPENING_EVENTS,
    Change,
    add_participants,
    end_referral_participation,
)
from consumers.rows import TableRows
from consumers.runner import BatchOutput
from schemas import Codec
from schemas.institutions import InstitutionRegistry
from schemas.topics import EVENT_ID, EVENT_TYPE, INBOX_REASON, inbox_topic

metadata = MetaData()
inbox_participants = Table(
    "inbox_participants",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("institution", String(120), primary_key=True),
    Column("role", String(30), primary_key=True),
    Column("via", String(36), primary_key=True),
    sqlite_with_rowid=False,  # every column is the key: the row is kept once, in its B-tree
)
inbox_cases = Table(
    "inbox_cases",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("municipality", String(60)),
)


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


class Inboxes(EventProjection):
    name = "inbox"
    # A referral waits here for its recipient: the runner never lingers.
    on_data_path: ClassVar[bool] = True
    tables = (inbox_participants, inbox_cases)

    def __init__(self, codec: Codec, institutions: InstitutionRegistry) -> None:
        self.participants = TableRows(inbox_participants, groups=("case_id",))
        self.cases = TableRows(inbox_cases)
        super().__init__(codec, self.participants, self.cases)
        self.institutions = institutions

    def prepare(self, events: Sequence[CaseEvent]) -> None:
        super().prepare(events)
        case_ids = [e.case_id for e in events]
        self.participants.prefetch_groups("case_id", case_ids)
        self.cases.prefetch(case_ids)

    def apply(self, event: CaseEvent, tx: Connection, out: BatchOutput) -> None:
        municipality = (
            self._municipality(event)
            if event.event_type in OPENING_EVENTS or event.event_type in NEEDS_MUNICIPALITY
            else None
        )
        change = event.participation(municipality, self.institutions)
        add_participants(self.participants, event.case_id, change.added)
        if self.publishing:
            self._push(event, change, out)
        if change.ended_referral:
            end_referral_participation(self.participants, event.case_id, change.ended_referral)

    def _push(self, event: CaseEvent, change: Change, out: BatchOutput) -> None:
        """The event itself to every participant but its source, with the reason."""
        members = {row["institution"] for row in self.participants.group("case_id", event.case_id)}
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
                    (EVENT_TYPE, event.event_type.encode()),
                    (EVENT_ID, event.event_id.encode()),
                    (INBOX_REASON, reason.encode()),
                ],
            )

    def _municipality(self, event: CaseEvent) -> str | None:
        case = self.cases.get(event.case_id)
        if case is None:
            municipality: str | None = event.get("municipality")
            self.cases.add({"case_id": event.case_id, "municipality": municipality})
            return municipality
        found: str | None = case["municipality"]
        return found
