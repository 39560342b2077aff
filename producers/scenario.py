"""Scripted cases across institutions, deterministic for a seed.

``urgent_measure_case``: police report → risk assessment → urgent measure imposed and served (48 h)
→ the prosecutor's extension proposal within 24 h → the court's decision within 24 h (30 days) →
the CSR refers the victim to the NGO → the NGO accepts.
``coordinated_case`` continues it: the coordination group meets (prosecutor in the chair), adopts
an individual protection plan, the NGO provides counselling, completes its measure, and the police
close the case. The network simulator builds on the same ``CaseScript``.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from producers.event_builder import new_event, new_header
from producers.identities import synthetic_person
from schemas.institutions import InstitutionRegistry
from schemas.models import EventModel
from services.platform.vault import KeyVault, PersonalData, sealed_off

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
NGO = "ngo.azc"


@dataclass(frozen=True)
class Submission:
    """An event as an institution submits it."""

    institution: str
    event: EventModel

    @property
    def event_type(self) -> str:
        return self.event.event_type

    @property
    def event_id(self) -> uuid.UUID:
        return self.event.header.event_id  # type: ignore[attr-defined, no-any-return]

    @property
    def case_id(self) -> uuid.UUID:
        return self.event.header.case_id  # type: ignore[attr-defined, no-any-return]


@functools.cache
def serving(municipality: str, kind: str) -> str:
    """The institution of ``kind`` serving ``municipality`` in the default seed network."""
    found = _seed_network().serving_id(municipality, kind)
    if found is None:
        raise LookupError(f"no {kind} serves {municipality}")
    return found


@dataclass
class CaseScript:
    """One case being written event by event; each event is caused by the one before it."""

    rng: random.Random
    municipality: str
    vault: KeyVault | None = None
    submissions: list[Submission] = field(default_factory=list)
    people: dict[uuid.UUID, PersonalData] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.case_id = self.new_id()
        self.police, self.prosecutor, self.court, self.csr = (
            serving(self.municipality, kind) for kind in ("POLICE", "PROSECUTOR", "COURT", "CSR")
        )
        self.health = serving(self.municipality, "HEALTH")
        self.victim, self.perpetrator = self.new_id(), self.new_id()
        self._previous: uuid.UUID | None = None

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def emit(
        self, institution: str, actor_role: str, at: dt.datetime, event_type: str, **fields: Any
    ) -> EventModel:
        header = new_header(
            event_type,
            case_id=self.case_id,
            source=institution,
            occurred_at=at,
            actor_role=actor_role,
            causation_id=self._previous,
            event_id=self.new_id(),
        )
        event = new_event(event_type, header, **fields)
        self._previous = event.header.event_id  # type: ignore[attr-defined]
        self.submissions.append(Submission(institution, event))
        return event

    def conference(
        self, conference_id: uuid.UUID, scheduled: dt.datetime, held: dt.datetime,
        members: list[str],
    ) -> None:  # fmt: skip
        """The prosecutor schedules an imminent-danger case conference and holds it with
        ``members``, the victim taking part, and a plan adopted."""
        self.emit(self.prosecutor, "PUBLIC_PROSECUTOR", scheduled, "CaseConferenceScheduled",
                  conference_id=conference_id, scheduled_for=held,
                  chair_institution={"institution_id": self.prosecutor, "kind": "PROSECUTOR"},
                  invited_institution_ids=members,
                  agenda_reason="IMMINENT_DANGER_REVIEW")  # fmt: skip
        self.emit(self.prosecutor, "PUBLIC_PROSECUTOR", held, "CaseConferenceHeld",
                  conference_id=conference_id, held_at=held,
                  attending_institution_ids=[self.prosecutor, *members],
                  victim_participated=True, decisions=["PLAN_ADOPTED"])  # fmt: skip

    def register(
        self, institution: str, at: dt.datetime, subject_id: uuid.UUID, role: str, *, female: bool
    ) -> EventModel:
        """``SubjectRegistered`` with a synthetic person's identifiers sealed by the vault."""
        birth_year = at.year - self.rng.randrange(18, 75)
        person = synthetic_person(
            self.rng, female=female, birth_year=birth_year, municipality=self.municipality
        )
        self.people[subject_id] = person
        seal = self.vault.seal if self.vault is not None else sealed_off
        return self.emit(institution, "COMPETENT_POLICE_OFFICER", at, "SubjectRegistered",
                         subject_id=subject_id, role=role, sex="FEMALE" if female else "MALE",
                         birth_year=birth_year, municipality=self.municipality,
                         sealed=seal(subject_id, person))  # fmt: skip


