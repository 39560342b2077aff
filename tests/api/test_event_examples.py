"""The examples ``/docs`` shows for ``POST /v1/events``: one per event type an institution may
submit, each accepted by the exchange when posted as documented (in the story's order, each with
its source's token); the request body is documented as the union of the event models."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from consumers.pipeline import Pipeline
from producers.examples import by_event_type, story
from schemas.institutions import PLATFORM_ONLY
from schemas.models import event_models
from services.api.tokens import Role
from tests.api.world import World


def test_every_event_type_an_institution_may_submit_has_an_example() -> None:
    assert set(by_event_type()) == set(event_models()) - PLATFORM_ONLY


def test_every_example_is_accepted_when_posted_as_documented(
    client: TestClient, world: World, pipeline: Pipeline
) -> None:
    receipts: dict[str, tuple[str, str]] = {}
    for example in story():
        name = example.institution
        if name not in world.tokens:
            world.issue(name, name, Role.INSTITUTION)
        posted = client.post("/v1/events", json=example.body, headers=world.headers(name))
        assert posted.status_code == 202, (example.event_type, posted.text)
        receipts[str(example.event_id)] = (name, example.event_type)
        pipeline.drain()  # the next example may answer this one
    for event_id, (name, event_type) in receipts.items():
        status = client.get(f"/v1/submissions/{event_id}", headers=world.headers(name)).json()
        why = (event_type, status.get("code"), status.get("reason"))
        assert status["status"] == "accepted", why


def test_the_documented_body_is_the_union_of_the_event_models_with_an_example_each(
    client: TestClient,
) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    variants = {_ref_name(v) for v in body["schema"]["oneOf"]}
    submittable = set(event_models()) - PLATFORM_ONLY
    assert variants == submittable
    schemas = spec["components"]["schemas"]
    referral = schemas["ReferralSent"]
    assert {"header", "referral_id", "to_institution", "basis"} <= set(referral["properties"])
    header = schemas[_ref_name(referral["properties"]["header"])]
    assert "event_type" in header["properties"]
    assert "source_institution" not in header.get("required", []), "the API fills it in"
    registered = schemas["SubjectRegistered"]["properties"]
    assert "identity" in registered, "an HTTP client registers people with identity"
    assert set(body["examples"]) == submittable
    for event_type, example in body["examples"].items():
        assert example["value"]["header"]["event_type"] == event_type


def test_a_nested_error_names_the_nested_field(client: TestClient, world: World) -> None:
    example = by_event_type()["ReferralSent"]
    if example.institution not in world.tokens:
        world.issue(example.institution, example.institution, Role.INSTITUTION)
    body: dict[str, Any] = {**example.body, "basis": {"kind": "NOT_A_BASIS"}}
    posted = client.post("/v1/events", json=body, headers=world.headers(example.institution))
    assert posted.status_code == 422
    locations = [p["location"] for p in posted.json()["problems"]]
    assert ["body", "basis", "kind"] in locations, locations


def _ref_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[1]
    return _ref_name(schema["allOf"][0])
