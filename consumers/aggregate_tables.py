"""Tables of the regional aggregate: pseudonyms and generalised facts, never an identifier.

They live in the aggregate's own database (``Settings.aggregate_url``), apart from the views. A
``*_ps`` column holds a keyed pseudonym (``services.platform.pseudonyms``); times are calendar
months; places are a municipality or a district pool. ``agg_clocks`` holds the instants a pending
deadline needs, sealed so that only a later event carrying the raw id can read them.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()
PS = 32  # hex characters of a pseudonym


def _ps(name: str, primary: bool = False) -> Column[str]:
    return Column(name, String(PS), primary_key=primary, nullable=not primary)


cases = Table(
    "agg_cases",
    metadata,
    _ps("case_ps", True),
    Column("epoch", String(10), nullable=False),
    Column("month", String(7), nullable=False),
    Column("area", String(60), nullable=False),
    Column("violence_types", String(200), nullable=False),
    Column("assessed_risk", String(20)),  # highest level of any RiskAssessed
    _ps("victim_ps"),  # the first victim named: the case's sex and age band are hers or his
    Column("victim_sex", String(10), nullable=False),
    Column("victim_age_band", String(10), nullable=False),
    Column("repeat", Boolean, nullable=False),
    Column("plan", Boolean, nullable=False),
    Column("plan_victim_participated", Boolean, nullable=False),
    Column("review", String(10)),  # imminent-danger group review: met, late, missed
)
subjects = Table(
    "agg_subjects",
    metadata,
    _ps("case_ps", True),
    _ps("subject_ps", True),
    Column("role", String(12), primary_key=True),
    Column("sex", String(10), nullable=False),
    Column("age_band", String(10), nullable=False),
    # Repeat victimisation and erasure look a person up across cases.
    Index("agg_subjects_subject", "subject_ps"),
)
measures = Table(
    "agg_urgent_measures",
    metadata,
    _ps("measure_ps", True),
    _ps("case_ps"),
    Column("month", String(7), nullable=False),
    Column("measure_type", String(40), nullable=False),
    Column("served", Boolean, nullable=False),
    Column("proposed", Boolean, nullable=False),
    Column("proposal_timely", Boolean),
    Column("decided", Boolean, nullable=False),
    Column("decision_timely", Boolean),
    Column("granted", Boolean),
    Column("breaches", Integer, nullable=False),
)
referrals = Table(
    "agg_referrals",
    metadata,
    _ps("referral_ps", True),
    _ps("case_ps"),
    Column("month", String(7), nullable=False),
    Column("service_type", String(40), nullable=False),
    Column("urgency", String(5), nullable=False),
    Column("recipient_kind", String(20), nullable=False),
    Column("accepted", Boolean, nullable=False),
    Column("declined", Boolean, nullable=False),
    Column("decline_reason", String(40)),
    Column("completed", Boolean, nullable=False),
    Column("expired", Boolean, nullable=False),
    Column("answer_timely", Boolean),
    Column("hours_to_accept", Integer),
)
services = Table(
    "agg_services",
    metadata,
    _ps("service_ps", True),
    _ps("case_ps"),
    Column("month", String(7), nullable=False),
    Column("service_type", String(40), nullable=False),
    Column("quantity", Integer, nullable=False),
)
clocks = Table(
    "agg_clocks",
    metadata,
    _ps("clock_ps", True),
    Column("sealed_at", BigInteger, nullable=False),
)
# Idempotency: pseudonyms of the ids of the events applied to a case (the raw ids would link
# to the log), one row per case. It tells how many events a case had, and nothing about them.
case_events = Table(
    "agg_case_events",
    metadata,
    _ps("case_ps", True),
    Column("event_ps", Text, nullable=False),
)
failures = Table(
    "agg_failures",  # where to find a record that could not be applied; never its content
    metadata,
    Column("topic", String(249), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("offset", BigInteger, primary_key=True, autoincrement=False),
    Column("error", String(100), nullable=False),
)
FACT_TABLES = (cases, subjects, measures, referrals, services)
ALL_TABLES = (*FACT_TABLES, clocks, case_events, failures)
