"""Forms for the events an institution submits, generated from the models derived from the Avro
schemas (``schemas.models``), never written by hand per event type.

A form is a tree of controls named by their dotted path in the ``POST /v1/events`` body
(``basis.kind``, ``participants.0.sex``), so the API's validation problems (their ``location``)
fall on the control that caused them. Each Avro type has one control: an enum a select of its
symbols, a list of enum symbols a set of checkboxes, a date a date input, a timestamp a
date-and-time input (UTC), a list of strings or ids a text area (one a line), a nested record a
fieldset, a list of records a few numbered fieldsets (blank ones left out). Optional fields may
stay blank. Times are entered in UTC, as every page of the portal shows them.

The header is the platform's to fill except what only the person knows: the case, when it
happened, the legal basis and the causing event. The event id is the form's own (a hidden
field), so sending the same form twice is one event for the exchange. A ``SubjectRegistered``
asks for the person's identifiers in clear (``identity``), which the platform seals, as
``POST /v1/events`` does; its ``sealed`` field is never shown.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Union

from pydantic import AwareDatetime, BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from schemas.institutions import PUBLISHABLE
from schemas.models import model_for
from services.api.ingest import IDENTITY
from services.platform.vault import PersonalData

Control = Literal[
    "text", "uuid", "number", "date", "datetime", "select", "checkbox", "yesno", "choices", "lines"
]
REPEATED_RECORDS = 3  # fieldsets offered for a list of records (no script adds more)
HEADER = "header"

# The header fields a person states; the platform fills the others (event id and type, source,
# recording time, correlation, and the actor: the account's staff role).
_HEADER_STATED = ("case_id", "occurred_at", "legal_basis", "causation_id", "consent_ref")
DEFAULT_LEGAL_BASIS = "LAW_PREVENTION_DV_2017"
# Events that open a case: a new case id is offered (its id is the platform's to make).
OPENING_EVENTS = frozenset({"CaseOpened", "ReportReceived"})
# Identifiers an event creates rather than refers to: offered filled with a new id, as a
# person cannot make one up. Everything else a form asks is a reference the person copies.
NEW_IDS: dict[str, frozenset[str]] = {
    "ActivityHeld": frozenset({"activity_id"}),
    "CaseConferenceScheduled": frozenset({"conference_id"}),
    "CaseOpened": frozenset({"report_id"}),
    "CooperationAgreementSigned": frozenset({"agreement_id"}),
    "ExtensionDecided": frozenset({"decision_id"}),
    "ExtensionProposed": frozenset({"proposal_id"}),
    "ProtectionOrderIssued": frozenset({"order_id"}),
    "ProtectionPlanAdopted": frozenset({"plan_id", "measures.0.measure_id"}),
    "ReferralSent": frozenset({"referral_id"}),
    "ReportReceived": frozenset({"report_id"}),
    "RiskAssessed": frozenset({"assessment_id"}),
    "ServiceEstablished": frozenset({"establishment_id"}),
    "ServiceProvided": frozenset({"service_id"}),
    "SubjectRegistered": frozenset({"subject_id"}),
    "UrgentMeasureImposed": frozenset({"measure_id", "order_id"}),
}


@dataclass(frozen=True)
class Field:
    """One input: ``name`` is its dotted path in the event's JSON body."""

    name: str
    key: str  # the schema's field name, by which the labels table knows it
    control: Control
    required: bool
    choices: tuple[str, ...] = ()
    description: str = ""
    default: str = ""  # what the schema takes when the field is left blank (shown, not filled)

    @property
    def html_id(self) -> str:
        return "f-" + self.name.replace(".", "-")


@dataclass(frozen=True)
class Group:
    """A nested record (a fieldset); ``item`` numbers one record of a list (from 1)."""

    name: str
    key: str  # the schema's field name (of the list, for one of its records)
    required: bool
    children: tuple[Field | Group, ...]
    description: str = ""
    item: int | None = None
    repeated: bool = False  # the fieldsets of a list of records, one per item

    @property
    def html_id(self) -> str:
        return "f-" + self.name.replace(".", "-")


