"""Reading the programme's record (``consumers.programme``) for a period and, optionally, a place.

What the report asks: the activities held, the agreements in force and the services established
between two days. Rows come back as plain values; grouping and counting is the report's.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, or_, select

from consumers.programme import activities, agreements, participants, services


@dataclass(frozen=True)
class Participants:
    institution_kind: str
    sex: str
    count: int


@dataclass(frozen=True)
class Activity:
    kind: str
    topic: str
    seminar_programme: str | None
    municipality: str | None
    held_from: dt.date
    outlet_scope: str | None
    medium: str | None
    reach: int | None
    participants: tuple[Participants, ...] = field(default=())


@dataclass(frozen=True)
class Agreement:
    municipality: str | None
    parties: tuple[str, ...]
    party_kinds: tuple[str, ...]
    scope: tuple[str, ...]
    in_force_from: dt.date
    in_force_until: dt.date | None
    ended_on: dt.date | None


@dataclass(frozen=True)
class Service:
    service: str
    municipality: str
    institution_id: str | None
    established_on: dt.date
    law_offices: int | None


def activities_held(
    conn: Connection, first: dt.date, last: dt.date, municipality: str | None = None
) -> list[Activity]:
    """Activities that began between ``first`` and ``last`` (inclusive), in ``municipality``."""
    query = select(activities).where(activities.c.held_from.between(first, last))
    if municipality is not None:
        query = query.where(activities.c.municipality == municipality)
    rows = conn.execute(query.order_by(activities.c.held_from, activities.c.activity_id)).all()
    counted: dict[str, list[Participants]] = defaultdict(list)
    if rows:
        ids = [r.activity_id for r in rows]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for p in conn.execute(
                select(participants).where(participants.c.activity_id.in_(chunk))
            ).all():
                counted[p.activity_id].append(
                    Participants(p.institution_kind, p.sex, p._mapping["count"])
                )
    return [
        Activity(r.kind, r.topic, r.seminar_programme, r.municipality, r.held_from,
                 r.outlet_scope, r.medium, r.reach,
                 tuple(sorted(counted[r.activity_id], key=lambda p: (p.institution_kind, p.sex))))
        for r in rows
    ]  # fmt: skip


def agreements_in_force(
    conn: Connection, first: dt.date, last: dt.date, municipality: str | None = None
) -> list[Agreement]:
    """Agreements in force on at least one day between ``first`` and ``last``."""
    query = select(agreements).where(
        agreements.c.in_force_from <= last,
        or_(agreements.c.in_force_until.is_(None), agreements.c.in_force_until >= first),
        or_(agreements.c.ended_on.is_(None), agreements.c.ended_on >= first),
    )
    if municipality is not None:
        query = query.where(agreements.c.municipality == municipality)
    rows = conn.execute(query.order_by(agreements.c.signed_on, agreements.c.agreement_id)).all()
    return [
        Agreement(r.municipality, _split(r.parties), _split(r.party_kinds), _split(r.scope),
                  r.in_force_from, r.in_force_until, r.ended_on)
        for r in rows
    ]  # fmt: skip


def services_established(
    conn: Connection, first: dt.date, last: dt.date, municipality: str | None = None
) -> list[Service]:
    """Services established between ``first`` and ``last``."""
    query = select(services).where(services.c.established_on.between(first, last))
    if municipality is not None:
        query = query.where(services.c.municipality == municipality)
    rows = conn.execute(query.order_by(services.c.established_on, services.c.establishment_id))
    return [
        Service(r.service, r.municipality, r.institution_id, r.established_on, r.law_offices)
        for r in rows.all()
    ]


def recorded_span(conn: Connection) -> tuple[dt.date, dt.date] | None:
    """The first and last day anything of a programme was recorded for, or None when nothing was."""
    bounds = [
        conn.execute(select(func.min(column), func.max(column))).one()
        for column in (
            activities.c.held_from,
            agreements.c.signed_on,
            services.c.established_on,
        )
    ]
    firsts = [b[0] for b in bounds if b[0] is not None]
    lasts = [b[1] for b in bounds if b[1] is not None]
    return (min(firsts), max(lasts)) if firsts else None


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(part for part in (text or "").split(",") if part)


__all__ = [
    "Activity",
    "Agreement",
    "Participants",
    "Service",
    "activities_held",
    "agreements_in_force",
    "recorded_span",
    "services_established",
]
