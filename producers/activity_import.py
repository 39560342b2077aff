"""Importing the activities coordinators keep in spreadsheets (a CSV export) as ``ActivityHeld``.

One row is one activity; the columns are ``COLUMNS`` (documented in docs/programme.md, with
``deploy/examples/programme-activities.csv`` as a sample). Participants are counted, never named:
``CSR:F:12; POLICE:M:3; PUBLIC:F:40`` (a kind of institution, or PUBLIC, then F, M or U, then
how many). A row that cannot be imported is reported with its line and every reason; nothing is
dropped silently. The activity's id is derived from the row's own ``reference``, so importing the
same file again adds nothing, and a corrected row under the same reference replaces the first.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from producers.programme import derived_id, programme_event
from schemas.catalogue import catalogue
from schemas.models import EventModel

COLUMNS = (
    "reference", "kind", "topic", "seminar_programme", "seminar_days", "municipality",
    "held_from", "held_until", "outlet", "outlet_scope", "medium", "reach", "participants",
)  # fmt: skip
REQUIRED = ("reference", "kind", "held_from")
SEX = {"F": "FEMALE", "Ž": "FEMALE", "Z": "FEMALE", "M": "MALE", "U": "UNKNOWN", "": "UNKNOWN"}
PUBLIC = "PUBLIC"
EARLIEST = dt.date(2002, 1, 1)  # as the exchange judges programme events (decision 0022)


def _symbols(full_name: str) -> frozenset[str]:
    return frozenset(catalogue().named.get(full_name, {}).get("symbols", ())) or _inline(full_name)


def _inline(full_name: str) -> frozenset[str]:
    """Enums defined inside ActivityHeld (not shared types): found in its schema."""
    name = full_name.rsplit(".", 1)[-1]
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "enum" and node.get("name") == name:
                found.update(node["symbols"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(catalogue().event("ActivityHeld").schema)
    return frozenset(found)


@dataclass(frozen=True)
class RowProblem:
    line: int
    reasons: tuple[str, ...]


@dataclass
class ActivityImport:
    events: list[EventModel] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def read_activities(
    path: Path,
    *,
    institution: str,
    programme: Any,
    known_place: Callable[[str], bool],
    today: dt.date,
    recorded_at: dt.datetime | None = None,
) -> ActivityImport:
    """Events for every good row of ``path``, and the problems of every other row."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            return ActivityImport(
                problems=[RowProblem(1, (f"header lacks column(s) {', '.join(missing)}",))]
            )
        rows = [(reader.line_num, row) for row in reader]
    result, seen = ActivityImport(), dict[str, int]()
    for line, raw in rows:
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        reference = row.get("reference", "")
        if reference in seen:
            result.problems.append(RowProblem(line, (f"reference repeats line {seen[reference]}",)))
            continue
        reasons: list[str] = []
        fields = _fields(row, reasons, known_place, today)
        event = None
        if not reasons:
            try:
                event = programme_event(
                    "ActivityHeld", programme=programme, publisher=institution,
                    day=fields["held_from"], reference=reference, recorded_at=recorded_at,
                    activity_id=derived_id(programme, institution, "activity", reference),
                    **fields,
                )  # fmt: skip
            except ValidationError as error:
                reasons += [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        if reasons or event is None:
            result.problems.append(RowProblem(line, tuple(reasons)))
            continue
        seen[reference] = line
        result.events.append(event)
    return result


def _fields(
    row: dict[str, str], reasons: list[str], known_place: Callable[[str], bool], today: dt.date
) -> dict[str, Any]:
    def symbol(name: str, enum: str, default: str | None = None) -> str | None:
        value = row.get(name, "").upper().replace(" ", "_") or default
        if value is not None and value not in _symbols(enum):
            reasons.append(f"{name} {value!r} is not one of {', '.join(sorted(_symbols(enum)))}")
        return value

    if not row.get("reference"):
        reasons.append("reference is empty")
    kind = symbol("kind", "rs.povezimo.events.ActivityKind")
    fields: dict[str, Any] = {
        "kind": kind,
        "topic": symbol("topic", "rs.povezimo.events.ActivityTopic", "OTHER"),
        "held_from": _day(row, "held_from", reasons, today, required=True),
        "held_until": _day(row, "held_until", reasons, today),
        "municipality": row.get("municipality") or None,
        "participants": _participants(row.get("participants", ""), reasons),
    }
    if fields["municipality"] and not known_place(fields["municipality"]):
        reasons.append(f"municipality {fields['municipality']!r} is served by no institution")
    if kind == "SEMINAR":
        days = row.get("seminar_days") or "1"
        if not days.isdigit() or int(days) < 1:
            reasons.append(f"seminar_days {days!r} is not a positive number")
        programme = symbol("seminar_programme", "rs.povezimo.events.SeminarProgramme", "OTHER")
        fields["seminar"] = {"programme": programme, "days": int(days) if days.isdigit() else 1}
    if kind == "MEDIA_APPEARANCE":
        reach = row.get("reach", "")
        if reach and not reach.isdigit():
            reasons.append(f"reach {reach!r} is not a number")
        fields["media"] = {
            "outlet": row.get("outlet") or None,
            "scope": symbol("outlet_scope", "rs.povezimo.events.OutletScope", "OTHER"),
            "medium": symbol("medium", "rs.povezimo.events.Medium", "OTHER"),
            "reach": int(reach) if reach.isdigit() else None,
        }
    return fields


def _day(
    row: dict[str, str], name: str, reasons: list[str], today: dt.date, required: bool = False
) -> dt.date | None:
    value = row.get(name, "")
    if not value:
        if required:
            reasons.append(f"{name} is empty")
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        reasons.append(f"{name} {value!r} is not a date (YYYY-MM-DD)")
        return None
    if not EARLIEST <= day <= today:
        reasons.append(f"{name} {value} is not between {EARLIEST} and today")
    return day


def _participants(text: str, reasons: list[str]) -> list[dict[str, Any]]:
    """``KIND:SEX:COUNT`` separated by semicolons; KIND is an InstitutionKind or PUBLIC."""
    kinds = _symbols("rs.povezimo.common.InstitutionKind")
    found = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        pieces = [p.strip().upper() for p in part.split(":")]
        if len(pieces) != 3:
            reasons.append(f"participants: {part!r} is not KIND:SEX:COUNT")
            continue
        kind, sex, count = pieces
        if kind != PUBLIC and kind not in kinds:
            reasons.append(f"participants: {kind!r} is neither an institution kind nor PUBLIC")
        elif sex not in SEX:
            reasons.append(f"participants: sex {sex!r} is not F, M or U")
        elif not count.isdigit() or int(count) < 1:
            reasons.append(f"participants: count {count!r} is not a positive number")
        else:
            found.append({"institution_kind": None if kind == PUBLIC else kind,
                          "sex": SEX[sex], "count": int(count)})  # fmt: skip
    return found


def problems_as_json(problems: Iterable[RowProblem]) -> list[dict[str, Any]]:
    return [{"line": p.line, "reasons": list(p.reasons)} for p in problems]
