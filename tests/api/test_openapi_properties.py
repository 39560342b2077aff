"""Property-based: requests generated from the app's own OpenAPI document never get a 5xx, and
every refusal is a JSON error with a machine-readable code (CI-sized: few examples per route).

Schemathesis generates the cases; hypothesis drives them directly (its pytest fixture loader does
not follow the pytest we use), one route after another against the seeded world.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from schemas.registry.wire import CONTENT_TYPE
from services.api.app import create_app
from services.api.registry import is_registry_path
from services.bootstrap import Platform
from tests.api.world import World

# CI-sized by default; POVEZIMO_PROPERTY_EXAMPLES=200 for a deeper run before a release.
EXAMPLES_PER_ROUTE = int(os.environ.get("POVEZIMO_PROPERTY_EXAMPLES", "10"))


def _check(case: Any, world: World) -> None:
    if case.query and "wait" in case.query:
        case.query["wait"] = 0  # long-poll: the answer is the same, only later
    # Each route with the token it serves, so the generated input reaches the route's own code.
    caller = "admin" if case.method != "GET" and not case.path.startswith("/v1") else "ngo"
    if case.path.startswith("/v1/aggregate"):
        caller = "coordinator"
    if case.path.startswith("/v1/audit"):
        caller = "auditor"
    headers = {**(case.headers or {}), "Authorization": f"Bearer {world.tokens[caller]}"}
    response = case.call(headers=headers)
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
    confluent = is_registry_path(case.path)
    if response.status_code >= 400:
        body = response.json()
        assert "Traceback" not in response.text
        if confluent:  # Confluent's shape, so its clients can say why
            assert isinstance(body["error_code"], int), (case.path, body)
            assert CONTENT_TYPE in str(response.headers["content-type"])
        else:
            assert isinstance(body["code"], str)


def test_no_generated_request_gets_a_server_error(platform: Platform, world: World) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(platform))
    # The stream only ends after its duration: a property run would wait on it for nothing.
    schema = schema.exclude(path="/v1/inbox/stream")
    tried = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_ROUTE,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def each(case: Any) -> None:
            _check(case, world)

        each()
        tried.append(operation.label)
    assert len(tried) >= 22, tried
