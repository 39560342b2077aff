"""The portal's event forms, generated from the schemas' models: what a person fills in becomes
the body ``POST /v1/events`` takes, and the API's problems land on the field that caused them."""

from __future__ import annotations

import datetime as dt
import uuid

from schemas.institutions import PUBLISHABLE
from schemas.models import event_models, model_for
from services.api.portal.event_forms import (
    Field,
    Group,
    event_body,
    event_form,
    field_errors,
    submittable,
)

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def control(form_children: tuple[Field | Group, ...], name: str) -> Field | Group:
    for child in form_children:
        if child.name == name:
            return child
        if isinstance(child, Group) and name.startswith(child.name + "."):
            return control(child.children, name)
    raise LookupError(name)


def test_every_event_an_institution_may_publish_has_a_form_and_no_platform_event_does() -> None:
    for kind in PUBLISHABLE:
        for event_type in submittable(kind):
            assert event_type in event_models()
            assert event_form(event_type).names  # built, every field with a control
    assert "AccessRecorded" not in {
        e for k in PUBLISHABLE if k != "PLATFORM" for e in submittable(k)
    }


def test_each_avro_type_has_its_control() -> None:
    form = event_form("ActivityHeld")
    kind = control(form.children, "kind")
    assert isinstance(kind, Field) and kind.control == "select" and kind.required
    levels = model_for("ActivityHeld").model_fields["kind"].annotation
    assert kind.choices == tuple(s.value for s in levels)  # type: ignore[union-attr]
    held = control(form.children, "held_from")
    assert isinstance(held, Field) and (held.control, held.required) == ("date", True)
    until = control(form.children, "held_until")
    assert isinstance(until, Field) and (until.control, until.required) == ("date", False)
    seminar = control(form.children, "seminar")
    assert isinstance(seminar, Group) and not seminar.required  # an optional nested record
    participants = control(form.children, "participants")
    assert isinstance(participants, Group) and participants.repeated
    assert [c.name for c in participants.children] == [f"participants.{n}" for n in range(3)]
    report = event_form("ReportReceived")
    violence = control(report.children, "violence_types")
    assert isinstance(violence, Field) and violence.control == "choices"
    children = control(report.children, "children_present")  # optional boolean: not said
    assert isinstance(children, Field) and children.control == "yesno"
    danger = control(report.children, "immediate_danger_alleged")
    assert isinstance(danger, Field) and danger.control == "checkbox"
    imposed = event_form("UrgentMeasureImposed")
    hours = control(imposed.children, "duration_hours")  # the schema's default, shown
    assert isinstance(hours, Field) and not hours.required and hours.default == "48"
    registered = event_form("SubjectRegistered")
    assert "identity.given_name" in registered.names and "sealed" not in registered.names


def test_what_is_filled_in_becomes_the_apis_body_and_blank_parts_are_left_out() -> None:
    form = event_form("ActivityHeld")
    case = uuid.uuid4()
    body = event_body(
        form,
        {
            "header.case_id": [str(case)],
            "header.legal_basis": ["LAW_PREVENTION_DV_2017"],
            "header.occurred_at": ["2026-12-01T09:30"],
            "activity_id": [str(uuid.uuid4())],
            "kind": ["SEMINAR"],
            "held_from": ["2026-12-01"],
            "held_until": [""],
            "seminar.days": [""],
            "participants.0.sex": ["FEMALE"],
            "participants.0.count": ["12"],
            "participants.1.sex": [""],
            "participants.1.count": [""],
        },
        source="ngo.azc",
        actor_role="NGO_COUNSELLOR",
        now=NOW,
    )
    assert body["participants"] == [{"sex": "FEMALE", "count": "12"}]
    assert "seminar" not in body and "held_until" not in body
    header = body["header"]
    assert header["occurred_at"] == "2026-12-01T09:30Z"  # entered in UTC
    assert header["source_institution"] == "ngo.azc" and header["actor_role"] == "NGO_COUNSELLOR"
    assert header["correlation_id"] == str(case) and header["event_type"] == "ActivityHeld"
    assert header["recorded_at"] == NOW.isoformat()
    assert uuid.UUID(header["event_id"])


def test_a_problems_location_falls_on_its_field_or_the_nearest_group() -> None:
    form = event_form("ReferralSent")
    errors, general = field_errors(
        form,
        [
            (["body", "header", "case_id"], "not a uuid"),
            (["body", "basis", "kind"], "required"),
            (["body", "subject_ids", 2], "not a uuid"),
            (["body", "header", "correlation_id"], "not a uuid"),
            (["body"], "the event as a whole"),
        ],
    )
    assert errors == {
        "header.case_id": ["not a uuid"],
        "basis.kind": ["required"],
        "subject_ids": ["not a uuid"],
        "header": ["not a uuid"],
    }
    assert general == ["the event as a whole"]
