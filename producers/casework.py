"""One simulated case of the seed network, from the first report to its closure.

Builds on ``CaseScript``: each path below emits the events the institutions of one municipality
would submit for a case of a given risk, at statutory times, with the referrals, coordination-group
meetings (every 14 days while the risk lasts), protection plans and services the Law on Prevention
of Domestic Violence (2017) sets out. Every event answers one before it (``causation_id``), and a
case's events are returned in time order, which is also their causal order.

What varies is drawn from the case's own ``random.Random``, so a case is the same for a seed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from producers.scenario import DAY, HOUR, NGO, CaseScript, Submission, serving
from schemas.models import EventModel

# Police record most cases; the rest reach a CSR, a health centre or the NGO's SOS line first.
OPENERS = (("POLICE", 0.72), ("CSR", 0.15), ("HEALTH", 0.07), ("NGO", 0.06))
CHANNEL = {"POLICE": "POLICE_CALL", "CSR": "CSR", "HEALTH": "HEALTH_SERVICE", "NGO": "SOS_LINE"}
OPENER_ROLE = {
    "POLICE": "ON_DUTY_OFFICER",
    "CSR": "CASE_MANAGER",
    "HEALTH": "DOCTOR",
    "NGO": "SOS_LINE_COUNSELLOR",
}
# The risk of a case as first assessed; urgent measures follow high and imminent-danger risk.
RISKS = (("STANDARD", 0.45), ("MEDIUM", 0.30), ("HIGH", 0.15), ("IMMINENT_DANGER", 0.10))
# Psychological violence is recorded most often, physical next; economic and sexual are rare.
VIOLENCE = (
    ("PSYCHOLOGICAL", 0.78), ("PHYSICAL", 0.52), ("STALKING", 0.08), ("ECONOMIC", 0.05),
    ("SEXUAL", 0.03),
)  # fmt: skip
RELATIONSHIPS = (
    ("SPOUSE", 0.30), ("FORMER_SPOUSE", 0.10), ("COMMON_LAW_PARTNER", 0.14),
    ("FORMER_PARTNER", 0.10), ("PARENT", 0.10), ("CHILD", 0.14), ("SIBLING", 0.05),
    ("OTHER_RELATIVE", 0.07),
)  # fmt: skip
DECLINE_REASONS = (("NO_CAPACITY", 2), ("SUBJECT_DECLINED_SERVICE", 3), ("OUTSIDE_TERRITORY", 1))
FEMALE_VICTIM = 0.78
MALE_PERPETRATOR = 0.86
BREACH_RATE = 0.09
MOBILE_TEAMS = frozenset({"vozdovac", "palilula"})
# Institutions that keep missing deadlines (the demo shows their overdue answers and late
# proposals): the share of their referrals left unanswered, and of proposals made late.
UNANSWERED = {"legal-aid.golubac": 0.6, "health.dz-cuprija": 0.35, NGO: 0.03}
LATE_PROPOSALS = {"prosecutor.ojt-pozarevac": 0.5, "prosecutor.ojt-beograd-1": 0.08}


def pick(rng: Any, weighted: tuple[tuple[str, float], ...]) -> str:
    """One of ``weighted`` with its probability (weights need not sum to one)."""
    total = sum(w for _, w in weighted)
    point = rng.random() * total
    for value, weight in weighted:
        point -= weight
        if point < 0:
            return value
    return weighted[-1][0]


@dataclass
class Household:
    """Who a case is about: kept so a repeat report names the same victim and perpetrator."""

    victim: uuid.UUID
    perpetrator: uuid.UUID
    victim_female: bool
    perpetrator_female: bool
    relationship: str


@dataclass
class SimulatedCase:
    """A case's events in time order, and the facts a test checks the mix against."""

    case_id: uuid.UUID
    municipality: str
    opened_at: dt.datetime
    opener_kind: str
    risk: str
    violence_types: list[str]
    household: Household
    repeat: bool
    submissions: list[Submission] = field(default_factory=list)
    urgent_measures: int = 0
    breaches: int = 0


