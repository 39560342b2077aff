"""HTTP ingest: an event as JSON → the caller's submissions topic → the exchange's decision."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from consumers.pipeline import Pipeline
from services.bootstrap import Platform
from tests.api.world import NGO, NOW, World, as_json, case_opened, event
from tests.support.pipeline import decoded, read_topic


def test_a_valid_event_is_published_to_the_callers_submissions_and_then_accepted(
    client: TestClient, world: World, platform: Platform, pipeline: Pipeline
) -> None:
    case_id = uuid.uuid4()
    posted = client.post(
        "/v1/events",
        json=as_json(case_opened(NGO, case_id, "lazarevac", NOW)),
        headers=world.headers("ngo"),
    )
    assert posted.status_code == 202
    event_id = posted.json()["event_id"]
    status_url = posted.json()["status_url"]
    assert client.get(status_url, headers=world.headers("ngo")).json()["status"] == "pending"

    on_topic = decoded(platform, read_topic(platform, f"submissions.{NGO}", settle=0.2))
    assert [(d.event_type, str(d.record["header"]["event_id"])) for d in on_topic] == [
        ("CaseOpened", event_id)
    ]

    pipeline.drain()
    status = client.get(status_url, headers=world.headers("ngo")).json()
    assert status == {
        "event_id": event_id,
        "status": "accepted",
        "event_type": "CaseOpened",
        "case_id": str(case_id),
        "code": None,
        "reason": None,
    }
    cases = client.get("/v1/cases", headers=world.headers("ngo")).json()
    assert str(case_id) in {c["case_id"] for c in cases}
    # A list-valued field of the event reads back as a list, in the listing and in the case.
    [listed] = [c for c in cases if c["case_id"] == str(case_id)]
    one = client.get(f"/v1/cases/{case_id}", headers=world.headers("ngo")).json()
    assert listed["violence_types"] == one["violence_types"] == ["PSYCHOLOGICAL"]


def test_the_source_may_be_left_out_and_is_then_the_tokens_institution(
    client: TestClient, world: World, pipeline: Pipeline
) -> None:
    body = as_json(case_opened(NGO, uuid.uuid4(), "lazarevac", NOW))
    del body["header"]["source_institution"]
    posted = client.post("/v1/events", json=body, headers=world.headers("ngo"))
    assert posted.status_code == 202
    pipeline.drain()
    status = client.get(posted.json()["status_url"], headers=world.headers("ngo")).json()
    assert status["status"] == "accepted"


def test_nobody_publishes_as_another_institution(
    client: TestClient, world: World, platform: Platform
) -> None:
    body = as_json(case_opened("csr.lazarevac", uuid.uuid4(), "lazarevac", NOW))
    refused = client.post("/v1/events", json=body, headers=world.headers("ngo"))
    assert refused.status_code == 403
    assert refused.json()["code"] == "source_mismatch"
    assert f"submissions.{NGO}" not in platform.bus.list_topics()


def test_an_event_the_exchange_refuses_is_reported_rejected_with_its_reason(
    client: TestClient, world: World, pipeline: Pipeline
) -> None:
    # An NGO may not impose an urgent measure (only the police may, LPDV Art. 17).
    imposed = event(
        "UrgentMeasureImposed",
        NGO,
        world.case_x,
        NOW,
        measure_id=uuid.uuid4(),
        order_id=uuid.uuid4(),
        measure_type="TEMPORARY_CONTACT_BAN",
        perpetrator_subject_id=uuid.uuid4(),
        protected_subject_ids=[uuid.uuid4()],
        imposed_at=NOW,
    )
    posted = client.post("/v1/events", json=as_json(imposed), headers=world.headers("ngo"))
    assert posted.status_code == 202
    pipeline.drain()
    status = client.get(posted.json()["status_url"], headers=world.headers("ngo")).json()
    assert status["status"] == "rejected"
    assert status["code"] == "event_type_not_permitted"
    assert "may not publish UrgentMeasureImposed" in status["reason"]


def test_invalid_events_get_422_with_a_machine_readable_list_of_problems(
    client: TestClient, world: World
) -> None:
    good = as_json(case_opened(NGO, uuid.uuid4(), "lazarevac", NOW))
    bad_uuid = {**good, "report_id": "not-a-uuid", "relationship": "NEIGHBOUR_OF_NEIGHBOUR"}
    answer = client.post("/v1/events", json=bad_uuid, headers=world.headers("ngo"))
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "invalid_event"
    assert {(tuple(p["location"]), p["code"]) for p in body["problems"]} == {
        (("body", "report_id"), "uuid_parsing"),
        (("body", "relationship"), "enum"),
    }
    assert "NEIGHBOUR_OF_NEIGHBOUR" not in answer.text  # input is never echoed back

    cases = {
        "not an object": ([1, 2], "object_expected"),
        "no header": ({"report_id": str(uuid.uuid4())}, "object_expected"),
        "no event type": ({"header": {}}, "missing"),
        "unknown type": ({"header": {"event_type": "CaseStolen"}}, "unknown_event_type"),
        "unknown field": ({**good, "favourite_colour": "red"}, "extra_forbidden"),
    }
    for name, (payload, code) in cases.items():
        answer = client.post("/v1/events", json=payload, headers=world.headers("ngo"))
        assert answer.status_code == 422, name
        assert code in {p["code"] for p in answer.json()["problems"]}, (name, answer.json())

    not_json = client.post(
        "/v1/events",
        content=b"{not json",
        headers={**world.headers("ngo"), "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422
    assert not_json.json()["code"] == "invalid_request"


def test_a_retried_event_is_published_again_but_decided_once(
    client: TestClient, world: World, pipeline: Pipeline, platform: Platform
) -> None:
    body = as_json(case_opened(NGO, uuid.uuid4(), "lazarevac", NOW))
    first = client.post("/v1/events", json=body, headers=world.headers("ngo"))
    again = client.post("/v1/events", json=body, headers=world.headers("ngo"))
    assert first.json() == again.json()
    pipeline.drain()
    case_events = decoded(platform, read_topic(platform, "case-events", settle=0.2))
    ids = [str(d.record["header"]["event_id"]) for d in case_events]
    assert ids.count(first.json()["event_id"]) == 1
