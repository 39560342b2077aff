"""The HTTP API under hostile input: every route, generated from the app's own OpenAPI document
by schemathesis, called without a token or with a bad one, and the ingest fed malformed JSON and
oversized bodies. No 5xx, no stack trace in a response, nothing accepted without a valid token."""

from __future__ import annotations

import re
from collections import Counter
from itertools import cycle
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings

from services.api.app import create_app
from services.bootstrap import Platform
from tests.api.conftest import client, pipeline, platform, world  # noqa: F401 (fixtures)
from tests.api.world import World
from tests.reliability.figures import record, scaled

EXAMPLES_PER_ROUTE = int(scaled(4, 40))
# Open by design: health and metrics for operators, the dashboard's page (its data needs a
# token), the AsyncAPI document, and the schema registry's reads for Kafka tooling (its lookup
# too, POST /subjects/{subject}: it changes nothing).
OPEN_READS = (
    "/healthz", "/metrics", "/dashboard", "/asyncapi.json",
    "/schemas", "/subjects", "/config", "/mode", "/contexts",
)  # fmt: skip
LOOKUP = re.compile(r"/subjects/[^/]+")


def bad_credentials(known: World) -> list[dict[str, str]]:
    return [
        {},
        {"Authorization": f"Bearer {known.tokens['invalid']}"},
        {"Authorization": f"Bearer {known.tokens['revoked']}"},
        {"Authorization": "Bearer"},
        {"Authorization": f"Basic {known.tokens['ngo']}"},  # a good secret, the wrong scheme
        {"Authorization": f"Bearer {known.tokens['ngo']}x"},
        {"Authorization": f"Bearer {known.tokens['ngo'][:-1]}"},
        {"Authorization": "Bearer " + "A" * 10_000},
    ]


def assert_safe(status: int, text: str, where: str) -> None:
    assert status < 500, (where, status, text[:300])
    assert "Traceback" not in text and 'File "' not in text, (where, text[:300])


def test_no_route_answers_without_a_valid_token(platform: Platform, world: World) -> None:  # noqa: F811
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(platform))
    schema = schema.exclude(path="/v1/inbox/stream")
    credentials = cycle(bad_credentials(world))
    statuses: Counter[int] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_ROUTE,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.generate],
        )
        def each(case: Any) -> None:
            if case.query and "wait" in case.query:
                case.query["wait"] = 0
            given_headers = (case.headers or {}).items()
            generated = {k: v for k, v in given_headers if k.lower() != "authorization"}
            headers = {**generated, **next(credentials)}
            response = case.call(headers=headers)
            statuses[response.status_code] += 1
            where = f"{case.method} {case.path}"
            assert_safe(response.status_code, response.text, where)
            if response.status_code < 300:
                lookup = case.method == "POST" and LOOKUP.fullmatch(case.path)
                read = case.method == "GET" and case.path.startswith(OPEN_READS)
                assert read or lookup, (
                    f"{where} answered {response.status_code} without a valid token"
                )

        each()
    refused = sum(n for status, n in statuses.items() if status in {401, 403})
    record(
        "api without a valid token",
        requests=sum(statuses.values()),
        refused_401_403=refused,
        server_errors=0,
        accepted_without_token=0,
    )


def test_malformed_and_oversized_bodies_get_a_clear_refusal(
    client: TestClient,  # noqa: F811
    world: World,  # noqa: F811
) -> None:
    headers = world.headers("ngo", **{"Content-Type": "application/json"})
    bodies: dict[str, bytes] = {
        "not json": b"{this is not json",
        "truncated": b'{"header": {"event_id": "',
        "empty": b"",
        "null": b"null",
        "a list": b"[1, 2, 3]",
        "a string": b'"CaseOpened"',
        "invalid utf-8": b'{"header": "\xff\xfe"}',
        "lone surrogate": b'{"header": "\\ud800"}',
        "nan and infinity": b'{"header": NaN, "birth_year": Infinity}',
        "huge number": b'{"birth_year": 1' + b"0" * 5_000 + b"}",
        "deep nesting": b"[" * 100_000 + b"]" * 100_000,
        "oversized body": b'{"x": "' + b"a" * (8 * 1024 * 1024) + b'"}',
        "many keys": b"{" + b",".join(b'"k%d": 1' % i for i in range(100_000)) + b"}",
        "nul bytes": b'{"header": "\x00\x00"}',
    }
    statuses = {}
    for name, body in bodies.items():
        response = client.post("/v1/events", content=body, headers=headers)
        assert_safe(response.status_code, response.text, name)
        assert 400 <= response.status_code < 500, (name, response.status_code)
        assert isinstance(response.json()["code"], str), name
        statuses[name] = response.status_code
    xml = world.headers("ngo", **{"Content-Type": "text/xml"})
    wrong_type = client.post("/v1/events", content=b"<event/>", headers=xml)
    assert_safe(wrong_type.status_code, wrong_type.text, "xml")
    assert 400 <= wrong_type.status_code < 500
    record("api malformed bodies", tried=len(bodies) + 1, server_errors=0, statuses=statuses)
