"""One valid example of every event an institution may submit, as the story of one case.

The examples are what an integrator copies: the HTTP API shows them in ``/docs`` beside each event
type's fields, and a test posts them, each with its source's token and in this order, and checks
that the exchange accepts every one. They are built, not written by hand, so they follow the
schemas and the exchange's rules as those change: the urgent-measure path of the scripted
scenario (report, urgent measure, extension, a referral accepted), continued with the events that
case does not need, then the programme's own work; dated so that the story ends an hour ago.

A ``SubjectRegistered`` example carries ``identity`` in clear (what an HTTP client sends, for the
platform to seal); the identifiers are synthetic.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from producers.programme import programme_event, programme_id
from producers.scenario import (
    DAY,
    HOUR,
    NGO,
    CaseScript,
    Submission,
    serving,
    urgent_measure_path,
)
from schemas.models import EventModel

SEED = 2026
EXAMPLE_PROGRAMME = programme_id("primer-programa-2026")


@dataclass(frozen=True)
class Example:
    """An event as its source posts it over HTTP, and the JSON body it posts."""

    institution: str
    event: EventModel
    body: dict[str, Any]

    @property
    def event_type(self) -> str:
        return self.event.event_type

    @property
    def event_id(self) -> uuid.UUID:
        return self.event.header.event_id  # type: ignore[attr-defined, no-any-return]


def story() -> tuple[Example, ...]:
    """Every example, in the order they are to be posted, ending an hour before this hour.

    Recent on purpose: a referral the deadline watcher finds past its due time is expired at once
    (its clock follows the events), so a story posted days after its dates would not be accepted.
    """
    this_hour = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return _story(this_hour)


def by_event_type() -> dict[str, Example]:
    """The first example of each event type."""
    first: dict[str, Example] = {}
    for example in story():
        first.setdefault(example.event_type, example)
    return first


@functools.lru_cache(maxsize=2)
def _story(this_hour: dt.datetime) -> tuple[Example, ...]:
    reference = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    span = _case_script(reference).submissions[-1].event.header.occurred_at - reference  # type: ignore[attr-defined]
    script = _case_script(this_hour - HOUR - span)
    case_events = [_example(s, script) for s in script.submissions]
    return (*case_events, *_programme_examples(this_hour.date()))


def _case_script(start: dt.datetime) -> CaseScript:
    """The urgent-measure path (about two days), then every other case event within hours."""
    script = CaseScript(random.Random(SEED), "lazarevac")
    _coordinate(script, urgent_measure_path(script, start))
    return script


def _coordinate(s: CaseScript, after: dt.datetime) -> None:
    """A conference and its plan, a second report, consent given and withdrawn, a declined, a
    completed and a revoked referral, a breach, a protection order, the closure, a reopening."""
    step = iter(after + HOUR / 2 * n for n in range(1, 40))
    legal_aid = serving(s.municipality, "LEGAL_AID")
    conference, plan, measure = s.new_id(), s.new_id(), s.new_id()
    scheduled, held = next(step), next(step)
    s.conference(conference, scheduled, held, [s.csr, s.police, NGO])
    counselling = {
        "measure_id": measure, "kind": "SUPPORT", "description_code": "COUNSELLING",
        "service_type": "COUNSELLING",
        "executor_institution": {"institution_id": NGO, "kind": "NGO"},
        "due_at": held + 14 * DAY, "for_subject_ids": [s.victim],
    }  # fmt: skip
    s.emit(s.prosecutor, "PUBLIC_PROSECUTOR", next(step), "ProtectionPlanAdopted",
           plan_id=plan, conference_id=conference, victim_subject_id=s.victim,
           measures=[counselling], victim_participated=True,
           review_due_at=held + 15 * DAY)  # fmt: skip
    at = next(step)
    s.emit(NGO, "NGO_COUNSELLOR", at, "ServiceProvided", service_id=s.new_id(),
           service_type="COUNSELLING", provided_at=at, quantity=1, unit="SESSIONS",
           for_subject_ids=[s.victim])  # fmt: skip
    at = next(step)
    s.emit(NGO, "NGO_COUNSELLOR", at, "PlanMeasureCompleted", plan_id=plan, measure_id=measure,
           completed_at=at, outcome="GOAL_ACHIEVED")  # fmt: skip
    s.emit(s.police, "ON_DUTY_OFFICER", next(step), "ReportReceived", report_id=s.new_id(),
           channel="POLICE_CALL", reported_by="NEIGHBOUR_OR_WITNESS",
           violence_types=["PSYCHOLOGICAL"], municipality=s.municipality)  # fmt: skip
    consent = f"CSR-{s.new_id().hex[:10]}"
    s.emit(s.csr, "CASE_MANAGER", next(step), "ConsentGiven", consent_ref=consent,
           subject_id=s.victim, given_by="SUBJECT", form="WRITTEN",
           scope=["REFERRAL_TO_SERVICES"], recipients=[legal_aid])  # fmt: skip
    for ending in ("ReferralDeclined", "ReferralCompleted", "ReferralRevoked"):
        _referral(s, legal_aid, step, ending)
    at = next(step)
    s.emit(s.csr, "CASE_MANAGER", at, "ConsentWithdrawn", consent_ref=consent,
           subject_id=s.victim, withdrawn_at=at)  # fmt: skip
    urgent = next(x.event for x in s.submissions if x.event_type == "UrgentMeasureImposed")
    at = next(step)
    s.emit(s.police, "COMPETENT_POLICE_OFFICER", at, "UrgentMeasureBreached",
           measure_id=urgent.measure_id, observed_at=at,  # type: ignore[attr-defined]
           breach_category="APPROACHED_VICTIM",
           misdemeanour_proceedings_initiated=True)  # fmt: skip
    at = next(step)
    s.emit(s.court, "JUDGE", at, "ProtectionOrderIssued", order_id=s.new_id(),
           measures=["APPROACH_BAN"], valid_from=at.date(), valid_until=at.date() + 365 * DAY,
           protected_subject_ids=[s.victim], restricted_subject_ids=[s.perpetrator],
           approach_distance_metres=200)  # fmt: skip
    at = next(step)
    closed = s.emit(s.police, "COMPETENT_POLICE_OFFICER", at, "CaseClosed", closed_at=at,
                    reason="PROTECTION_ACHIEVED", final_risk_level="MEDIUM")  # fmt: skip
    at = next(step)
    s.emit(s.police, "COMPETENT_POLICE_OFFICER", at, "CaseReopened", reopened_at=at,
           reason="MEASURE_BREACHED",
           closed_event_id=closed.header.event_id)  # type: ignore[attr-defined]  # fmt: skip


def _referral(s: CaseScript, to: str, step: Iterator[dt.datetime], ending: str) -> None:
    """A referral from the CSR to ``to``, ended by ``ending``."""
    referral = s.new_id()
    s.emit(s.csr, "CASE_MANAGER", next(step), "ReferralSent", referral_id=referral,
           to_institution=to, service_type="FREE_LEGAL_AID", urgency="P2",
           subject_ids=[s.victim], basis={"kind": "STATUTORY"})  # fmt: skip
    at = next(step)
    if ending == "ReferralRevoked":
        s.emit(s.csr, "CASE_MANAGER", at, ending, referral_id=referral, revoked_at=at,
               reason="NO_LONGER_NEEDED")  # fmt: skip
        return
    if ending == "ReferralDeclined":
        s.emit(to, "LAWYER", at, ending, referral_id=referral, declined_at=at,
               reason_code="NO_CAPACITY")  # fmt: skip
        return
    s.emit(to, "LAWYER", at, "ReferralAccepted", referral_id=referral, accepted_at=at)
    at = next(step)
    s.emit(to, "LAWYER", at, ending, referral_id=referral, completed_at=at,
           outcome="GOAL_ACHIEVED")  # fmt: skip


def _programme_examples(today: dt.date) -> list[Example]:
    """An agreement signed, amended and ended, an activity held and a service set up."""
    signed_on = today - 120 * DAY
    agreement = uuid.uuid5(EXAMPLE_PROGRAMME, "agreement")
    parties = [{"institution_id": NGO, "kind": "NGO"},
               {"institution_id": "csr.lazarevac", "kind": "CSR"}]  # fmt: skip

    def made(event_type: str, day: dt.date, **fields: Any) -> Example:
        event = programme_event(event_type, programme=EXAMPLE_PROGRAMME, publisher=NGO, day=day,
                                reference=event_type, **fields)  # fmt: skip
        return Example(NGO, event, event.model_dump(mode="json"))

    return [
        made(
            "CooperationAgreementSigned",
            signed_on,
            agreement_id=agreement,
            parties=parties,
            scope=["COMMON_PROCEDURES", "CASE_CONFERENCES"],
            municipality="lazarevac",
            signed_on=signed_on,
            in_force_from=signed_on,
        ),
        made(
            "CooperationAgreementAmended",
            signed_on + 30 * DAY,
            agreement_id=agreement,
            amended_on=signed_on + 30 * DAY,
            parties=parties,
        ),
        made(
            "ActivityHeld",
            signed_on + 40 * DAY,
            activity_id=uuid.uuid5(agreement, "meeting"),
            kind="CONSULTATIVE_MEETING",
            topic="LOCAL_ACTIVITY_PLANNING",
            municipality="lazarevac",
            held_from=signed_on + 40 * DAY,
        ),
        made(
            "ServiceEstablished",
            signed_on + 60 * DAY,
            establishment_id=uuid.uuid5(agreement, "register"),
            service="CASE_REGISTER",
            institution_id="csr.lazarevac",
            municipality="lazarevac",
            established_on=signed_on + 60 * DAY,
        ),
        made(
            "CooperationAgreementEnded",
            signed_on + 100 * DAY,
            agreement_id=agreement,
            ended_on=signed_on + 100 * DAY,
            reason="SUPERSEDED",
        ),
    ]


def _example(submission: Submission, script: CaseScript) -> Example:
    body = submission.event.model_dump(mode="json")
    if submission.event_type == "SubjectRegistered":
        person = script.people[submission.event.subject_id]  # type: ignore[attr-defined]
        body.pop("sealed")
        body["identity"] = person.model_dump(mode="json", exclude_none=True)
    return Example(submission.institution, submission.event, body)
