"""Institution views: what each participant of a case needs to act, and nothing about others.

One projection of ``case-events`` into tables of cases, participants, subjects (pseudonymous
references only: the sealed identifiers never leave the vault), referrals with their due times,
urgent measures with their 48 h / 24 h / 30-day clocks, conferences, protection plans and a
timeline per case. ``consumers.queries`` reads them for one institution at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    update,
)

from consumers import deadlines
from consumers.event_projection import CaseEvent, EventProjection, as_uuid
from consumers.participation import (
    NEEDS_MUNICIPALITY,
    add_participants,
    end_referral_participation,
)
from consumers.referrals import SENT, TRANSITIONS
from consumers.rows import RowsToInsert, TableRows
from consumers.runner import BatchOutput
from schemas import Codec
from schemas.institutions import InstitutionRegistry
from services.platform.sql import UtcDateTime, reader_index

metadata = MetaData()


def _id(name: str, primary: bool = False) -> Column[Any]:
    return Column(name, String(120), primary_key=primary, nullable=not primary)


cases = Table(
    "view_cases",
    metadata,
    _id("case_id", True),
    _id("opened_by"),
    Column("opened_at", UtcDateTime),
    Column("municipality", String(60)),
    Column("status", String(10), nullable=False),
    Column("risk_level", String(20)),
    Column("children_present", Boolean),
    Column("violence_types", Text),
    Column("closed_at", UtcDateTime),
)
participants = Table(
    "view_participants",
    metadata,
    _id("case_id", True),
    _id("institution", True),
    Column("role", String(30), primary_key=True),
    _id("via", True),
    # The cases an institution takes part in (its case list), without a scan of every case.
    reader_index("view_participants_institution", "institution", "case_id"),
    # Every column is the key: SQLite keeps such a row once, in the key's B-tree.
    sqlite_with_rowid=False,
)
subjects = Table(
    "view_subjects",
    metadata,
    _id("case_id", True),
    _id("subject_id", True),
    Column("role", String(20)),
    Column("sex", String(10)),
    Column("birth_year", Integer),
    Column("municipality", String(60)),
    Column("erased", Boolean, nullable=False, default=False),
    Index("view_subjects_subject", "subject_id"),  # erasure and identification by person
)
referrals = Table(
    "view_referrals",
    metadata,
    _id("referral_id", True),
    _id("case_id"),
    _id("sender"),
    _id("recipient"),
    Column("service_type", String(40)),
    Column("urgency", String(5)),
    Column("status", String(12), nullable=False),
    Column("sent_at", UtcDateTime),
    Column("due_at", UtcDateTime),
    Column("answered_at", UtcDateTime),
    Column("completed_at", UtcDateTime),
    Column("reason_code", String(40)),
    # A case's referrals, and the referrals an institution received or sent, by due time.
    reader_index("view_referrals_case", "case_id"),
    reader_index("view_referrals_recipient", "recipient", "due_at"),
    reader_index("view_referrals_sender", "sender", "due_at"),
)
urgent_measures = Table(
    "view_urgent_measures",
    metadata,
    _id("measure_id", True),
    _id("case_id"),
    Column("measure_type", String(40)),
    Column("imposed_at", UtcDateTime),
    Column("served_at", UtcDateTime),
    Column("expires_at", UtcDateTime),
    Column("proposal_due_at", UtcDateTime),
    Column("proposed_at", UtcDateTime),
    Column("decision_due_at", UtcDateTime),
    Column("decided_at", UtcDateTime),
    Column("granted", Boolean),
    Column("extended_until", UtcDateTime),
    Column("breaches", Integer, nullable=False, default=0),
    reader_index("view_urgent_measures_case", "case_id"),
)
conferences = Table(
    "view_conferences",
    metadata,
    _id("conference_id", True),
    _id("case_id"),
    _id("chair"),
    Column("agenda_reason", String(40)),
    Column("scheduled_for", UtcDateTime),
    Column("held_at", UtcDateTime),
    Column("victim_participated", Boolean),
    reader_index("view_conferences_case", "case_id"),
)
plans = Table(
    "view_plans",
    metadata,
    _id("plan_id", True),
    _id("case_id"),
    Column("adopted_at", UtcDateTime),
    Column("review_due_at", UtcDateTime),
    Column("victim_participated", Boolean),
    reader_index("view_plans_case", "case_id"),
)
plan_measures = Table(
    "view_plan_measures",
    metadata,
    _id("measure_id", True),
    _id("plan_id"),
    _id("case_id"),
    _id("executor"),
    Column("kind", String(40)),
    Column("due_at", UtcDateTime),
    Column("completed_at", UtcDateTime),
    Column("outcome", String(30)),
    reader_index("view_plan_measures_case", "case_id"),
    reader_index("view_plan_measures_executor", "executor", "due_at"),
)
# Rows in the order they are written (no key of their own): keyed by the random event id, every
# insert went to a random page of a B-tree as large as the log, and at a million events a rebuild
# spent more time there than on any other table. Both indexes are the readers'.
timeline = Table(
    "view_timeline",
    metadata,
    Column("event_id", String(120), nullable=False),
    _id("case_id"),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("event_type", String(60), nullable=False),
    _id("source_institution"),
    # One case's events in log order: a timeline read must not scan every event of the region.
    reader_index("view_timeline_case", "case_id", "offset"),
    # An event at most once; a restore looks events up by id.
    reader_index("view_timeline_event", "event_id", unique=True),
)
ALL_TABLES = (
    cases,
    participants,
    subjects,
    referrals,
    urgent_measures,
    conferences,
    plans,
    plan_measures,
    timeline,
)

Handler = Callable[["InstitutionViews", CaseEvent], None]
_HANDLERS: dict[str, Handler] = {}


def handles(*event_types: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for event_type in event_types:
            _HANDLERS[event_type] = handler
        return handler

    return register


class InstitutionViews(EventProjection):
    name = "views"
    tables = ALL_TABLES

    def __init__(self, codec: Codec, institutions: InstitutionRegistry) -> None:
        self.cases = TableRows(cases)
        self.participants = TableRows(participants, groups=("case_id",))
        self.subjects = TableRows(subjects, groups=("case_id",))
        self.referrals = TableRows(referrals)
        self.measures = TableRows(urgent_measures)
        self.conferences = TableRows(conferences)
        self.plans = RowsToInsert(plans)
        self.plan_measures = TableRows(plan_measures)
        self.timeline = RowsToInsert(timeline)
        super().__init__(
            codec,
            self.cases,
            self.participants,
            self.subjects,
            self.referrals,
            self.measures,
            self.conferences,
            self.plans,
            self.plan_measures,
            self.timeline,
        )
        self.institutions = institutions

    def prepare(self, events: Sequence[CaseEvent]) -> None:
        super().prepare(events)
        case_ids = [e.case_id for e in events]
        self.cases.prefetch(case_ids)
        self.participants.prefetch_groups("case_id", case_ids)
        self.subjects.prefetch_groups(
            "case_id", [e.case_id for e in events if e.event_type == "SubjectRegistered"]
        )

    def apply(self, event: CaseEvent, tx: Connection, out: BatchOutput) -> None:
        record = event.record
        self.timeline.add(
            {
                "event_id": event.event_id,
                "case_id": event.case_id,
                "partition": record.partition,
                "offset": record.offset,
                "occurred_at": event.occurred_at,
                "event_type": event.event_type,
                "source_institution": event.source,
            }
        )
        handler = _HANDLERS.get(event.event_type)
        if handler:
            handler(self, event)
        self._participation(event)

    def _participation(self, event: CaseEvent) -> None:
        municipality = None
        if event.event_type in NEEDS_MUNICIPALITY:
            case = self.cases.get(event.case_id)
            municipality = case["municipality"] if case else None
        change = event.participation(municipality, self.institutions)
        add_participants(self.participants, event.case_id, change.added)
        if change.ended_referral:
            end_referral_participation(self.participants, event.case_id, change.ended_referral)

    # -- cases and subjects ------------------------------------------------------------------

    @handles("CaseOpened", "ReportReceived")
    def _opened(self, event: CaseEvent) -> None:
        if self.cases.get(event.case_id) is not None:
            return  # a further report on a known case
        self.cases.add(
            {
                "case_id": event.case_id,
                "opened_by": event.source,
                "opened_at": event.occurred_at,
                "municipality": event.get("municipality"),
                "status": "open",
                "risk_level": event.get("initial_risk"),
                "children_present": event.get("children_present"),
                "violence_types": ",".join(event.get("violence_types") or []),
                "closed_at": None,
            }
        )

    @handles("RiskAssessed")
    def _risk(self, event: CaseEvent) -> None:
        self.cases.update(event.case_id, risk_level=event["level"])

    @handles("CaseClosed")
    def _closed(self, event: CaseEvent) -> None:
        self.cases.update(event.case_id, status="closed", closed_at=event["closed_at"])

    @handles("CaseReopened")
    def _reopened(self, event: CaseEvent) -> None:
        self.cases.update(event.case_id, status="open", closed_at=None)

    @handles("SubjectRegistered")
    def _subject(self, event: CaseEvent) -> None:
        self.subjects.add(
            {
                "case_id": event.case_id,
                "subject_id": as_uuid(event["subject_id"]),
                "role": event["role"],
                "sex": event.get("sex"),
                "birth_year": event.get("birth_year"),
                "municipality": event.get("municipality"),
                "erased": False,
            }
        )

    @handles("SubjectErased")
    def _erased(self, event: CaseEvent) -> None:
        # The platform submits one tombstone per case the subject is registered in, so each
        # case erases its own row: the outcome is the same whatever order partitions are read in.
        self.subjects.update((event.case_id, as_uuid(event["subject_id"])), **_ERASED_SUBJECT)

    # -- referrals ---------------------------------------------------------------------------

    @handles("ReferralSent")
    def _referral_sent(self, event: CaseEvent) -> None:
        sent_at = event.occurred_at
        self.referrals.add(
            {
                "referral_id": as_uuid(event["referral_id"]),
                "case_id": event.case_id,
                "sender": event.source,
                "recipient": event["to_institution"],
                "service_type": event["service_type"],
                "urgency": event["urgency"],
                "status": SENT,
                "sent_at": sent_at,
                "due_at": deadlines.referral_due(sent_at, event["urgency"], event.get("due_at")),
                "answered_at": None,
                "completed_at": None,
                "reason_code": None,
            }
        )

    @handles(*TRANSITIONS)
    def _referral_answer(self, event: CaseEvent) -> None:
        status = TRANSITIONS[event.event_type][0]
        values: dict[str, Any] = {"status": status}
        if event.event_type in {"ReferralAccepted", "ReferralDeclined"}:
            values["answered_at"] = event.occurred_at
        if event.event_type == "ReferralCompleted":
            values["completed_at"] = event.occurred_at
        reason = event.get("reason_code") or event.get("reason")
        if reason:
            values["reason_code"] = reason
        self.referrals.update(as_uuid(event["referral_id"]), **values)

    # -- urgent measures (LPDV Art. 17-21) ---------------------------------------------------

    @handles("UrgentMeasureImposed")
    def _measure_imposed(self, event: CaseEvent) -> None:
        self.measures.add(
            {
                "measure_id": as_uuid(event["measure_id"]),
                "case_id": event.case_id,
                "measure_type": event["measure_type"],
                "imposed_at": event["imposed_at"],
                "breaches": 0,
            }
        )

    @handles("UrgentMeasureServed")
    def _measure_served(self, event: CaseEvent) -> None:
        served = event["served_at"]
        self.measures.update(
            as_uuid(event["measure_id"]),
            served_at=served,
            expires_at=deadlines.urgent_measure_expires(served),
            proposal_due_at=deadlines.extension_proposal_due(served),
        )

    @handles("ExtensionProposed")
    def _extension_proposed(self, event: CaseEvent) -> None:
        proposed = event["proposed_at"]
        self.measures.update(
            as_uuid(event["measure_id"]),
            proposed_at=proposed,
            decision_due_at=deadlines.extension_decision_due(proposed),
        )

    @handles("ExtensionDecided")
    def _extension_decided(self, event: CaseEvent) -> None:
        decided, granted = event["decided_at"], event["granted"]
        until = (
            deadlines.extension_expires(
                decided, event.get("extension_days") or 30, event.get("new_expires_at")
            )
            if granted
            else None
        )
        self.measures.update(
            as_uuid(event["measure_id"]), decided_at=decided, granted=granted, extended_until=until
        )

    @handles("UrgentMeasureBreached")
    def _measure_breached(self, event: CaseEvent) -> None:
        measure_id = as_uuid(event["measure_id"])
        measure = self.measures.get(measure_id)
        if measure is not None:
            self.measures.update(measure_id, breaches=measure["breaches"] + 1)

    # -- coordination group: conferences and plans (LPDV Art. 25-32) ---------------------------

    @handles("CaseConferenceScheduled")
    def _conference_scheduled(self, event: CaseEvent) -> None:
        self.conferences.add(
            {
                "conference_id": as_uuid(event["conference_id"]),
                "case_id": event.case_id,
                "chair": event["chair_institution"]["institution_id"],
                "agenda_reason": event["agenda_reason"],
                "scheduled_for": event["scheduled_for"],
                "held_at": None,
                "victim_participated": None,
            }
        )

    @handles("CaseConferenceHeld")
    def _conference_held(self, event: CaseEvent) -> None:
        conference_id = as_uuid(event["conference_id"])
        values = {"held_at": event["held_at"], "victim_participated": event["victim_participated"]}
        if not self.conferences.update(conference_id, **values):
            self.conferences.add(
                {
                    "conference_id": conference_id,
                    "case_id": event.case_id,
                    "chair": event.source,
                    "agenda_reason": None,
                    "scheduled_for": None,
                    **values,
                }
            )

    @handles("ProtectionPlanAdopted")
    def _plan(self, event: CaseEvent) -> None:
        plan_id = as_uuid(event["plan_id"])
        self.plans.add(
            {
                "plan_id": plan_id,
                "case_id": event.case_id,
                "adopted_at": event.occurred_at,
                "review_due_at": event["review_due_at"],
                "victim_participated": event["victim_participated"],
            }
        )
        for measure in event["measures"]:
            self.plan_measures.add(
                {
                    "measure_id": as_uuid(measure["measure_id"]),
                    "plan_id": plan_id,
                    "case_id": event.case_id,
                    "executor": measure["executor_institution"]["institution_id"],
                    "kind": measure["kind"],
                    "due_at": measure["due_at"],
                    "completed_at": None,
                    "outcome": None,
                }
            )

    @handles("PlanMeasureCompleted")
    def _plan_measure_done(self, event: CaseEvent) -> None:
        self.plan_measures.update(
            as_uuid(event["measure_id"]),
            completed_at=event["completed_at"],
            outcome=event["outcome"],
        )


_ERASED_SUBJECT = {"erased": True, "birth_year": None, "municipality": None, "sex": None}


def erase_subject(tx: Connection, subject_id: str) -> None:
    """Keep only that the subject existed and is erased, in every case (a point-in-time replay
    applies erasures that happened after its instant this way)."""
    tx.execute(update(subjects).where(subjects.c.subject_id == subject_id).values(_ERASED_SUBJECT))
