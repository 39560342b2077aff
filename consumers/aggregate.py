"""The regional aggregate: case events as pseudonymised, generalised facts for indicators.

Read by ``consumers.indicators`` and released only through ``services.disclosure``. What it keeps is
listed in ``consumers.aggregate_tables``; what it never keeps is a case, subject, referral or event
id, a name or any sealed personal data, an exact date, a birth year, or a small municipality.
Everything is driven by event time, so a replay of the same log with the same key gives the same
tables. A record that cannot be applied is noted by its place in the log and the error's type only
(an error message may quote an id), and the consumer goes on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any, ClassVar

from sqlalchemy import Connection

from consumers import deadlines
from consumers import generalise as g
from consumers.aggregate_base import CaseFacts, PseudonymousProjection
from consumers.aggregate_tables import (
    ALL_TABLES,
    cases,
    measures,
    referrals,
    services,
    subjects,
)
from consumers.event_projection import CaseEvent
from consumers.repeat_victims import REPEAT_MONTHS, NamedVictim, flag_repeats
from consumers.rows import RowsToInsert, TableRows
from consumers.runner import BatchOutput, Database
from schemas import Codec
from schemas.institutions import InstitutionRegistry
from services.platform.pseudonyms import Pseudonymiser

RISK_ORDER = ("UNKNOWN", "STANDARD", "MEDIUM", "HIGH", "IMMINENT_DANGER")
CASE_LOOKBACK = dt.timedelta(days=6 * 366)  # how far back a later event may find its case
CASE_LOOKAHEAD = dt.timedelta(days=366)  # an event may be dated before its case was opened
OPENING_EVENTS = frozenset({"CaseOpened", "ReportReceived"})


class RegionalAggregate(PseudonymousProjection):
    """Projection ``aggregate``; its tables belong in the aggregate database, not the views'."""

    name: ClassVar[str] = "aggregate"
    database: ClassVar[Database] = "aggregate"
    tables = ALL_TABLES

    def __init__(
        self,
        codec: Codec,
        institutions: InstitutionRegistry,
        pseudonyms: Pseudonymiser,
        *,
        pool_below: int = 20_000,
    ) -> None:
        self.cases = TableRows(cases)
        self.subjects = TableRows(subjects, groups=("case_ps",))
        self.measures = TableRows(measures)
        self.referrals = TableRows(referrals)
        self.services = RowsToInsert(services)
        super().__init__(
            codec,
            pseudonyms,
            self.cases,
            self.subjects,
            self.measures,
            self.referrals,
            self.services,
        )
        self.institutions = institutions
        self.pool_below = pool_below
        # Every event of a case asks for the same pseudonyms (an HMAC per epoch); they are pure
        # in (case id, epochs) under this key, so a bounded memo keeps the recent cases'.
        self._case_candidates = lru_cache(maxsize=16_384)(self._candidates)
        self._epochs_around = lru_cache(maxsize=4096)(self._epochs_of_day)
        self._handlers = {
            name.removeprefix("_on_"): getattr(self, name)
            for name in dir(self)
            if name.startswith("_on_")
        }
        self.rows_forgotten()
        self.begin_batch()

    def rows_forgotten(self) -> None:
        self._cases: dict[str, CaseFacts] = {}  # by raw case id: memory only, never stored
        self._new_victims: list[NamedVictim] = []

    def begin_batch(self) -> None:
        self._new_victims = []

    def _candidates(self, case_id: Any, epochs: tuple[str, ...]) -> list[str]:
        return [self.ps.pseudonym("case", case_id, epoch) for epoch in epochs]

    # -- one event ------------------------------------------------------------------------------

    def prepare(self, events: Sequence[CaseEvent]) -> None:
        """Find the batch's cases (and what every event of them reads) with a few queries."""
        wanted: dict[str, tuple[str, ...]] = {}
        for event in events:
            if event.case_id not in self._cases and event.case_id not in wanted:
                wanted[event.case_id] = self._epochs(event)
        self.cases.prefetch(
            candidate
            for case_id, epochs in wanted.items()
            for candidate in self._case_candidates(case_id, epochs)
        )
        found = [c.case_ps for c in map(self._find_known, wanted.items()) if c is not None]
        self.applied.load(found)
        self.subjects.prefetch_groups("case_ps", found)

    def apply(self, event: CaseEvent, tx: Connection, out: BatchOutput) -> None:
        kind = event.event_type
        if kind in OPENING_EVENTS:
            case = self._find_case(event) or self._open_case(event)
        else:
            found = self._find_case(event)
            if found is None:
                raise LookupError("event of a case the aggregate has not seen opened")
            case = found
        if not self.first_time(event, case):
            return  # a copy of an event applied already
        handler = self._handlers.get(kind)
        if handler is not None:
            handler(event, case)
        self._judge_review(event, case)

    def _epochs(self, event: CaseEvent) -> tuple[str, ...]:
        """The epochs an event's case may have been opened in (the same for a whole day)."""
        return self._epochs_around(event.occurred_at.astimezone(dt.UTC).date())

    def _epochs_of_day(self, day: dt.date) -> tuple[str, ...]:
        at = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        return tuple(self.ps.epochs_between(at - CASE_LOOKBACK, at + CASE_LOOKAHEAD))

    def _find_case(self, event: CaseEvent) -> CaseFacts | None:
        epochs = self._epochs(event)
        known = self._cases.get(event.case_id)
        if known is not None and known.epoch in epochs:
            return known
        return self._find_known((event.case_id, epochs))

    def _find_known(self, wanted: tuple[str, tuple[str, ...]]) -> CaseFacts | None:
        case_id, epochs = wanted
        for candidate in self._case_candidates(case_id, epochs):
            row = self.cases.get(candidate)
            if row is not None:
                found = CaseFacts(row["case_ps"], row["epoch"], row["month"], row["review"])
                self._cases[case_id] = found
                return found
        return None

    def _judged(self, event: CaseEvent, case: CaseFacts, review: str) -> None:
        self.cases.update(case.case_ps, review=review)
        self._cases[event.case_id] = replace(case, review=review)

    def _open_case(self, event: CaseEvent) -> CaseFacts:
        epoch = self.ps.epoch_of(event.occurred_at)
        case = CaseFacts(
            self.ps.pseudonym("case", event.case_id, epoch),
            epoch,
            g.month_of(event.occurred_at),
            None,
        )
        self._cases[event.case_id] = case
        # Not found in any epoch: nothing of it is stored yet.
        self.applied.new_owner(case.case_ps)
        self.subjects.assume_empty_group("case_ps", case.case_ps)
        self.clocks.assume_absent(self._clock_ps("review", event.case_id, case))
        self.cases.add(
            {
                "case_ps": case.case_ps,
                "epoch": epoch,
                "month": case.month,
                "area": g.area_of(event.get("municipality"), self.pool_below),
                "violence_types": "",
                "assessed_risk": None,
                "victim_ps": None,
                "victim_sex": g.UNKNOWN,
                "victim_age_band": g.UNKNOWN,
                "repeat": False,
                "plan": False,
                "plan_victim_participated": False,
                "review": None,
            }
        )
        return case

    # -- cases and subjects -----------------------------------------------------------------

    def _on_CaseOpened(self, event: CaseEvent, case: CaseFacts) -> None:
        self._add_violence_types(event, case)

    def _on_ReportReceived(self, event: CaseEvent, case: CaseFacts) -> None:
        self._add_violence_types(event, case)
        for subject in event.get("subjects") or []:
            self._link(case, subject["subject_id"], subject["role"], event)

    def _case_row(self, case: CaseFacts) -> dict[str, Any]:
        row = self.cases.get(case.case_ps)
        if row is None:
            raise LookupError("the case's row is gone")
        return row

    def _add_violence_types(self, event: CaseEvent, case: CaseFacts) -> None:
        known = self._case_row(case)["violence_types"]
        types = {t for t in known.split(",") if t} | set(event.get("violence_types") or [])
        self.cases.update(case.case_ps, violence_types=",".join(sorted(types)))

    def _on_SubjectRegistered(self, event: CaseEvent, case: CaseFacts) -> None:
        self._link(
            case,
            event["subject_id"],
            event["role"],
            event,
            sex=event.get("sex") or g.UNKNOWN,
            band=g.age_band(event.get("birth_year"), event.occurred_at),
        )

    def _on_SubjectErased(self, event: CaseEvent, case: CaseFacts) -> None:
        # One tombstone per case the subject is in: each erases what its own case holds.
        subject_ps = self._id("subject", event["subject_id"], case)
        for row in self.subjects.group("case_ps", case.case_ps):
            if row["subject_ps"] == subject_ps:
                key = (case.case_ps, subject_ps, row["role"])
                self.subjects.update(key, sex=g.UNKNOWN, age_band=g.UNKNOWN)
        if self._case_row(case)["victim_ps"] == subject_ps:
            self.cases.update(case.case_ps, victim_sex=g.UNKNOWN, victim_age_band=g.UNKNOWN)

    def _on_RiskAssessed(self, event: CaseEvent, case: CaseFacts) -> None:
        level = event["level"]
        known = self._case_row(case)["assessed_risk"]
        if known is None or RISK_ORDER.index(level) > RISK_ORDER.index(known):
            self.cases.update(case.case_ps, assessed_risk=level)
        if event.get("perpetrator_subject_id"):
            self._link(case, event["perpetrator_subject_id"], "PERPETRATOR", event)
        for victim in event.get("victim_subject_ids") or []:
            self._link(case, victim, "VICTIM", event)
        if level == "IMMINENT_DANGER" and case.review is None:
            # LPDV Art. 25, 31: the group reviews an imminent-danger case within 15 days.
            due = deadlines.coordination_review_due(event.occurred_at)
            if self._clock("review", event.case_id, case) is None:
                self._set_clock("review", event.case_id, case, due)

    def _link(
        self,
        case: CaseFacts,
        subject_id: Any,
        role: str,
        event: CaseEvent,
        *,
        sex: str | None = None,
        band: str | None = None,
    ) -> None:
        subject_ps = self._id("subject", subject_id, case)
        key = (case.case_ps, subject_ps, role)
        known = self.subjects.get(key)
        if known is None:
            self.subjects.add(
                {
                    "case_ps": case.case_ps,
                    "subject_ps": subject_ps,
                    "role": role,
                    "sex": sex or g.UNKNOWN,
                    "age_band": band or g.UNKNOWN,
                }
            )
        elif sex is not None:
            self.subjects.update(key, sex=sex, age_band=band or g.UNKNOWN)
        if role != "VICTIM":
            return
        victim_ps = self._case_row(case)["victim_ps"]
        if victim_ps is None:
            self.cases.update(case.case_ps, victim_ps=subject_ps)
            victim_ps = subject_ps
        if victim_ps == subject_ps and sex is not None:
            self.cases.update(case.case_ps, victim_sex=sex, victim_age_band=band or g.UNKNOWN)
        if known is None:
            self._new_victims.append(self._named_victim(case, str(subject_id)))

    def after_flush(self, tx: Connection, out: BatchOutput) -> None:
        """Flag repeat victimisation for the victims this batch named, once its rows are
        written (``consumers.repeat_victims``)."""
        named, self._new_victims = self._new_victims, []
        for case_ps in flag_repeats(tx, named):
            self.cases.patch(case_ps, repeat=True)

    def _named_victim(self, case: CaseFacts, subject_id: str) -> NamedVictim:
        epochs = self.ps.epochs_between(
            g.shift_month(case.month, -REPEAT_MONTHS), g.shift_month(case.month, REPEAT_MONTHS)
        )
        pseudonyms = [self._pseudonym("subject", subject_id, epoch) for epoch in epochs]
        return NamedVictim(case.case_ps, case.month, pseudonyms)

    # -- urgent measures (LPDV Art. 17-21) -----------------------------------------------------

    def _on_UrgentMeasureImposed(self, event: CaseEvent, case: CaseFacts) -> None:
        self.measures.add(
            {
                "measure_ps": self._id("measure", event["measure_id"], case),
                "case_ps": case.case_ps,
                "month": g.month_of(event["imposed_at"]),
                "measure_type": event["measure_type"],
                "served": False,
                "proposed": False,
                "proposal_timely": None,
                "decided": False,
                "decision_timely": None,
                "granted": None,
                "breaches": 0,
            }
        )
        self._link(case, event["perpetrator_subject_id"], "PERPETRATOR", event)
        for victim in event.get("protected_subject_ids") or []:
            self._link(case, victim, "VICTIM", event)

    def _measure(self, event: CaseEvent, case: CaseFacts, **values: Any) -> None:
        self.measures.update(self._id("measure", event["measure_id"], case), **values)

    def _on_UrgentMeasureServed(self, event: CaseEvent, case: CaseFacts) -> None:
        self._measure(event, case, served=True)

    def _on_ExtensionProposed(self, event: CaseEvent, case: CaseFacts) -> None:
        proposed = event["proposed_at"]
        due = deadlines.extension_proposal_due(event["served_at"])
        self._measure(event, case, proposed=True, proposal_timely=proposed <= due)
        decision_due = deadlines.extension_decision_due(proposed)
        self._set_clock("decision", event["measure_id"], case, decision_due)

    def _on_ExtensionDecided(self, event: CaseEvent, case: CaseFacts) -> None:
        due = self._clock("decision", event["measure_id"], case)
        values: dict[str, Any] = {"decided": True, "granted": event["granted"]}
        if due is not None:  # the first decision is the one the 24 h clock is about
            values["decision_timely"] = event["decided_at"] <= due
            self._drop_clock("decision", event["measure_id"], case)
        self._measure(event, case, **values)

    def _on_UrgentMeasureBreached(self, event: CaseEvent, case: CaseFacts) -> None:
        measure_ps = self._id("measure", event["measure_id"], case)
        measure = self.measures.get(measure_ps)
        if measure is not None:
            self.measures.update(measure_ps, breaches=measure["breaches"] + 1)

    # -- referrals ------------------------------------------------------------------------------

    def _on_ReferralSent(self, event: CaseEvent, case: CaseFacts) -> None:
        sent = event.occurred_at
        recipient = self.institutions.get(event["to_institution"])
        self.referrals.add(
            {
                "referral_ps": self._id("referral", event["referral_id"], case),
                "case_ps": case.case_ps,
                "month": g.month_of(sent),
                "service_type": event["service_type"],
                "urgency": event["urgency"],
                "recipient_kind": recipient.kind if recipient else "OTHER",
                "accepted": False,
                "declined": False,
                "decline_reason": None,
                "completed": False,
                "expired": False,
                "answer_timely": None,
                "hours_to_accept": None,
            }
        )
        due = deadlines.referral_due(sent, event["urgency"], event.get("due_at"))
        self._set_clock("referral-sent", event["referral_id"], case, sent)
        self._set_clock("referral-due", event["referral_id"], case, due)

    def _referral(self, event: CaseEvent, case: CaseFacts, **values: Any) -> None:
        self.referrals.update(self._id("referral", event["referral_id"], case), **values)

    def _answered(self, event: CaseEvent, case: CaseFacts) -> dict[str, Any]:
        referral_id = event["referral_id"]
        due = self._clock("referral-due", referral_id, case)
        values: dict[str, Any] = {}
        if due is not None:
            values["answer_timely"] = event.occurred_at <= due
        if event.event_type == "ReferralAccepted":
            sent = self._clock("referral-sent", referral_id, case)
            if sent is not None:
                values["hours_to_accept"] = int((event.occurred_at - sent).total_seconds() // 3600)
        for kind in ("referral-due", "referral-sent"):
            self._drop_clock(kind, referral_id, case)
        return values

    def _on_ReferralAccepted(self, event: CaseEvent, case: CaseFacts) -> None:
        self._referral(event, case, accepted=True, **self._answered(event, case))

    def _on_ReferralDeclined(self, event: CaseEvent, case: CaseFacts) -> None:
        values = self._answered(event, case)
        self._referral(event, case, declined=True, decline_reason=event["reason_code"], **values)

    def _on_ReferralCompleted(self, event: CaseEvent, case: CaseFacts) -> None:
        self._referral(event, case, completed=True)

    def _on_ReferralExpired(self, event: CaseEvent, case: CaseFacts) -> None:
        for kind in ("referral-due", "referral-sent"):
            self._drop_clock(kind, event["referral_id"], case)
        self._referral(event, case, expired=True, answer_timely=False)

    def _on_ReferralRevoked(self, event: CaseEvent, case: CaseFacts) -> None:
        for kind in ("referral-due", "referral-sent"):
            self._drop_clock(kind, event["referral_id"], case)

    # -- coordination group, plans, services --------------------------------------------------

    def _on_CaseConferenceHeld(self, event: CaseEvent, case: CaseFacts) -> None:
        due = self._clock("review", event.case_id, case)
        if due is not None:
            self._judged(event, case, "met" if event["held_at"] <= due else "late")
            self._drop_clock("review", event.case_id, case)

    def _judge_review(self, event: CaseEvent, case: CaseFacts) -> None:
        """Any later event of the case after the 15 days, with no meeting yet: missed."""
        if case.review is not None:
            return  # judged already: its review clock was dropped when the judgement was set
        due = self._clock("review", event.case_id, case)
        if due is not None and event.occurred_at > due:
            self._judged(event, case, "missed")
            self._drop_clock("review", event.case_id, case)

    def _on_ProtectionPlanAdopted(self, event: CaseEvent, case: CaseFacts) -> None:
        self._link(case, event["victim_subject_id"], "VICTIM", event)
        values: dict[str, Any] = {"plan": True}
        if event["victim_participated"]:
            values["plan_victim_participated"] = True
        self.cases.update(case.case_ps, **values)

    def _on_ServiceProvided(self, event: CaseEvent, case: CaseFacts) -> None:
        self.services.add(
            {
                "service_ps": self._id("service", event["service_id"], case),
                "case_ps": case.case_ps,
                "month": g.month_of(event["provided_at"]),
                "service_type": event["service_type"],
                "quantity": event["quantity"],
            }
        )


__all__ = ["RegionalAggregate"]