@functools.cache
def _seed_network() -> InstitutionRegistry:
    return InstitutionRegistry.default()


def urgent_measure_case(
    rng: random.Random,
    start: dt.datetime,
    municipality: str = "lazarevac",
    vault: KeyVault | None = None,
) -> list[Submission]:
    """The statutory path of one imminent-danger case in ``municipality``."""
    script = CaseScript(rng, municipality, vault)
    urgent_measure_path(script, start)
    return script.submissions


def coordinated_case(
    rng: random.Random,
    start: dt.datetime,
    municipality: str = "lazarevac",
    vault: KeyVault | None = None,
) -> list[Submission]:
    """The whole path: urgent measure, referral, conference, plan, service, closure."""
    return coordinated_script(rng, start, municipality, vault).submissions


def coordinated_script(
    rng: random.Random,
    start: dt.datetime,
    municipality: str = "lazarevac",
    vault: KeyVault | None = None,
) -> CaseScript:
    """``coordinated_case`` with the script itself (its synthetic people included)."""
    script = CaseScript(rng, municipality, vault)
    accepted_at = urgent_measure_path(script, start)
    _coordination_path(script, accepted_at)
    return script


def urgent_measure_path(s: CaseScript, start: dt.datetime) -> dt.datetime:
    """Report, registration, assessment, urgent measure, extension, a referral accepted: within
    about two days of ``start``; returns when the referral was accepted."""
    rng = s.rng
    reported = start + dt.timedelta(minutes=rng.randrange(0, 600))
    served = reported + dt.timedelta(minutes=rng.randrange(60, 240))
    proposed = served + dt.timedelta(hours=rng.randrange(2, 20))
    decided = proposed + dt.timedelta(hours=rng.randrange(2, 20))
    measure_id, proposal_id, referral_id = s.new_id(), s.new_id(), s.new_id()
    s.emit(s.police, "ON_DUTY_OFFICER", reported, "CaseOpened",
           report_id=s.new_id(), municipality=s.municipality, report_channel="POLICE_CALL",
           violence_types=["PHYSICAL", "PSYCHOLOGICAL"], relationship="SPOUSE",
           children_present=rng.random() < 0.4, initial_risk="IMMINENT_DANGER")  # fmt: skip
    s.register(s.police, reported + HOUR / 4, s.victim, "VICTIM", female=rng.random() < 0.8)
    s.register(s.police, reported + HOUR / 3, s.perpetrator, "PERPETRATOR", female=False)
    s.emit(s.police, "COMPETENT_POLICE_OFFICER", reported + HOUR, "RiskAssessed",
           assessment_id=s.new_id(), stage="POLICE_ASSESSMENT", assessed_by="POLICE",
           perpetrator_subject_id=s.perpetrator, victim_subject_ids=[s.victim],
           level="IMMINENT_DANGER", forwarded_to_prosecutor=True)  # fmt: skip
    s.emit(s.police, "COMPETENT_POLICE_OFFICER", served - HOUR / 2, "UrgentMeasureImposed",
           measure_id=measure_id, order_id=s.new_id(),
           measure_type="TEMPORARY_REMOVAL_FROM_DWELLING", perpetrator_subject_id=s.perpetrator,
           protected_subject_ids=[s.victim], imposed_at=served - HOUR / 2)  # fmt: skip
    s.emit(s.police, "COMPETENT_POLICE_OFFICER", served, "UrgentMeasureServed",
           measure_id=measure_id, served_at=served, expires_at=served + 48 * HOUR,
           extension_proposal_due_at=served + 24 * HOUR)  # fmt: skip
    s.emit(s.prosecutor, "PUBLIC_PROSECUTOR", proposed, "ExtensionProposed",
           measure_id=measure_id, proposal_id=proposal_id, proposed_at=proposed, served_at=served,
           proposal_due_at=served + 24 * HOUR, decision_due_at=proposed + 24 * HOUR,
           court_institution_id=s.court, evaluated_risk_level="IMMINENT_DANGER")  # fmt: skip
    s.emit(s.court, "JUDGE", decided, "ExtensionDecided",
           measure_id=measure_id, decision_id=s.new_id(), proposal_id=proposal_id,
           instance="BASIC_COURT", granted=True, decided_at=decided,
           new_expires_at=decided + 30 * DAY)  # fmt: skip
    s.emit(s.csr, "CASE_MANAGER", decided + 2 * HOUR, "ReferralSent",
           referral_id=referral_id, to_institution=NGO, service_type="COUNSELLING",
           urgency="P1", subject_ids=[s.victim], basis={"kind": "STATUTORY"})  # fmt: skip
    accepted = decided + 5 * HOUR
    s.emit(NGO, "NGO_COUNSELLOR", accepted, "ReferralAccepted",
           referral_id=referral_id, accepted_at=accepted)  # fmt: skip
    return accepted


