"""Registering a person over HTTP: an institution with no vault of its own sends the subject's
identifiers in clear (over TLS in production) and the platform seals them before anything is
published; a participant then reads them, and a ``sealed`` field under a key nobody holds is
refused instead of being taken, later, for an erased person."""

from __future__ import annotations

import base64
import random
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from consumers.pipeline import Pipeline
from producers.identities import synthetic_person
from services.bootstrap import Platform
from tests.api.world import NOW, OWNER, World, as_json, case_opened

PLACE = "lazarevac"


def registration(world: World, case_id: uuid.UUID, subject_id: uuid.UUID) -> dict[str, Any]:
    """A SubjectRegistered as JSON, without its ``sealed`` field."""
    body = as_json(world.registered(OWNER, case_id, subject_id, PLACE, NOW))
    del body["sealed"]
    return body


def identity_of(world: World, subject_id: uuid.UUID) -> dict[str, Any]:
    person = synthetic_person(
        random.Random(f"http-{subject_id}"), female=False, birth_year=1985, municipality=PLACE
    )
    return person.model_dump(mode="json")


def test_identifiers_sent_in_clear_are_sealed_by_the_platform_and_read_by_a_participant(
    client: TestClient, world: World, platform: Platform, pipeline: Pipeline
) -> None:
    subject_id = uuid.uuid4()
    identity = identity_of(world, subject_id)
    body = {**registration(world, world.case_x, subject_id), "identity": identity}
    posted = client.post("/v1/events", json=body, headers=world.headers("owner"))
    assert posted.status_code == 202, posted.text
    pipeline.drain()
    status = client.get(posted.json()["status_url"], headers=world.headers("owner")).json()
    assert status["status"] == "accepted", status

    reader = world.headers("ngo", **{"X-Purpose": "SERVICE_PROVISION", "X-Actor-Role": "LAWYER"})
    read = client.get(f"/v1/subjects/{subject_id}/identity", headers=reader)
    assert read.status_code == 200, read.text
    assert read.json()["jmbg"] == identity["jmbg"]
    assert read.json()["family_name"] == identity["family_name"]
    stranger = world.headers("foreign", **{"X-Purpose": "SERVICE_PROVISION"})
    assert client.get(f"/v1/subjects/{subject_id}/identity", headers=stranger).status_code == 404

    # In clear nowhere but the answer to the participant: not on the bus, in the views or the
    # exchange's store (the vault holds only keys).
    needles = [identity["jmbg"].encode(), identity["family_name"].encode(),
               identity["address"].encode()]  # fmt: skip
    data: Path = platform.settings.data_dir
    for store in [*data.glob("*.db"), *data.glob("*.db-wal")]:
        content = store.read_bytes()
        assert not [n for n in needles if n in content], f"an identifier in clear in {store.name}"


def test_a_sealed_field_under_a_key_the_vault_does_not_hold_is_refused(
    client: TestClient, world: World
) -> None:
    case_id = uuid.uuid4()
    opened = client.post(
        "/v1/events",
        json=as_json(case_opened(OWNER, case_id, PLACE, NOW)),
        headers=world.headers("owner"),
    )
    assert opened.status_code == 202
    invented = {
        "key_id": str(uuid.uuid4()),
        "nonce": base64.b64encode(b"n" * 12).decode(),
        "ciphertext": base64.b64encode(b"random bytes").decode(),
    }
    body = {**registration(world, case_id, uuid.uuid4()), "sealed": invented}
    refused = client.post("/v1/events", json=body, headers=world.headers("owner"))
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["problems"]
    assert problem["code"] == "sealed_key_unknown"
    assert problem["location"] == ["body", "sealed", "key_id"]

    # Another subject's key is no better: a key is bound to its subject.
    borrowed = {**registration(world, case_id, uuid.uuid4()),
                "sealed": as_json(world.registered(OWNER, case_id, world.subject_x, PLACE, NOW))[
                    "sealed"]}  # fmt: skip
    assert (
        client.post("/v1/events", json=borrowed, headers=world.headers("owner")).json()["problems"][
            0
        ]["code"]
        == "sealed_key_unknown"
    )


def test_identity_is_checked_and_never_echoed(client: TestClient, world: World) -> None:
    subject_id = uuid.uuid4()
    identity = identity_of(world, subject_id)
    both = {**registration(world, world.case_x, subject_id), "identity": identity,
            "sealed": {"key_id": "k", "nonce": "", "ciphertext": ""}}  # fmt: skip
    answer = client.post("/v1/events", json=both, headers=world.headers("owner"))
    assert (
        answer.status_code == 422 and answer.json()["problems"][0]["code"] == "identity_or_sealed"
    )

    not_a_person = {**identity, "given_name": None}
    body = {**registration(world, world.case_x, subject_id), "identity": not_a_person}
    answer = client.post("/v1/events", json=body, headers=world.headers("owner"))
    assert answer.status_code == 422
    assert answer.json()["problems"][0]["location"] == ["body", "identity", "given_name"]
    assert identity["jmbg"] not in answer.text and identity["family_name"] not in answer.text

    opened = {**as_json(case_opened(OWNER, uuid.uuid4(), PLACE, NOW)), "identity": identity}
    answer = client.post("/v1/events", json=opened, headers=world.headers("owner"))
    assert answer.status_code == 422
    assert answer.json()["problems"][0]["code"] == "identity_not_expected"
    assert identity["jmbg"] not in answer.text
