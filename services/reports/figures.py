"""The programme's figures for a period: counts, each beside the labels that name it (pure).

Every figure is a row ``{label: value, …, "count": n}``: what a reader looks up by its labels
(``kind``, ``topic``, ``programme``, ``municipality``) and a machine reads without knowing the
layout of a table. Rows are sorted by their labels, so the same record gives the same figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from consumers.generalise import quarter_of
from consumers.programme_queries import Activity, Agreement, Service

REGIONAL = "regional"
"""The municipality label of an activity of several municipalities or none (a joint meeting)."""

Figure = dict[str, Any]


def counted(items: Iterable[Any], **labels: Callable[[Any], Any]) -> list[Figure]:
    """One row per distinct combination of ``labels`` over ``items``, with how many share it."""
    names = list(labels)
    tally = Counter(tuple(label(item) for label in labels.values()) for item in items)
    ordered = sorted(tally.items(), key=lambda kv: tuple(str(v) for v in kv[0]))
    return [dict(zip(names, key, strict=True)) | {"count": n} for key, n in ordered]


def _month(activity: Activity) -> str:
    return f"{activity.held_from:%Y-%m}"


def activity_figures(held: list[Activity]) -> dict[str, list[Figure]]:
    """Activities by kind, topic, seminar programme, municipality and quarter."""
    seminars = [a for a in held if a.kind == "SEMINAR"]
    media = [a for a in held if a.kind == "MEDIA_APPEARANCE"]
    places: dict[str, set[str]] = {}
    for a in held:
        if a.municipality:
            places.setdefault(a.kind, set()).add(a.municipality)
    return {
        "by_kind": counted(held, kind=lambda a: a.kind),
        "by_kind_and_topic": counted(held, kind=lambda a: a.kind, topic=lambda a: a.topic),
        "seminars_by_programme": counted(
            seminars, kind=lambda a: a.kind, programme=lambda a: a.seminar_programme
        ),
        "by_municipality": counted(
            held, municipality=lambda a: a.municipality or REGIONAL, kind=lambda a: a.kind
        ),
        "by_quarter": counted(held, quarter=lambda a: quarter_of(_month(a)), kind=lambda a: a.kind),
        # "9 municipalities in the campaign": how many places each kind of activity reached.
        "municipalities_reached": [
            {"kind": kind, "count": len(found)} for kind, found in sorted(places.items())
        ],
        "media_by_scope": _media(media),
    }


def _media(media: list[Activity]) -> list[Figure]:
    """Media appearances by the outlet's scope and medium, with the reach where it is known."""
    rows = counted(media, scope=lambda a: a.outlet_scope, medium=lambda a: a.medium)
    for row in rows:
        alike = [a for a in media if (a.outlet_scope, a.medium) == (row["scope"], row["medium"])]
        row["reach"] = _reach(alike)
    return rows


def _reach(media: list[Activity]) -> int | None:
    """The audience of the appearances whose reach is known (None when none is)."""
    known = [a.reach for a in media if a.reach is not None]
    return sum(known) if known else None


def participant_figures(held: list[Activity]) -> dict[str, list[Figure]]:
    """Participants reached, by institution kind and sex (counts of people, never names)."""
    totals: Counter[tuple[str, str]] = Counter()
    by_kind: Counter[str] = Counter()
    for activity in held:
        for group in activity.participants:
            totals[(group.institution_kind, group.sex)] += group.count
            by_kind[group.institution_kind] += group.count
    return {
        "by_institution_kind": [
            {"institution_kind": kind, "count": n} for kind, n in sorted(by_kind.items())
        ],
        "by_institution_kind_and_sex": [
            {"institution_kind": kind, "sex": sex, "count": n}
            for (kind, sex), n in sorted(totals.items())
        ],
        "activities_with_participants": [
            {"count": sum(1 for a in held if a.participants)},
        ],
    }


def agreement_figures(in_force: list[Agreement]) -> dict[str, list[Figure]]:
    """Agreements in force: how many, where, with which kinds of party."""
    kinds = Counter(kind for a in in_force for kind in set(a.party_kinds))
    return {
        "in_force": [{"count": len(in_force)}],
        "municipalities": [{"count": len({a.municipality for a in in_force if a.municipality})}],
        "by_municipality": counted(in_force, municipality=lambda a: a.municipality or REGIONAL),
        "by_party_kind": [{"party_kind": k, "count": n} for k, n in sorted(kinds.items())],
    }


def service_figures(established: list[Service]) -> dict[str, list[Figure]]:
    """Services established, by kind and place; a legal-aid agreement with its law offices."""
    by_service = counted(established, service=lambda s: s.service)
    for row in by_service:
        offices = [s.law_offices for s in established
                   if s.service == row["service"] and s.law_offices is not None]  # fmt: skip
        row["law_offices"] = sum(offices) if offices else None
    return {
        "by_service": by_service,
        "by_service_and_municipality": counted(
            established, service=lambda s: s.service, municipality=lambda s: s.municipality
        ),
    }
