"""The registry as the API mounts it: reads open, writes for admins, answers in Confluent's shape
(including the inputs the property test once found crashing it)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

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