@dataclass(frozen=True)
class EventForm:
    event_type: str
    description: str
    children: tuple[Field | Group, ...]
    names: frozenset[str] = field(default=frozenset())

    def prefilled(self, *, case_id: str | None, now: dt.datetime) -> dict[str, list[str]]:
        """What a new form shows: new ids where the event makes them, the default basis, the
        case it was opened from (or a new one for an opening event)."""
        values: dict[str, list[str]] = {
            f"{HEADER}.event_id": [str(uuid.uuid4())],
            f"{HEADER}.legal_basis": [DEFAULT_LEGAL_BASIS],
            f"{HEADER}.occurred_at": [f"{now:%Y-%m-%dT%H:%M}"],
        }
        if self.event_type in OPENING_EVENTS:
            values[f"{HEADER}.case_id"] = [str(uuid.uuid4())]
        elif case_id:
            values[f"{HEADER}.case_id"] = [case_id]
        for name in NEW_IDS.get(self.event_type, ()):
            values[name] = [str(uuid.uuid4())]
        return values


# -- from the model to the form ------------------------------------------------------------------


def _optional(annotation: Any) -> tuple[Any, bool]:
    """The type inside ``Optional[...]``, and whether it was optional."""
    if typing.get_origin(annotation) in (Union, types.UnionType):
        branches = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(branches) == 1:
            return branches[0], True
    return annotation, False


