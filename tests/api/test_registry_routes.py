"""The registry as the API mounts it: reads open, writes for admins, answers in Confluent's shape
(including the inputs the property test once found crashing it)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from schemas.registry.wire import CONTENT_TYPE
from tests.api.world import World

RECORD = {"type": "record", "name": "Ping", "fields": [{"name": "at", "type": "long"}]}


def test_admins_register_schemas_that_anyone_may_read(client: TestClient, world: World) -> None:
    body = {"schema": json.dumps(RECORD)}
    assert client.post("/subjects/ping/versions", json=body).status_code == 401
    refused = client.post("/subjects/ping/versions", json=body, headers=world.headers("ngo"))
    assert refused.status_code == 403
    registered = client.post("/subjects/ping/versions", json=body, headers=world.headers("admin"))
    assert registered.status_code == 200
    schema_id = registered.json()["id"]
    assert json.loads(client.get(f"/schemas/ids/{schema_id}").json()["schema"]) == RECORD
    latest = client.get("/subjects/ping/versions/-1").json()
    assert (latest["version"], latest["id"]) == (1, schema_id)


def test_what_is_not_avro_is_refused_before_it_is_stored(client: TestClient, world: World) -> None:
    for text in ("0", '{"type": "record"}', '"nosuchtype"'):
        answer = client.post(
            "/subjects/broken/versions", json={"schema": text}, headers=world.headers("admin")
        )
        assert answer.status_code == 422 and answer.json()["error_code"] == 42201, text
    assert "broken" not in client.get("/subjects").json()


def test_ids_and_versions_outside_int32_are_simply_not_found(client: TestClient) -> None:
    far = client.get(f"/schemas/ids/{2**63}")
    assert far.status_code == 404 and far.json()["error_code"] == 40403
    huge = client.get(f"/subjects/rs.povezimo.events.CaseOpened/versions/{2**40}")
    assert huge.status_code == 422 and huge.json()["error_code"] == 42202
    odd = client.get("/subjects/rs.povezimo.events.CaseOpened/versions/²")
    assert odd.status_code == 422 and odd.json()["error_code"] == 42202


def test_refusals_carry_confluents_error_code_and_media_type(
    client: TestClient, world: World
) -> None:
    """Gap 4 of issue 22: a 401 or 403 without error_code made the client report 'SR code None'."""
    body = {"schema": json.dumps(RECORD)}
    anonymous = client.post("/subjects/ping/versions", json=body)
    assert anonymous.status_code == 401 and anonymous.json()["error_code"] == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    institution = client.post("/subjects/ping/versions", json=body, headers=world.headers("ngo"))
    assert institution.status_code == 403 and institution.json()["error_code"] == 40301
    for answer in (anonymous, institution, client.get("/subjects/nothing/versions")):
        assert answer.headers["content-type"] == CONTENT_TYPE
    assert client.get("/subjects").headers["content-type"] == CONTENT_TYPE


def test_confluents_media_types_are_read_and_others_refused(
    client: TestClient, world: World
) -> None:
    admin = world.headers("admin")
    for media_type in (CONTENT_TYPE, "application/json", "application/octet-stream"):
        answer = client.post(
            "/subjects/ping/versions",
            content=json.dumps({"schema": json.dumps(RECORD)}),
            headers={**admin, "Content-Type": media_type},
        )
        assert answer.status_code == 200, (media_type, answer.text)
    form = client.post(
        "/subjects/ping/versions",
        content="schema=x",
        headers={**admin, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (form.status_code, form.json()["error_code"]) == (415, 415)
    xml = client.get("/subjects", headers={"Accept": "application/xml"})
    assert (xml.status_code, xml.json()["error_code"]) == (406, 406)
    weighted = client.get(
        "/subjects", headers={"Accept": "application/vnd.schemaregistry+json; q=0.9"}
    )
    assert weighted.status_code == 200


def test_a_lookup_is_a_read_open_to_any_producer(client: TestClient, world: World) -> None:
    """Gap 2 of issue 22: POST /subjects/{subject} answered 404, so a producer that does not
    register schemas could not learn their ids."""
    event = client.get("/subjects/rs.povezimo.events.CaseOpened/versions/latest").json()
    found = client.post("/subjects/rs.povezimo.events.CaseOpened", json={"schema": event["schema"]})
    assert found.status_code == 200, found.text
    assert (found.json()["id"], found.json()["version"]) == (event["id"], event["version"])
    unknown = client.post(
        "/subjects/rs.povezimo.events.CaseOpened", json={"schema": json.dumps(RECORD)}
    )
    assert (unknown.status_code, unknown.json()["error_code"]) == (404, 40403)
    missing = client.post("/subjects/nothing-here", json={"schema": json.dumps(RECORD)})
    assert (missing.status_code, missing.json()["error_code"]) == (404, 40401)


def test_config_and_mode_are_read_by_anyone_and_set_by_admins(
    client: TestClient, world: World
) -> None:
    """Gap 1 of issue 22: /config and /mode answered 404."""
    assert client.get("/config").json() == {"compatibilityLevel": "FULL_TRANSITIVE"}
    assert client.get("/mode").json() == {"mode": "READWRITE"}
    subject = "/config/rs.povezimo.events.CaseOpened"
    assert client.get(subject).json()["error_code"] == 40408
    assert client.get(subject, params={"defaultToGlobal": "true"}).json() == {
        "compatibilityLevel": "FULL_TRANSITIVE"
    }
    assert client.put(subject, json={"compatibility": "FULL"}).status_code == 401
    admin = world.headers("admin")
    assert client.put(subject, json={"compatibility": "FULL"}, headers=admin).json() == {
        "compatibility": "FULL"
    }
    wrong = client.put(subject, json={"compatibility": "SOMETIMES"}, headers=admin)
    assert (wrong.status_code, wrong.json()["error_code"]) == (422, 42203)
    assert client.delete(subject, headers=admin).json() == {"compatibilityLevel": "FULL"}
    assert client.put("/mode", json={"mode": "READONLY"}, headers=admin).json() == {
        "mode": "READONLY"
    }
    refused = client.post(
        "/subjects/ping/versions", json={"schema": json.dumps(RECORD)}, headers=admin
    )
    assert (refused.status_code, refused.json()["error_code"]) == (422, 42205)
    importing = client.put("/mode", json={"mode": "IMPORT"}, headers=admin)
    assert (importing.status_code, importing.json()["error_code"]) == (422, 42204)
    assert client.delete("/mode", headers=admin).json() == {"mode": "READONLY"}


def test_every_error_of_a_registry_path_is_in_confluents_shape(
    client: TestClient, world: World
) -> None:
    admin = world.headers("admin")
    cases = {
        client.get("/subjects/x/versions/1/nowhere"): (404, 404),
        client.patch("/subjects", headers=admin): (405, 405),
        client.post("/subjects/x/versions", content=b"{", headers=admin): (400, 400),
        client.post("/subjects/x/versions", json={"schemata": "{}"}, headers=admin): (422, 42201),
        client.put("/mode", json={}, headers=admin): (422, 42204),
        client.get("/subjects", params={"deleted": "perhaps"}): (400, 400),
        client.get("/schemas/ids/abc"): (404, 40403),
        client.get("/schemas/guids/9a1e2c0e-1111-2222-3333-444455556666"): (404, 40403),
    }
    for answer, (status, code) in cases.items():
        assert (answer.status_code, answer.json()["error_code"]) == (status, code), answer.text
    # …and the API's own paths keep the API's own shape.
    assert client.get("/v1/nowhere").json()["code"] == "not_found"
