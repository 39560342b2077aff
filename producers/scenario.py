"""One scripted case across institutions, deterministic for a seed.

Police report → risk assessment → urgent measure imposed and served (48 h) → the prosecutor's
extension proposal within 24 h → the court's decision within 24 h (30 days) → the CSR refers the
victim to the NGO → the NGO accepts. The full network simulator builds on the same pieces.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass

from producers.events import new_event, new_header
from schemas.models import EventModel

HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Submission:
    """An event as an institution submits it."""

    institution: str
    event: EventModel

    @property
    def event_type(self) -> str:
        return self.event.event_type

    @property
    def case_id(self) -> uuid.UUID:
        return self.event.header.case_id  # type: ignore[attr-defined, no-any-return]


class _Ids:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)


def urgent_measure_case(
    rng: random.Random, start: dt.datetime, municipality: str = "lazarevac"
) -> list[Submission]:
    """The statutory path of one imminent-danger case in ``municipality``."""
    new_id = _Ids(rng)
    case_id = new_id()
    police = f"police.pu-beograd.{municipality}"
    prosecutor = f"prosecutor.opj-{municipality}"
    court = f"court.os-{municipality}"
    csr = f"csr.{municipality}"
    victim, perpetrator = new_id(), new_id()
    measure_id, proposal_id, referral_id = new_id(), new_id(), new_id()
    previous: uuid.UUID | None = None
    out: list[Submission] = []

    def emit(
        institution: str, role: str, at: dt.datetime, event_type: str, **fields: object
    ) -> None:
        nonlocal previous
        header = new_header(
            event_type,
            case_id=case_id,
            source=institution,
            occurred_at=at,
            actor_role=role,
            causation_id=previous,
            event_id=new_id(),
        )
        event = new_event(event_type, header, **fields)
        previous = event.header.event_id  # type: ignore[attr-defined]
        out.append(Submission(institution, event))

    reported = start + dt.timedelta(minutes=rng.randrange(0, 600))
    served = reported + dt.timedelta(minutes=rng.randrange(60, 240))
    proposed = served + dt.timedelta(hours=rng.randrange(2, 20))
    decided = proposed + dt.timedelta(hours=rng.randrange(2, 20))
    emit(police, "ON_DUTY_OFFICER", reported, "CaseOpened",
         report_id=new_id(), municipality=municipality, report_channel="POLICE_CALL",
         violence_types=["PHYSICAL", "PSYCHOLOGICAL"], relationship="SPOUSE",
         children_present=rng.random() < 0.4, initial_risk="IMMINENT_DANGER")  # fmt: skip
    emit(police, "COMPETENT_POLICE_OFFICER", reported + HOUR, "RiskAssessed",
         assessment_id=new_id(), stage="POLICE_ASSESSMENT", assessed_by="POLICE",
         perpetrator_subject_id=perpetrator, victim_subject_ids=[victim],
         level="IMMINENT_DANGER", forwarded_to_prosecutor=True)  # fmt: skip
    emit(police, "COMPETENT_POLICE_OFFICER", served - HOUR / 2, "UrgentMeasureImposed",
         measure_id=measure_id, order_id=new_id(), measure_type="TEMPORARY_REMOVAL_FROM_DWELLING",
         perpetrator_subject_id=perpetrator, protected_subject_ids=[victim],
         imposed_at=served - HOUR / 2)  # fmt: skip
    emit(police, "COMPETENT_POLICE_OFFICER", served, "UrgentMeasureServed",
         measure_id=measure_id, served_at=served, expires_at=served + 48 * HOUR,
         extension_proposal_due_at=served + 24 * HOUR)  # fmt: skip
    emit(prosecutor, "PUBLIC_PROSECUTOR", proposed, "ExtensionProposed",
         measure_id=measure_id, proposal_id=proposal_id, proposed_at=proposed, served_at=served,
         proposal_due_at=served + 24 * HOUR, decision_due_at=proposed + 24 * HOUR,
         court_institution_id=court, evaluated_risk_level="IMMINENT_DANGER")  # fmt: skip
    emit(court, "JUDGE", decided, "ExtensionDecided",
         measure_id=measure_id, decision_id=new_id(), proposal_id=proposal_id,
         instance="BASIC_COURT", granted=True, decided_at=decided,
         new_expires_at=served + 48 * HOUR + dt.timedelta(days=30))  # fmt: skip
    emit(csr, "CASE_MANAGER", decided + 2 * HOUR, "ReferralSent",
         referral_id=referral_id, to_institution="ngo.azc", service_type="COUNSELLING",
         urgency="P1", subject_ids=[victim], basis={"kind": "STATUTORY"})  # fmt: skip
    emit("ngo.azc", "NGO_COUNSELLOR", decided + 5 * HOUR, "ReferralAccepted",
         referral_id=referral_id, accepted_at=decided + 5 * HOUR)  # fmt: skip
    return out