def _plain(annotation: Any) -> Any:
    """``Annotated[int, bounds]`` is an int for the form; the model still checks the bounds."""
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def _is_record(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_enum(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, StrEnum)


_SCALARS: dict[Any, Control] = {
    str: "text",
    uuid.UUID: "uuid",
    int: "number",
    float: "number",
    dt.date: "date",
    AwareDatetime: "datetime",
    dt.datetime: "datetime",
}


def _control(name: str, info: FieldInfo, annotation: Any) -> Field | Group:
    inner, optional = _optional(annotation)
    inner = _plain(inner)
    required = info.is_required() and not optional
    label, doc = name.rsplit(".", 1)[-1], info.description or ""
    if _is_record(inner):
        return _group(name, inner, required=required, description=doc)
    if typing.get_origin(inner) is list:
        item = _plain(typing.get_args(inner)[0])
        if _is_enum(item):
            return Field(name, label, "choices", required, _symbols(item), doc)
        if _is_record(item):
            items = tuple(
                _group(f"{name}.{n}", item, required=False, description="", item=n + 1)
                for n in range(REPEATED_RECORDS)
            )
            return Group(name, label, required, items, doc, repeated=True)
        return Field(name, label, "lines", required, (), doc)
    if _is_enum(inner):
        return Field(name, label, "select", required, _symbols(inner), doc)
    if inner is bool:
        # A yes/no the schema leaves open needs a third answer: not said.
        return Field(name, label, "yesno" if optional else "checkbox", required, (), doc)
    if inner in _SCALARS:
        default = "" if info.default in (None, PydanticUndefined) else str(info.default)
        return Field(name, label, _SCALARS[inner], required, (), doc, default)
    raise TypeError(f"no form control for {name}: {inner!r}")


def _symbols(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


def _group(
    name: str, model: type[BaseModel], *, required: bool, description: str, item: int | None = None
) -> Group:
    children = tuple(
        _control(f"{name}.{child}", info, info.annotation)
        for child, info in model.model_fields.items()
    )
    label = name.split(".")[-2] if item else name.rsplit(".", 1)[-1]
    return Group(name, label, required, children, description or (model.__doc__ or ""), item)


def _header(model: type[BaseModel]) -> Group:
    fields = model.model_fields
    children = tuple(
        _control(f"{HEADER}.{name}", fields[name], fields[name].annotation)
        for name in _HEADER_STATED
    )
    # When it happened defaults to now; the person corrects it for an event told later.
    children = tuple(
        Field(c.name, c.key, c.control, False, c.choices, c.description)
        if isinstance(c, Field) and c.name == f"{HEADER}.occurred_at"
        else c
        for c in children
    )
    return Group(HEADER, HEADER, True, children)


def _names(children: Sequence[Field | Group]) -> set[str]:
    found: set[str] = set()
    for child in children:
        found.add(child.name)
        if isinstance(child, Group):
            found |= _names(child.children)
    return found


def event_form(event_type: str) -> EventForm:
    """The form of ``event_type``, from its model."""
    model = model_for(event_type)
    children: list[Field | Group] = []
    for name, info in model.model_fields.items():
        if name == HEADER:
            children.append(_header(info.annotation))  # type: ignore[arg-type]
        elif name == "sealed":
            children.append(
                _group(
                    IDENTITY, PersonalData, required=True, description=PersonalData.__doc__ or ""
                )
            )
        else:
            children.append(_control(name, info, info.annotation))
    names = frozenset(_names(children))
    return EventForm(event_type, model.__doc__ or "", tuple(children), names)


def submittable(kind: str) -> list[str]:
    """The event types an institution of ``kind`` may publish, each with a form, by name."""
    return sorted(PUBLISHABLE.get(kind, frozenset()))


# -- from the submitted form to the event's body ------------------------------------------------

_ABSENT: Any = object()
_LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")


def _scalar(control: Field, given: list[str]) -> Any:
    text = given[0].strip() if given else ""
    if control.control == "checkbox":
        return bool(given)
    if control.control == "yesno":
        return {"yes": True, "no": False}.get(text, _ABSENT)
    if not text:
        return _ABSENT
    if control.control == "datetime" and _LOCAL_TIME.match(text):
        return text + "Z"  # a date-and-time input has no zone; the portal's times are UTC
    return text


def _value(control: Field | Group, data: Mapping[str, list[str]]) -> Any:
    if isinstance(control, Group):
        return _record(control, data)
    given = data.get(control.name, [])
    if control.control == "choices":
        return [g for g in given if g] or _ABSENT
    if control.control == "lines":
        lines = [line.strip() for text in given for line in text.splitlines()]
        return [line for line in lines if line] or _ABSENT
    return _scalar(control, given)


def _record(group: Group, data: Mapping[str, list[str]]) -> Any:
    if group.repeated:
        items = [_record(item, data) for item in group.children if isinstance(item, Group)]
        return [item for item in items if item is not _ABSENT] or _ABSENT
    record = {}
    for child in group.children:
        value = _value(child, data)
        if value is not _ABSENT:
            record[child.name.rsplit(".", 1)[-1]] = value
    # A checkbox is always "said" (unticked is no); a record of nothing else was left blank.
    said = [
        c
        for c in group.children
        if not (isinstance(c, Field) and c.control == "checkbox")
        and c.name.rsplit(".", 1)[-1] in record
    ]
    return record if said or (record and group.required) else _ABSENT


def event_body(
    form: EventForm,
    data: Mapping[str, list[str]],
    *,
    source: str,
    actor_role: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """The JSON body ``POST /v1/events`` would get for this form, as the person filled it in."""
    body: dict[str, Any] = {}
    for child in form.children:
        value = _value(child, data)
        if value is not _ABSENT:
            body[child.name] = value
    if IDENTITY in form.names and IDENTITY not in body:
        body[IDENTITY] = {}  # left blank: the identity's own fields say what is missing
    stated = body.get(HEADER, {})
    event_id = (data.get(f"{HEADER}.event_id") or [""])[0].strip() or str(uuid.uuid4())
    body[HEADER] = {
        **stated,
        "event_id": event_id,
        "event_type": form.event_type,
        "source_institution": source,
        "occurred_at": stated.get("occurred_at", now.isoformat()),
        "recorded_at": now.isoformat(),
        # As new_header does, one case reads as one story; a case id that is no id is said
        # once, at the case field, not again here.
        "correlation_id": _uuid_or(stated.get("case_id"), str(uuid.uuid4())),
        "actor_role": actor_role,
    }
    return body


def _uuid_or(text: Any, fallback: str) -> str:
    try:
        return str(uuid.UUID(str(text)))
    except ValueError:
        return fallback


def field_errors(
    form: EventForm, problems: Sequence[tuple[Sequence[str | int], str]]
) -> tuple[dict[str, list[str]], list[str]]:
    """The API's problems (location, message) by the control they belong to; those of no
    control (the event as a whole) apart."""
    by_control: dict[str, list[str]] = {}
    general: list[str] = []
    for location, message in problems:
        path = [str(p) for p in location if p != "body"]
        while path and ".".join(path) not in form.names:
            path.pop()
        if path:
            by_control.setdefault(".".join(path), []).append(message)
        else:
            general.append(message)
    return by_control, general
