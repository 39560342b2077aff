"""Indicators of the regional aggregate, each a set of *units* with dimensions.

A unit is one thing counted (a case, a victim of a case, an urgent measure, a referral, a service)
with the dimensions it falls in and, for a rate, whether it is in the numerator. Every indicator
can be broken down by period (``month``, ``quarter``, ``year`` of the unit's own event time),
``municipality`` (or the district pool a small one is counted in), ``violence_type`` (a case with
several types counts once under each), and the victim's ``sex`` and ``age_band``; some add their
own dimensions (``measure_type``, ``service_type``, ``urgency``, ``recipient_kind``,
``decline_reason``). ``person`` is whose contribution differential privacy bounds: the case's
first victim, or the case when no victim is named. Nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Connection, select

from consumers import generalise as g
from consumers.aggregate_tables import cases, measures, referrals, services, subjects
from schemas.catalogue import catalogue

COMMON_DIMENSIONS = ("month", "quarter", "year", "municipality", "violence_type", "sex", "age_band")
MEASURE_TYPES: tuple[str, ...] = tuple(
    catalogue().named["rs.povezimo.common.UrgentMeasureType"]["symbols"]
)
HIGH_RISK = frozenset({"HIGH", "IMMINENT_DANGER"})


@dataclass(frozen=True)
class Unit:
    person: str
    dims: dict[str, str | tuple[str, ...]]
    numerator: bool = True  # a count counts the units where it holds; a rate divides by all
    key: str | None = None  # counted once per cell (distinct victims); None: every unit counts
    value: float | None = None  # the quantity a median is taken of
    origin: str | None = None  # what several units stand for together (a case, once per type)


@dataclass
class Facts:
    """The aggregate's tables, read once for a release."""

    cases: dict[str, Any]
    subjects: list[Any]
    measures: list[Any]
    referrals: list[Any]
    services: list[Any]

    @classmethod
    def load(cls, conn: Connection) -> Facts:
        def rows(table: Any, *order: Any) -> list[Any]:
            return list(conn.execute(select(table).order_by(*order)).all())

        return cls(
            cases={r.case_ps: r for r in rows(cases, cases.c.case_ps)},
            subjects=rows(subjects, subjects.c.case_ps, subjects.c.subject_ps, subjects.c.role),
            measures=rows(measures, measures.c.measure_ps),
            referrals=rows(referrals, referrals.c.referral_ps),
            services=rows(services, services.c.service_ps),
        )


Kind = Literal["count", "distinct", "rate", "median"]
UnitsOf = Callable[[Facts, Sequence[str]], Iterable[Unit]]


@dataclass(frozen=True)
class Indicator:
    name: str
    kind: Kind
    units: UnitsOf
    dimensions: tuple[str, ...] = ()
    description: str = field(default="")

    @property
    def allowed(self) -> tuple[str, ...]:
        return COMMON_DIMENSIONS + self.dimensions


INDICATORS: dict[str, Indicator] = {}


def indicator(kind: Kind, *dimensions: str) -> Callable[[UnitsOf], UnitsOf]:
    def register(units: UnitsOf) -> UnitsOf:
        name = units.__name__
        doc = " ".join((units.__doc__ or "").split())
        INDICATORS[name] = Indicator(name, kind, units, tuple(dimensions), doc)
        return units

    return register


def _case_dims(case: Any, month: str | None = None) -> dict[str, str | tuple[str, ...]]:
    month = month or case.month
    return {
        "month": month,
        "quarter": g.quarter_of(month),
        "year": g.year_of(month),
        "municipality": case.area,
        "violence_type": tuple(case.violence_types.split(",")) if case.violence_types else (),
        "sex": case.victim_sex,
        "age_band": case.victim_age_band,
    }


def _person(case: Any) -> str:
    return str(case.victim_ps or case.case_ps)


# -- cases and people ---------------------------------------------------------------------------