class CaseWriter:
    """Writes one case with a ``CaseScript``; the answered event is named, not implied."""

    def __init__(self, script: CaseScript, household: Household) -> None:
        self.s = script
        self.rng = script.rng
        self.m = script.municipality
        self.household = household
        script.victim, script.perpetrator = household.victim, household.perpetrator
        self.legal_aid = serving(self.m, "LEGAL_AID")
        self.mobile_team = f"mobile-team.{self.m}" if self.m in MOBILE_TEAMS else None
        self.urgent_measures = 0
        self.breaches = 0
        self.last_at: dt.datetime | None = None

    def emit(
        self,
        institution: str,
        role: str,
        at: dt.datetime,
        event_type: str,
        cause: EventModel | None,
        **fields: Any,
    ) -> EventModel:
        self.s._previous = cause.header.event_id if cause is not None else None  # type: ignore[attr-defined]
        self.last_at = max(self.last_at or at, at)
        return self.s.emit(institution, role, at, event_type, **fields)

    # -- the paths -------------------------------------------------------------------------

    def write(
        self, opened_at: dt.datetime, opener_kind: str, risk: str, violence: list[str]
    ) -> None:
        s, h = self.s, self.household
        opener = serving(self.m, opener_kind)
        opened = self.emit(opener, OPENER_ROLE[opener_kind], opened_at, "CaseOpened", None,
                           report_id=s.new_id(), municipality=self.m,
                           report_channel=CHANNEL[opener_kind], violence_types=violence,
                           relationship=h.relationship,
                           children_present=self.rng.random() < 0.35,
                           initial_risk=risk if opener_kind == "POLICE" else None)  # fmt: skip
        s._previous = opened.header.event_id  # type: ignore[attr-defined]
        s.register(opener, opened_at + HOUR / 4, h.victim, "VICTIM", female=h.victim_female)
        s.register(opener, opened_at + HOUR / 3, h.perpetrator, "PERPETRATOR",
                   female=h.perpetrator_female)  # fmt: skip
        at = opened_at + HOUR / 2
        if opener_kind in {"POLICE", "CSR"}:
            assessed_by = opener_kind
            assessment = self.emit(opener, "COMPETENT_POLICE_OFFICER" if assessed_by == "POLICE"
                                   else "SOCIAL_WORKER", at + HOUR, "RiskAssessed", opened,
                                   assessment_id=s.new_id(),
                                   stage="POLICE_ASSESSMENT" if assessed_by == "POLICE"
                                   else "CSR_OPINION", assessed_by=assessed_by,
                                   perpetrator_subject_id=h.perpetrator,
                                   victim_subject_ids=[h.victim], level=risk,
                                   forwarded_to_prosecutor=risk in {"HIGH", "IMMINENT_DANGER"},
                                   factors=self._factors(risk))  # fmt: skip
        else:
            assessment = opened
        if risk in {"HIGH", "IMMINENT_DANGER"} and opener_kind == "POLICE":
            self._serious(opener, assessment, at + 2 * HOUR, risk)
        elif risk == "MEDIUM":
            self._supported(opener, opener_kind, assessment, at + 4 * HOUR)
        else:
            self._light(opener, opener_kind, assessment, at + 6 * HOUR)

    def _light(self, opener: str, kind: str, cause: EventModel, at: dt.datetime) -> None:
        """A standard-risk report: one referral at most, then closure (5-8 events)."""
        if self.rng.random() < 0.55:
            recipient, service = self._light_recipient(kind)
            cause = self._referral(opener, kind, recipient, service, "P3", cause, at,
                                   services=0 if self.rng.random() < 0.5 else 1)  # fmt: skip
        closed = (self.last_at or at) + DAY * self.rng.randrange(3, 30)
        self._close(opener, cause, closed, "NO_VIOLENCE_ESTABLISHED"
                    if self.rng.random() < 0.3 else "PROTECTION_ACHIEVED", "STANDARD")  # fmt: skip

    def _light_recipient(self, kind: str) -> tuple[str, str]:
        if kind == "CSR":
            return (NGO, "COUNSELLING") if self.rng.random() < 0.6 else (
                self.legal_aid, "FREE_LEGAL_AID")  # fmt: skip
        return self.s.csr, "PSYCHOSOCIAL_SUPPORT"

    def _supported(self, opener: str, kind: str, cause: EventModel, at: dt.datetime) -> None:
        """A medium-risk case: the CSR takes it on, refers to the NGO and legal aid, meets once."""
        csr = self.s.csr
        if kind != "CSR":
            cause = self._referral(opener, kind, csr, "PSYCHOSOCIAL_SUPPORT", "P2", cause, at,
                                   complete=False, must_accept=True)  # fmt: skip
            at = (self.last_at or at) + HOUR
        consent = self.emit(csr, "CASE_MANAGER", at, "ConsentGiven", cause,
                            consent_ref=f"CSR-{self.s.new_id().hex[:10]}",
                            subject_id=self.household.victim, given_by="SUBJECT",
                            form="WRITTEN", scope=["REFERRAL_TO_SERVICES", "CONTACT_BY_NGO"],
                            recipients=[NGO, self.legal_aid])  # fmt: skip
        ref = consent.consent_ref  # type: ignore[attr-defined]
        start = at + HOUR
        self._referral(csr, "CSR", NGO, "COUNSELLING", "P2", consent, start,
                       services=self.rng.randrange(1, 5), consent_ref=ref)  # fmt: skip
        if self.rng.random() < 0.5:
            self._referral(csr, "CSR", self.legal_aid, "FREE_LEGAL_AID", "P3", consent,
                           start + DAY, services=1, consent_ref=ref)  # fmt: skip
        if self.rng.random() < 0.4:
            self._conferences(csr, "CSR", "PLAN_ADOPTION", consent, start + 5 * DAY, 1, [NGO])
        closed = (self.last_at or start) + DAY * self.rng.randrange(7, 45)
        self._close(opener, consent, closed, "PROTECTION_ACHIEVED", "STANDARD")

    def _serious(self, police: str, assessment: EventModel, at: dt.datetime, risk: str) -> None:
        """High risk: urgent measure, extension, referrals, fortnightly group, plan, services."""
        s, rng, h = self.s, self.rng, self.household
        measure_id, proposal_id = s.new_id(), s.new_id()
        imposed_at = at
        served = at + dt.timedelta(minutes=rng.randrange(30, 180))
        self.urgent_measures += 1
        imposed = self.emit(police, "COMPETENT_POLICE_OFFICER", imposed_at, "UrgentMeasureImposed",
                            assessment, measure_id=measure_id, order_id=s.new_id(),
                            measure_type="TEMPORARY_REMOVAL_FROM_DWELLING" if rng.random() < 0.6
                            else "TEMPORARY_CONTACT_BAN",
                            perpetrator_subject_id=h.perpetrator, protected_subject_ids=[h.victim],
                            imposed_at=imposed_at)  # fmt: skip
        served_event = self.emit(police, "COMPETENT_POLICE_OFFICER", served, "UrgentMeasureServed",
                                 imposed, measure_id=measure_id, served_at=served,
                                 expires_at=served + 48 * HOUR,
                                 extension_proposal_due_at=served + 24 * HOUR)  # fmt: skip
        late = rng.random() < LATE_PROPOSALS.get(s.prosecutor, 0.02)
        proposed = served + (dt.timedelta(hours=rng.randrange(26, 40)) if late
                             else dt.timedelta(hours=rng.randrange(2, 16)))  # fmt: skip
        proposal = self.emit(s.prosecutor, "PUBLIC_PROSECUTOR", proposed, "ExtensionProposed",
                             served_event, measure_id=measure_id, proposal_id=proposal_id,
                             proposed_at=proposed, served_at=served,
                             proposal_due_at=served + 24 * HOUR,
                             decision_due_at=proposed + 24 * HOUR, court_institution_id=s.court,
                             evaluated_risk_level=risk)  # fmt: skip
        decided = proposed + dt.timedelta(hours=rng.randrange(2, 16))
        granted = rng.random() < 0.85
        decision = self.emit(s.court, "JUDGE", decided, "ExtensionDecided", proposal,
                             measure_id=measure_id, decision_id=s.new_id(),
                             proposal_id=proposal_id, instance="BASIC_COURT", granted=granted,
                             decided_at=decided,
                             new_expires_at=decided + 30 * DAY if granted else None)  # fmt: skip
        in_force_until = decided + 30 * DAY if granted else served + 48 * HOUR
        if rng.random() < BREACH_RATE:
            self.breaches += 1
            known = decision if granted else served_event
            since = decided if granted else served
            observed = since + (in_force_until - since) * rng.uniform(0.05, 0.9)
            self.emit(police, "COMPETENT_POLICE_OFFICER", observed, "UrgentMeasureBreached",
                      known, measure_id=measure_id, observed_at=observed,
                      breach_category=pick(rng, (("RETURNED_TO_DWELLING", 3),
                                                 ("APPROACHED_VICTIM", 3),
                                                 ("CONTACTED_VICTIM_REMOTELY", 2),
                                                 ("NEW_VIOLENCE", 1), ("THREATS", 2))),
                      misdemeanour_proceedings_initiated=True,
                      reassessment_requested=True)  # fmt: skip
        start = decided + HOUR
        referrals = [(NGO, "COUNSELLING", rng.randrange(2, 8))]
        if rng.random() < 0.35:
            referrals.append((NGO, "SHELTER", rng.randrange(1, 4)))
        if rng.random() < 0.6:
            referrals.append((self.legal_aid, "FREE_LEGAL_AID", rng.randrange(1, 3)))
        if self.mobile_team and rng.random() < 0.8:
            referrals.append((self.mobile_team, "CRISIS_INTERVENTION", rng.randrange(1, 4)))
        if rng.random() < 0.3:
            referrals.append((s.health, "MEDICAL_CARE", 1))
        for n, (recipient, service, sessions) in enumerate(referrals):
            self._referral(s.csr, "CSR", recipient, service, "P1" if n == 0 else "P2", decision,
                           start + n * HOUR, services=sessions)  # fmt: skip
        meetings = rng.randrange(2, 5) if risk == "HIGH" else rng.randrange(4, 13)
        if rng.random() < 0.12:
            meetings += rng.randrange(8, 18)  # the long tail: a case the group follows for months
        self._conferences(s.prosecutor, "PROSECUTOR", "IMMINENT_DANGER_REVIEW", decision,
                          served + DAY * rng.uniform(2, 6), meetings,
                          [NGO, self.legal_aid, *filter(None, [self.mobile_team])])  # fmt: skip
        if granted and rng.random() < 0.35:
            issued = decided + DAY * rng.randrange(10, 28)
            self.emit(s.court, "JUDGE", issued, "ProtectionOrderIssued", decision,
                      order_id=s.new_id(), measures=["APPROACH_BAN", "HARASSMENT_BAN"],
                      valid_from=issued.date(), valid_until=issued.date() + 365 * DAY,
                      protected_subject_ids=[h.victim], restricted_subject_ids=[h.perpetrator],
                      approach_distance_metres=200)  # fmt: skip
        closed = (self.last_at or start) + DAY * rng.randrange(5, 30)
        self._close(police, decision, closed, "PROTECTION_ACHIEVED", "MEDIUM")

    # -- building blocks -------------------------------------------------------------------

    def _referral(
        self,
        sender: str,
        sender_kind: str,
        recipient: str,
        service: str,
        urgency: str,
        cause: EventModel,
        at: dt.datetime,
        *,
        services: int = 0,
        complete: bool = True,
        must_accept: bool = False,
        consent_ref: str | None = None,
    ) -> EventModel:
        """Sent → accepted (or declined, or left to expire) → services → completed."""
        s, rng = self.s, self.rng
        referral_id = s.new_id()
        role = _role_of(sender)
        basis = {"kind": "CONSENT", "consent_ref": consent_ref} if consent_ref else {
            "kind": "STATUTORY", "statutory_basis": "LAW_PREVENTION_DV_2017"}  # fmt: skip
        sent = self.emit(sender, role, at, "ReferralSent", cause, referral_id=referral_id,
                         to_institution=recipient, service_type=service, urgency=urgency,
                         subject_ids=[self.household.victim], basis=basis)  # fmt: skip
        if not must_accept and rng.random() < UNANSWERED.get(recipient, 0.01):
            return sent  # left unanswered: the platform expires it when its time is up
        answer_role = _role_of(recipient)
        # Answers come well inside the due time (P1 24 h, P2 72 h, P3 5 working days).
        answered = at + dt.timedelta(
            minutes=rng.randrange(20, 8 * 60 if urgency == "P1" else 30 * 60)
        )
        if not must_accept and rng.random() < 0.05:
            return self.emit(recipient, answer_role, answered, "ReferralDeclined", sent,
                             referral_id=referral_id, declined_at=answered,
                             reason_code=pick(rng, DECLINE_REASONS))  # fmt: skip
        accepted = self.emit(recipient, answer_role, answered, "ReferralAccepted", sent,
                             referral_id=referral_id, accepted_at=answered)  # fmt: skip
        moment, last = answered, accepted
        for _ in range(services):
            moment += DAY * rng.uniform(1, 9)
            nights = service in {"SHELTER", "SAFE_HOUSE"}
            last = self.emit(recipient, answer_role, moment, "ServiceProvided", last,
                             service_id=s.new_id(), service_type=service, provided_at=moment,
                             quantity=rng.randrange(3, 30) if nights else rng.randrange(1, 4),
                             unit="NIGHTS" if nights else "SESSIONS",
                             for_subject_ids=[self.household.victim],
                             referral_id=referral_id)  # fmt: skip
        if complete:
            done = moment + DAY * rng.uniform(0.5, 5)
            last = self.emit(recipient, answer_role, done, "ReferralCompleted", last,
                             referral_id=referral_id, completed_at=done,
                             outcome=pick(rng, (("GOAL_ACHIEVED", 6), ("PARTIALLY_ACHIEVED", 3),
                                                ("SUBJECT_DECLINED", 1))))  # fmt: skip
        return last

    def _conferences(
        self,
        chair: str,
        chair_kind: str,
        reason: str,
        cause: EventModel,
        first: dt.datetime,
        meetings: int,
        partners: list[str],
    ) -> None:
        """The coordination group meets every 14 days; the first meeting adopts the plan."""
        s, rng = self.s, self.rng
        members = sorted({s.csr, s.police, *partners} - {chair})
        role = "PUBLIC_PROSECUTOR" if chair_kind == "PROSECUTOR" else "CASE_MANAGER"
        plan_id: uuid.UUID | None = None
        plan_measures: list[dict[str, Any]] = []
        plan = cause
        for n in range(meetings):
            held_at = first + n * 14 * DAY
            conference_id = s.new_id()
            scheduled = self.emit(chair, role, held_at - 2 * DAY, "CaseConferenceScheduled",
                                  cause, conference_id=conference_id, scheduled_for=held_at,
                                  chair_institution={"institution_id": chair, "kind": chair_kind},
                                  invited_institution_ids=members,
                                  agenda_reason=reason if n == 0 else "REGULAR_REVIEW_15_DAYS",
                                  victim_invited=True)  # fmt: skip
            attending = [chair, *(m for m in members if rng.random() < 0.9)]
            held = self.emit(chair, role, held_at, "CaseConferenceHeld", scheduled,
                             conference_id=conference_id, held_at=held_at,
                             attending_institution_ids=attending,
                             victim_participated=rng.random() < 0.7,
                             decisions=["PLAN_ADOPTED"] if n == 0 else ["CONTINUE_MONITORING"],
                             next_review_due_at=held_at + 15 * DAY)  # fmt: skip
            cause = held
            if n == 0:
                plan_id = s.new_id()
                plan_measures = self._plan_measures(held_at, partners)
                plan = self.emit(chair, role, held_at + HOUR, "ProtectionPlanAdopted", held,
                          plan_id=plan_id, conference_id=conference_id,
                          victim_subject_id=self.household.victim, measures=plan_measures,
                          victim_participated=True, review_due_at=held_at + 15 * DAY)  # fmt: skip
        for measure in plan_measures:
            executor = measure["executor_institution"]["institution_id"]
            done = measure["due_at"] - DAY * rng.uniform(0, 3)
            self.emit(executor, _role_of(executor), done, "PlanMeasureCompleted", plan,
                      plan_id=plan_id, measure_id=measure["measure_id"], completed_at=done,
                      outcome="GOAL_ACHIEVED" if rng.random() < 0.7
                      else "PARTIALLY_ACHIEVED")  # fmt: skip

    def _plan_measures(self, held_at: dt.datetime, partners: list[str]) -> list[dict[str, Any]]:
        s = self.s
        chosen = [(s.police, "POLICE", "MONITORING", "POLICE_CHECKS", None),
                  (NGO, "NGO", "SUPPORT", "PSYCHOSOCIAL_SUPPORT",
                   "PSYCHOSOCIAL_SUPPORT")]  # fmt: skip
        if self.legal_aid in partners:
            chosen.append((self.legal_aid, "LEGAL_AID", "SUPPORT", "FREE_LEGAL_AID",
                           "FREE_LEGAL_AID"))  # fmt: skip
        return [
            {
                "measure_id": s.new_id(),
                "kind": kind,
                "description_code": code,
                "service_type": service,
                "executor_institution": {"institution_id": executor, "kind": executor_kind},
                "due_at": held_at + DAY * self.rng.randrange(7, 28),
                "for_subject_ids": [self.household.victim],
            }
            for executor, executor_kind, kind, code, service in chosen
        ]

    def _close(
        self, owner: str, cause: EventModel, at: dt.datetime, reason: str, final_risk: str
    ) -> None:
        at = max(at, (self.last_at or at) + HOUR)
        self.emit(owner, _role_of(owner), at, "CaseClosed", cause, closed_at=at, reason=reason,
                  final_risk_level=final_risk)  # fmt: skip

    def _factors(self, risk: str) -> dict[str, bool]:
        rng = self.rng
        serious = risk in {"HIGH", "IMMINENT_DANGER"}
        return {
            "prior_violence": rng.random() < (0.8 if serious else 0.4),
            "recent_violence": True,
            "readiness_to_repeat": serious and rng.random() < 0.6,
            "threats_to_kill": risk == "IMMINENT_DANGER" and rng.random() < 0.5,
            "substance_abuse": rng.random() < 0.3,
            "victim_fears": rng.random() < (0.9 if serious else 0.5),
            "escalation": serious and rng.random() < 0.5,
            "jealousy_or_control": rng.random() < 0.4,
        }


def _role_of(institution: str) -> str:
    return {
        "police": "COMPETENT_POLICE_OFFICER",
        "csr": "CASE_MANAGER",
        "prosecutor": "PUBLIC_PROSECUTOR",
        "court": "JUDGE",
        "health": "DOCTOR",
        "ngo": "NGO_COUNSELLOR",
        "legal-aid": "LEGAL_AID_OFFICER",
        "mobile-team": "MOBILE_TEAM_MEMBER",
    }[institution.split(".", 1)[0]]
