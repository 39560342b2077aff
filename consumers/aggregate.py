"""The regional aggregate: case events as pseudonymised, generalised facts for indicators.

Read by ``consumers.indicators`` and released only through ``services.disclosure``. What it keeps
is listed in ``consumers.aggregate_tables``; what it never keeps is a case, subject, referral or
event id, a name or any sealed personal data, an exact date, a birth year, or a small municipality.
Everything is driven by event time, so a replay of the same log with the same key gives the same
tables. A record that cannot be applied is noted by its place in the log and the error's type only
(an error message may quote an id), and the consumer goes on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import lru_cache
from typing import Any, ClassVar

from sqlalchemy import Connection, bindparam, insert, select, update

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
from consumers.events import CaseEvent
from consumers.runner import Outbox
from schemas import Codec
from services.institutions import InstitutionRegistry
from services.pseudonyms import Pseudonymiser

RISK_ORDER = ("UNKNOWN", "STANDARD", "MEDIUM", "HIGH", "IMMINENT_DANGER")
REPEAT_MONTHS = 12
CASE_LOOKBACK = dt.timedelta(days=6 * 366)  # how far back a later event may find its case
CASE_LOOKAHEAD = dt.timedelta(days=366)  # an event may be dated before its case was opened

# Statements of the per-event path, built once: SQLAlchemy memoises a statement's cache key on
# the object, so reusing one skips the construction and key generation that, per event, cost
# more than SQLite's own work. Values travel as parameters.
_FIND_CASE = select(cases.c.case_ps, cases.c.epoch, cases.c.month, cases.c.review).where(
    cases.c.case_ps.in_(bindparam("candidates", expanding=True))
)
_OPEN_CASE = insert(cases)
_VIOLENCE_TYPES = select(cases.c.violence_types).where(cases.c.case_ps == bindparam("key"))
_ASSESSED_RISK = select(cases.c.assessed_risk).where(cases.c.case_ps == bindparam("key"))
_VICTIM = select(cases.c.victim_ps).where(cases.c.case_ps == bindparam("key"))
_UPDATE_CASE = update(cases).where(cases.c.case_ps == bindparam("key"))
_SUBJECT_KEY = (
    (subjects.c.case_ps == bindparam("key_case"))
    & (subjects.c.subject_ps == bindparam("key_subject"))
    & (subjects.c.role == bindparam("key_role"))
)
_FIND_SUBJECT = select(subjects).where(_SUBJECT_KEY)
_ADD_SUBJECT = insert(subjects)
_UPDATE_SUBJECT = update(subjects).where(_SUBJECT_KEY)
_UPDATE_MEASURE = update(measures).where(measures.c.measure_ps == bindparam("key"))
_BREACHED = _UPDATE_MEASURE.values(breaches=measures.c.breaches + 1)
_UPDATE_REFERRAL = update(referrals).where(referrals.c.referral_ps == bindparam("key"))


class RegionalAggregate(PseudonymousProjection):
    """Projection ``aggregate``; its tables belong in the aggregate database, not the views'."""

    name: ClassVar[str] = "aggregate"
    database: ClassVar[str] = "aggregate"
    tables = ALL_TABLES

    def __init__(
        self,
        codec: Codec,
        institutions: InstitutionRegistry,
        pseudonyms: Pseudonymiser,
        *,
        pool_below: int = 20_000,
    ) -> None:
        super().__init__(codec, pseudonyms)
        self.institutions = institutions
        self.pool_below = pool_below
        # Every event of a case asks for the same pseudonyms (an HMAC per epoch); they are pure
        # in (case id, epochs) under this key, so a bounded memo keeps the recent cases'.
        self._case_candidates = lru_cache(maxsize=16_384)(self._candidates)
        self._cases: dict[str, CaseFacts] = {}

    def begin_batch(self) -> None:
        # The cases found or opened in this batch; forgotten whenever work may be rolled back.
        super().begin_batch()
        self._cases = {}

    def _candidates(self, case_id: Any, epochs: tuple[str, ...]) -> list[str]:
        return [self.ps.pseudonym("case", case_id, epoch) for epoch in epochs]

    # -- one event ------------------------------------------------------------------------------

    def apply(self, event: CaseEvent, tx: Connection, out: Outbox) -> None:
        kind = event.event_type
        if kind in {"CaseOpened", "ReportReceived"}:
            case = self._find_case(event, tx) or self._open_case(event, tx)
        else:
            found = self._find_case(event, tx)
            if found is None:
                raise LookupError("event of a case the aggregate has not seen opened")
            case = found
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(event, case, tx)
        self._judge_review(event, case, tx)

    def _find_case(self, event: CaseEvent, tx: Connection) -> CaseFacts | None:
        at = event.occurred_at
        epochs = tuple(self.ps.epochs_between(at - CASE_LOOKBACK, at + CASE_LOOKAHEAD))
        known = self._cases.get(event.case_id)
        if known is not None and known.epoch in epochs:
            return known
        candidates = self._case_candidates(event.case_id, epochs)
        row = tx.execute(_FIND_CASE, {"candidates": candidates}).first()
        if row is None:
            return None
        found = CaseFacts(row.case_ps, row.epoch, row.month, row.review)
        self._cases[event.case_id] = found
        return found

    def _judged(self, event: CaseEvent, case: CaseFacts, tx: Connection, review: str) -> None:
        _update_case(tx, case, review=review)
        self._cases[event.case_id] = replace(case, review=review)

    def _open_case(self, event: CaseEvent, tx: Connection) -> CaseFacts:
        epoch = self.ps.epoch_of(event.occurred_at)
        case = CaseFacts(
            self.ps.pseudonym("case", event.case_id, epoch),
            epoch,
            g.month_of(event.occurred_at),
            None,
        )
        self._cases[event.case_id] = case
        tx.execute(
            _OPEN_CASE,
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
            },
        )
        return case

    # -- cases and subjects -----------------------------------------------------------------

    def _on_CaseOpened(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        self._add_violence_types(event, case, tx)

    def _on_ReportReceived(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        self._add_violence_types(event, case, tx)
        for subject in event.get("subjects") or []:
            self._link(case, subject["subject_id"], subject["role"], event, tx)

    def _add_violence_types(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        known = tx.execute(_VIOLENCE_TYPES, {"key": case.case_ps}).scalar_one()
        types = {t for t in known.split(",") if t} | set(event.get("violence_types") or [])
        _update_case(tx, case, violence_types=",".join(sorted(types)))

    def _on_SubjectRegistered(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        self._link(
            case,
            event["subject_id"],
            event["role"],
            event,
            tx,
            sex=event.get("sex") or g.UNKNOWN,
            band=g.age_band(event.get("birth_year"), event.occurred_at),
        )

    def _on_SubjectErased(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        subject_ps = self._id("subject", event["subject_id"], case)
        tx.execute(
            update(subjects)
            .where(subjects.c.subject_ps == subject_ps)
            .values(sex=g.UNKNOWN, age_band=g.UNKNOWN)
        )
        tx.execute(
            update(cases)
            .where(cases.c.victim_ps == subject_ps)
            .values(victim_sex=g.UNKNOWN, victim_age_band=g.UNKNOWN)
        )

    def _on_RiskAssessed(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        level = event["level"]
        known = tx.execute(_ASSESSED_RISK, {"key": case.case_ps}).scalar_one()
        if known is None or RISK_ORDER.index(level) > RISK_ORDER.index(known):
            _update_case(tx, case, assessed_risk=level)
        if event.get("perpetrator_subject_id"):
            self._link(case, event["perpetrator_subject_id"], "PERPETRATOR", event, tx)
        for victim in event.get("victim_subject_ids") or []:
            self._link(case, victim, "VICTIM", event, tx)
        if level == "IMMINENT_DANGER" and case.review is None:
            # LPDV Art. 25, 31: the group reviews an imminent-danger case within 15 days.
            due = deadlines.coordination_review_due(event.occurred_at)
            if self._clock(tx, "review", event.case_id, case) is None:
                self._set_clock(tx, "review", event.case_id, case, due)

    def _link(
        self,
        case: CaseFacts,
        subject_id: Any,
        role: str,
        event: CaseEvent,
        tx: Connection,
        *,
        sex: str | None = None,
        band: str | None = None,
    ) -> None:
        subject_ps = self._id("subject", subject_id, case)
        key = {"key_case": case.case_ps, "key_subject": subject_ps, "key_role": role}
        known = tx.execute(_FIND_SUBJECT, key).first()
        if known is None:
            tx.execute(
                _ADD_SUBJECT,
                {
                    "case_ps": case.case_ps,
                    "subject_ps": subject_ps,
                    "role": role,
                    "sex": sex or g.UNKNOWN,
                    "age_band": band or g.UNKNOWN,
                },
            )
        elif sex is not None:
            tx.execute(_UPDATE_SUBJECT, {**key, "sex": sex, "age_band": band or g.UNKNOWN})
        if role != "VICTIM":
            return
        victim_ps = tx.execute(_VICTIM, {"key": case.case_ps}).scalar_one()
        if victim_ps is None:
            _update_case(tx, case, victim_ps=subject_ps)
            victim_ps = subject_ps
        if victim_ps == subject_ps and sex is not None:
            _update_case(tx, case, victim_sex=sex, victim_age_band=band or g.UNKNOWN)
        if known is None:
            self._mark_repeats(case, subject_id, tx)

    def _mark_repeats(self, case: CaseFacts, subject_id: Any, tx: Connection) -> None:
        """A case is a repeat when its victim was a victim of another case opened in the 12
        calendar months before it; two such cases in the same month are both repeats (exact dates
        are not kept). Pseudonyms of the neighbouring epochs are computed here on purpose: this
        is the one bounded linkage across epochs. Order-free, so any interleaving of partitions
        gives the same flags."""
        window = self.ps.epochs_between(
            g.shift_month(case.month, -REPEAT_MONTHS), g.shift_month(case.month, REPEAT_MONTHS)
        )
        candidates = [self.ps.pseudonym("subject", subject_id, e) for e in window]
        others = tx.execute(
            select(cases.c.case_ps, cases.c.month)
            .join(subjects, subjects.c.case_ps == cases.c.case_ps)
            .where(subjects.c.subject_ps.in_(candidates))
            .where(subjects.c.role == "VICTIM")
            .where(cases.c.case_ps != case.case_ps)
        ).all()
        for other in others:
            apart = g.months_apart(other.month, case.month)
            if abs(apart) > REPEAT_MONTHS:
                continue
            if apart >= 0:
                tx.execute(update(cases).where(cases.c.case_ps == case.case_ps).values(repeat=True))
            if apart <= 0:
                tx.execute(
                    update(cases).where(cases.c.case_ps == other.case_ps).values(repeat=True)
                )

    # -- urgent measures (LPDV Art. 17-21) -----------------------------------------------------

    def _on_UrgentMeasureImposed(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        tx.execute(
            insert(measures).values(
                measure_ps=self._id("measure", event["measure_id"], case),
                case_ps=case.case_ps,
                month=g.month_of(event["imposed_at"]),
                measure_type=event["measure_type"],
                served=False,
                proposed=False,
                decided=False,
                breaches=0,
            )
        )
        self._link(case, event["perpetrator_subject_id"], "PERPETRATOR", event, tx)
        for victim in event.get("protected_subject_ids") or []:
            self._link(case, victim, "VICTIM", event, tx)

    def _measure(self, event: CaseEvent, case: CaseFacts, tx: Connection, **values: Any) -> None:
        measure_ps = self._id("measure", event["measure_id"], case)
        tx.execute(_UPDATE_MEASURE, {"key": measure_ps, **values})

    def _on_UrgentMeasureServed(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        self._measure(event, case, tx, served=True)

    def _on_ExtensionProposed(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        proposed = event["proposed_at"]
        due = deadlines.extension_proposal_due(event["served_at"])
        self._measure(event, case, tx, proposed=True, proposal_timely=proposed <= due)
        decision_due = deadlines.extension_decision_due(proposed)
        self._set_clock(tx, "decision", event["measure_id"], case, decision_due)

    def _on_ExtensionDecided(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        due = self._clock(tx, "decision", event["measure_id"], case)
        values: dict[str, Any] = {"decided": True, "granted": event["granted"]}
        if due is not None:  # the first decision is the one the 24 h clock is about
            values["decision_timely"] = event["decided_at"] <= due
            self._drop_clock(tx, "decision", event["measure_id"], case)
        self._measure(event, case, tx, **values)

    def _on_UrgentMeasureBreached(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        measure_ps = self._id("measure", event["measure_id"], case)
        tx.execute(_BREACHED, {"key": measure_ps})

    # -- referrals ------------------------------------------------------------------------------

    def _on_ReferralSent(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        sent = event.occurred_at
        recipient = self.institutions.get(event["to_institution"])
        tx.execute(
            insert(referrals).values(
                referral_ps=self._id("referral", event["referral_id"], case),
                case_ps=case.case_ps,
                month=g.month_of(sent),
                service_type=event["service_type"],
                urgency=event["urgency"],
                recipient_kind=recipient.kind if recipient else "OTHER",
                accepted=False,
                declined=False,
                completed=False,
                expired=False,
            )
        )
        due = deadlines.referral_due(sent, event["urgency"], event.get("due_at"))
        self._set_clock(tx, "referral-sent", event["referral_id"], case, sent)
        self._set_clock(tx, "referral-due", event["referral_id"], case, due)

    def _referral(self, event: CaseEvent, case: CaseFacts, tx: Connection, **values: Any) -> None:
        referral_ps = self._id("referral", event["referral_id"], case)
        tx.execute(_UPDATE_REFERRAL, {"key": referral_ps, **values})

    def _answered(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> dict[str, Any]:
        referral_id = event["referral_id"]
        due = self._clock(tx, "referral-due", referral_id, case)
        values: dict[str, Any] = {}
        if due is not None:
            values["answer_timely"] = event.occurred_at <= due
        if event.event_type == "ReferralAccepted":
            sent = self._clock(tx, "referral-sent", referral_id, case)
            if sent is not None:
                values["hours_to_accept"] = int((event.occurred_at - sent).total_seconds() // 3600)
        for kind in ("referral-due", "referral-sent"):
            self._drop_clock(tx, kind, referral_id, case)
        return values

    def _on_ReferralAccepted(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        self._referral(event, case, tx, accepted=True, **self._answered(event, case, tx))

    def _on_ReferralDeclined(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        values = self._answered(event, case, tx)
        self._referral(
            event, case, tx, declined=True, decline_reason=event["reason_code"], **values
        )

    def _on_ReferralCompleted(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        self._referral(event, case, tx, completed=True)

    def _on_ReferralExpired(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        for kind in ("referral-due", "referral-sent"):
            self._drop_clock(tx, kind, event["referral_id"], case)
        self._referral(event, case, tx, expired=True, answer_timely=False)

    def _on_ReferralRevoked(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        for kind in ("referral-due", "referral-sent"):
            self._drop_clock(tx, kind, event["referral_id"], case)

    # -- coordination group, plans, services --------------------------------------------------

    def _on_CaseConferenceHeld(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        due = self._clock(tx, "review", event.case_id, case)
        if due is not None:
            self._judged(event, case, tx, "met" if event["held_at"] <= due else "late")
            self._drop_clock(tx, "review", event.case_id, case)

    def _judge_review(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        """Any later event of the case after the 15 days, with no meeting yet: missed."""
        if case.review is not None:
            return  # judged already: its review clock was dropped when the judgement was set
        due = self._clock(tx, "review", event.case_id, case)
        if due is not None and event.occurred_at > due:
            self._judged(event, case, tx, "missed")
            self._drop_clock(tx, "review", event.case_id, case)

    def _on_ProtectionPlanAdopted(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        self._link(case, event["victim_subject_id"], "VICTIM", event, tx)
        values: dict[str, Any] = {"plan": True}
        if event["victim_participated"]:
            values["plan_victim_participated"] = True
        _update_case(tx, case, **values)

    def _on_ServiceProvided(self, event: CaseEvent, case: CaseFacts, tx: Connection) -> None:
        tx.execute(
            insert(services).values(
                service_ps=self._id("service", event["service_id"], case),
                case_ps=case.case_ps,
                month=g.month_of(event["provided_at"]),
                service_type=event["service_type"],
                quantity=event["quantity"],
            )
        )


def _update_case(tx: Connection, case: CaseFacts, **values: Any) -> None:
    # The parameters name the columns to set; the statement itself is built once.
    tx.execute(_UPDATE_CASE, {"key": case.case_ps, **values})


__all__ = ["RegionalAggregate"]