def _coordination_path(s: CaseScript, after: dt.datetime) -> None:
    conference_id, plan_id, measure_id = s.new_id(), s.new_id(), s.new_id()
    scheduled, held = after + HOUR, after + 3 * DAY
    s.conference(conference_id, scheduled, held, [s.csr, s.police, NGO, s.health])
    measures = [
        _plan_measure(measure_id, "SUPPORT", "COUNSELLING", NGO, "NGO", held + 14 * DAY, s.victim),
        _plan_measure(
            s.new_id(), "MONITORING", "POLICE_CHECKS", s.police, "POLICE", held + 30 * DAY, s.victim
        ),
    ]
    s.emit(s.prosecutor, "PUBLIC_PROSECUTOR", held + HOUR, "ProtectionPlanAdopted",
           plan_id=plan_id, conference_id=conference_id, victim_subject_id=s.victim,
           measures=measures, victim_participated=True, review_due_at=held + 15 * DAY)  # fmt: skip
    s.emit(NGO, "NGO_COUNSELLOR", held + 7 * DAY, "ServiceProvided",
           service_id=s.new_id(), service_type="COUNSELLING", provided_at=held + 7 * DAY,
           quantity=4, unit="SESSIONS", for_subject_ids=[s.victim])  # fmt: skip
    s.emit(NGO, "NGO_COUNSELLOR", held + 10 * DAY, "PlanMeasureCompleted",
           plan_id=plan_id, measure_id=measure_id, completed_at=held + 10 * DAY,
           outcome="GOAL_ACHIEVED")  # fmt: skip
    s.emit(s.police, "COMPETENT_POLICE_OFFICER", held + 40 * DAY, "CaseClosed",
           closed_at=held + 40 * DAY, reason="PROTECTION_ACHIEVED",
           final_risk_level="MEDIUM")  # fmt: skip


def _plan_measure(
    measure_id: uuid.UUID,
    kind: str,
    code: str,
    executor: str,
    executor_kind: str,
    due_at: dt.datetime,
    subject: uuid.UUID,
) -> dict[str, Any]:
    return {
        "measure_id": measure_id,
        "kind": kind,
        "description_code": code,
        "service_type": "COUNSELLING" if code == "COUNSELLING" else None,
        "executor_institution": {"institution_id": executor, "kind": executor_kind},
        "due_at": due_at,
        "for_subject_ids": [subject],
    }


def in_waves(cases: list[list[Submission]]) -> list[list[Submission]]:
    """The k-th event of every case together: cases interleave, each stays in causal order."""
    longest = max((len(c) for c in cases), default=0)
    return [[case[k] for case in cases if k < len(case)] for k in range(longest)]
