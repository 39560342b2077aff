"""Reading the institution views, always as one institution: a case it takes no part in does not
exist for it (the same answer as a case that does not exist at all)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Select, and_, exists, func, select

from consumers.views import (
    cases,
    conferences,
    participants,
    plan_measures,
    plans,
    referrals,
    subjects,
    timeline,
    urgent_measures,
)

Row = dict[str, Any]


def _participates(institution: str) -> Any:
    return exists().where(
        and_(participants.c.case_id == cases.c.case_id, participants.c.institution == institution)
    )


def _rows(conn: Connection, query: Select[Any]) -> list[Row]:
    return [dict(row._mapping) for row in conn.execute(query)]


def _case(row: Row) -> Row:
    """A case as readers see it: its violence types a list (stored joined, for the aggregate)."""
    kinds = row.get("violence_types") or ""
    return {**row, "violence_types": [kind for kind in kinds.split(",") if kind]}


def cases_for(
    conn: Connection,
    institution: str,
    *,
    status: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Row]:
    """The cases ``institution`` takes part in, newest first (``limit`` of them from ``offset``,
    for a page; all by default)."""
    # Its participations first (an index by institution), then those cases by key: asked case
    # by case (``_participates``), the list read every case of the region.
    taking_part = select(participants.c.case_id).where(participants.c.institution == institution)
    query = select(cases).where(cases.c.case_id.in_(taking_part))
    if status:
        query = query.where(cases.c.status == status)
    query = query.order_by(cases.c.opened_at.desc(), cases.c.case_id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [_case(c) for c in _rows(conn, query)]


def case_view(conn: Connection, institution: str, case_id: str) -> Row | None:
    """Everything ``institution`` may see of one case, or None if it takes no part in it."""
    case = conn.execute(
        select(cases).where(cases.c.case_id == case_id).where(_participates(institution))
    ).first()
    if case is None:
        return None

    def of_case(table: Any, *order: Any) -> list[Row]:
        return _rows(conn, select(table).where(table.c.case_id == case_id).order_by(*order))

    return {
        **_case(dict(case._mapping)),
        "participants": of_case(participants, participants.c.institution, participants.c.role),
        "subjects": of_case(subjects, subjects.c.role, subjects.c.subject_id),
        "referrals": of_case(referrals, referrals.c.sent_at, referrals.c.referral_id),
        "urgent_measures": of_case(urgent_measures, urgent_measures.c.imposed_at),
        "conferences": of_case(conferences, conferences.c.scheduled_for),
        "plans": of_case(plans, plans.c.adopted_at),
        "plan_measures": of_case(plan_measures, plan_measures.c.due_at),
        "timeline": case_timeline(conn, institution, case_id) or [],
    }


def case_timeline(conn: Connection, institution: str, case_id: str) -> list[Row] | None:
    """The case's events in log order (one case lives on one partition)."""
    if not conn.execute(
        select(cases.c.case_id).where(cases.c.case_id == case_id).where(_participates(institution))
    ).first():
        return None
    return _rows(
        conn, select(timeline).where(timeline.c.case_id == case_id).order_by(timeline.c.offset)
    )


def referrals_for(
    conn: Connection,
    institution: str,
    *,
    status: str | None = None,
    overdue_at: dt.datetime | None = None,
    direction: str = "received",
) -> list[Row]:
    """Referrals addressed to ``institution`` (or sent by it); ``overdue_at`` keeps those whose
    answer is due before that time and still missing."""
    side = referrals.c.recipient if direction == "received" else referrals.c.sender
    query = select(referrals).where(side == institution)
    if status:
        query = query.where(referrals.c.status == status)
    if overdue_at is not None:
        query = query.where(referrals.c.status == "sent").where(referrals.c.due_at < overdue_at)
    return _rows(conn, query.order_by(referrals.c.due_at, referrals.c.referral_id))


def referral_status_counts(conn: Connection, institution: str) -> dict[tuple[str, str], int]:
    """How many referrals ``institution`` received and sent, by direction and status: it changes
    whenever a referral arrives or moves on (statuses only ever move forward), read from the
    reader indexes without the rows."""
    counts: dict[tuple[str, str], int] = {}
    for direction, side in (("received", referrals.c.recipient), ("sent", referrals.c.sender)):
        query = (
            select(referrals.c.status, func.count())
            .where(side == institution)
            .group_by(referrals.c.status)
        )
        for status, count in conn.execute(query):
            counts[direction, status] = count
    return counts


def plan_measures_for(conn: Connection, institution: str, *, open_only: bool = True) -> list[Row]:
    """Protection-plan measures ``institution`` executes."""
    query = select(plan_measures).where(plan_measures.c.executor == institution)
    if open_only:
        query = query.where(plan_measures.c.completed_at.is_(None))
    return _rows(conn, query.order_by(plan_measures.c.due_at))


def visible_case_ids(conn: Connection, institution: str) -> set[str]:
    return {r["case_id"] for r in cases_for(conn, institution)}


__all__ = [
    "case_timeline",
    "case_view",
    "cases_for",
    "plan_measures_for",
    "referral_status_counts",
    "referrals_for",
    "visible_case_ids",
]