@indicator("count")
def reported_cases(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Cases opened (CaseOpened or a first ReportReceived), in the month the case was opened."""
    for case in facts.cases.values():
        yield Unit(_person(case), _case_dims(case))


def _distinct(facts: Facts, role: str) -> Iterable[Unit]:
    for subject in facts.subjects:
        if subject.role != role:
            continue
        case = facts.cases[subject.case_ps]
        dims = _case_dims(case) | {"sex": subject.sex, "age_band": subject.age_band}
        yield Unit(subject.subject_ps, dims, key=subject.subject_ps)


@indicator("distinct")
def distinct_victims(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Different people named as victim in the cases opened in the cell, each once per cell
    (by her or his own sex and age band). Pseudonyms rotate by epoch, so a person is counted once
    within an epoch (a year by default); totals add cells up."""
    return _distinct(facts, "VICTIM")


@indicator("distinct")
def distinct_perpetrators(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Different people named as perpetrator in the cases opened in the cell (by the
    perpetrator's own sex and age band), counted as ``distinct_victims``."""
    return _distinct(facts, "PERPETRATOR")


@indicator("rate")
def high_risk_share(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Of the cases opened, the share whose highest risk assessment (RiskAssessed) was HIGH or
    IMMINENT_DANGER."""
    for case in facts.cases.values():
        yield Unit(_person(case), _case_dims(case), numerator=case.assessed_risk in HIGH_RISK)


@indicator("rate")
def repeat_victimisation(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Of the cases opened with a named victim, the share whose victim was a victim of another
    case opened in the 12 calendar months before (two in the same month both count)."""
    for case in facts.cases.values():
        if case.victim_ps is not None:
            yield Unit(_person(case), _case_dims(case), numerator=case.repeat)


@indicator("rate")
def plan_coverage(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Of the cases opened, the share with an individual protection plan adopted
    (ProtectionPlanAdopted, LPDV Art. 31)."""
    for case in facts.cases.values():
        yield Unit(_person(case), _case_dims(case), numerator=case.plan)


@indicator("rate")
def victim_participation(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Of the cases with a protection plan, the share where the victim took part in adopting a
    plan."""
    for case in facts.cases.values():
        if case.plan:
            yield Unit(_person(case), _case_dims(case), numerator=case.plan_victim_participated)


@indicator("rate")
def timely_group_review(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Of the cases assessed IMMINENT_DANGER whose review is decided, the share the coordination
    group met on within 15 days of the assessment (LPDV Art. 25, 31). Decided: a meeting was held,
    or a later event of the case came after the 15 days without one (missed); a case still within
    its 15 days is not counted yet."""
    for case in facts.cases.values():
        if case.review is not None:
            yield Unit(_person(case), _case_dims(case), numerator=case.review == "met")


# -- urgent measures ----------------------------------------------------------------------------


@indicator("rate", "measure_type")
def urgent_measure_rate(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Of the cases opened, the share with an urgent measure imposed (LPDV Art. 17); by
    ``measure_type``: the share with a measure of that type."""
    imposed: dict[str, set[str]] = {}
    for measure in facts.measures:
        imposed.setdefault(measure.case_ps, set()).add(measure.measure_type)
    for case in facts.cases.values():
        types = imposed.get(case.case_ps, set())
        if "measure_type" not in by:
            yield Unit(_person(case), _case_dims(case), numerator=bool(types))
            continue
        for kind in MEASURE_TYPES:
            dims = _case_dims(case) | {"measure_type": kind}
            yield Unit(_person(case), dims, numerator=kind in types, origin=case.case_ps)


def _measure_units(facts: Facts, keep: Callable[[Any], bool], hit: Callable[[Any], bool]):  # type: ignore[no-untyped-def]
    for measure in facts.measures:
        if keep(measure):
            case = facts.cases[measure.case_ps]
            dims = _case_dims(case, measure.month) | {"measure_type": measure.measure_type}
            yield Unit(_person(case), dims, numerator=bool(hit(measure)))


@indicator("rate", "measure_type")
def extension_proposed_rate(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Of the urgent measures served, the share the prosecutor proposed to extend (Art. 18), in
    the month the measure was imposed."""
    return _measure_units(facts, lambda m: m.served, lambda m: m.proposed)


@indicator("rate", "measure_type")
def extension_granted_rate(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Of the extension proposals the court decided, the share granted (Art. 19-21)."""
    return _measure_units(facts, lambda m: m.decided, lambda m: m.granted)


@indicator("rate", "measure_type")
def timely_extension_proposal(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Of the extension proposals, the share made within 24 h of serving the measure (Art. 18)."""
    return _measure_units(facts, lambda m: m.proposed, lambda m: m.proposal_timely)


@indicator("rate", "measure_type")
def timely_court_decision(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Of the court decisions on a proposal, the share made within 24 h of it (Art. 19)."""
    return _measure_units(
        facts, lambda m: m.decision_timely is not None, lambda m: m.decision_timely
    )


@indicator("rate", "measure_type")
def breach_rate(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Of the urgent measures served, the share breached at least once (UrgentMeasureBreached)."""
    return _measure_units(facts, lambda m: m.served, lambda m: m.breaches > 0)


# -- referrals and services ---------------------------------------------------------------------

REFERRAL_DIMENSIONS = ("service_type", "urgency", "recipient_kind")


def _referral_units(facts: Facts, keep: Callable[[Any], bool], hit: Callable[[Any], bool]):  # type: ignore[no-untyped-def]
    for referral in facts.referrals:
        if keep(referral):
            case = facts.cases[referral.case_ps]
            dims = _case_dims(case, referral.month) | {
                "service_type": referral.service_type,
                "urgency": referral.urgency,
                "recipient_kind": referral.recipient_kind,
                "decline_reason": referral.decline_reason or "",
            }
            value = referral.hours_to_accept
            yield Unit(_person(case), dims, numerator=bool(hit(referral)), value=value)


@indicator("rate", *REFERRAL_DIMENSIONS)
def timely_p1_answer(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Of the P1 (urgent) referrals answered or expired, the share accepted or declined within
    24 h of sending; ``recipient_kind`` CSR gives the centres for social work's P1 answers."""
    return _referral_units(
        facts,
        lambda r: r.urgency == "P1" and r.answer_timely is not None,
        lambda r: r.answer_timely,
    )


@indicator("count", *REFERRAL_DIMENSIONS)
def referrals_sent(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Referrals sent (ReferralSent), in the month sent."""
    return _referral_units(facts, lambda r: True, lambda r: True)


@indicator("count", *REFERRAL_DIMENSIONS)
def referrals_accepted(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Referrals the recipient accepted, in the month they were sent."""
    return _referral_units(facts, lambda r: True, lambda r: r.accepted)


@indicator("count", *REFERRAL_DIMENSIONS, "decline_reason")
def referrals_declined(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Referrals the recipient declined (by ``decline_reason``), in the month they were sent."""
    return _referral_units(facts, lambda r: r.declined, lambda r: True)


@indicator("count", *REFERRAL_DIMENSIONS)
def referrals_completed(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Referrals completed by the recipient, in the month they were sent."""
    return _referral_units(facts, lambda r: True, lambda r: r.completed)


@indicator("median", *REFERRAL_DIMENSIONS)
def median_hours_to_accept(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Median whole hours from sending a referral to its acceptance, over the accepted referrals
    of the cell; published only where that count itself is published."""
    return _referral_units(facts, lambda r: r.hours_to_accept is not None, lambda r: True)


@indicator("count", "service_type")
def services_delivered(facts: Facts, by: Sequence[str]) -> Iterable[Unit]:
    """Services delivered (ServiceProvided records), by type, in the month provided."""
    for service in facts.services:
        case = facts.cases[service.case_ps]
        dims = _case_dims(case, service.month) | {"service_type": service.service_type}
        yield Unit(_person(case), dims)


# -- funnels: counts of the same units at successive stages, in one table ------------------------


@dataclass(frozen=True)
class Funnel:
    """Counts of the same units at successive stages, side by side in one table. Each stage is
    its own indicator, released as that indicator alone would be, so the table shows no number
    its stages' releases would not."""

    name: str
    stages: tuple[tuple[str, str], ...]  # (measure, indicator), in the order of the funnel
    description: str = ""
    kind: str = "funnel"

    @property
    def allowed(self) -> tuple[str, ...]:
        """The dimensions every stage has."""
        first, *others = (INDICATORS[name].allowed for _, name in self.stages)
        return tuple(d for d in first if all(d in other for other in others))

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(d for d in self.allowed if d not in COMMON_DIMENSIONS)


FUNNELS: dict[str, Funnel] = {
    "referral_funnel": Funnel(
        "referral_funnel",
        (
            ("sent", "referrals_sent"),
            ("accepted", "referrals_accepted"),
            ("declined", "referrals_declined"),
            ("completed", "referrals_completed"),
        ),
        "Referrals sent, and of them those the recipient accepted, declined and completed, in "
        "the month sent: referrals_sent, referrals_accepted, referrals_declined and "
        "referrals_completed in one table.",
    )
}


def releasable() -> list[Indicator | Funnel]:
    """Every indicator and funnel a release may name, as ``--list`` shows them."""
    return [*INDICATORS.values(), *FUNNELS.values()]
