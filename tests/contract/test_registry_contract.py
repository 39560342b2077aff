"""The registry contract: embedded (SQLite, PostgreSQL) and over Confluent's REST API, one suite."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schemas import EmbeddedRegistry, IncompatibleSchema, SchemaNotFound, SchemaRegistry
from schemas.registry.confluent import ConfluentRegistry
from services.api.registry import registry_app
from tests.support.brokers import ServedApp

SUBJECT = "rs.povezimo.events.ReferralDeclined"
V1: dict[str, Any] = {
    "type": "record",
    "name": "ReferralDeclined",
    "namespace": "rs.povezimo.events",
    "doc": "A referral was declined.",
    "fields": [
        {"name": "referral_id", "type": "string", "doc": "Which referral."},
        {"name": "reason_code", "type": "int", "doc": "Why."},
    ],
}


def evolve(
    schema: dict[str, Any], *, add: list[dict[str, Any]] = (), drop: str = ""
) -> dict[str, Any]:  # type: ignore[assignment]
    new = copy.deepcopy(schema)
    new["fields"] = [f for f in new["fields"] if f["name"] != drop] + list(add)
    return new


@pytest.fixture(
    params=[
        "embedded-sqlite",
        pytest.param("embedded-postgresql", marks=pytest.mark.postgres),
        "confluent-rest",
    ]
)
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SchemaRegistry]:
    if request.param == "embedded-postgresql":
        yield EmbeddedRegistry.from_url(request.getfixturevalue("postgres_url"))
        return
    embedded = EmbeddedRegistry.from_url(f"sqlite:///{tmp_path / 'registry.db'}")
    if request.param == "embedded-sqlite":
        yield embedded
        return
    with ServedApp(registry_app(embedded)) as served:
        client = ConfluentRegistry(served.url)
        yield client
        client.close()


def test_registering_the_same_schema_twice_returns_the_same_id(registry: SchemaRegistry) -> None:
    first = registry.register(SUBJECT, V1)
    assert registry.register(SUBJECT, V1) == first
    assert registry.versions(SUBJECT) == [1]
    latest = registry.version(SUBJECT)
    assert (latest.version, latest.schema_id) == (1, first)


def test_ids_are_global_across_subjects(registry: SchemaRegistry) -> None:
    first = registry.register(SUBJECT, V1)
    assert registry.register("copy-of-" + SUBJECT, V1) == first
    assert set(registry.subjects()) >= {SUBJECT, "copy-of-" + SUBJECT}


def test_an_optional_field_with_a_default_is_accepted(registry: SchemaRegistry) -> None:
    first = registry.register(SUBJECT, V1)
    note = {"name": "note", "type": ["null", "string"], "default": None, "doc": "Optional."}
    second = registry.register(SUBJECT, evolve(V1, add=[note]))
    assert second != first
    assert registry.versions(SUBJECT) == [1, 2]
    assert registry.version(SUBJECT, 2).schema_id == second


def test_a_new_required_field_is_refused_with_the_checkers_reason(
    registry: SchemaRegistry,
) -> None:
    registry.register(SUBJECT, V1)
    required = {"name": "declined_by", "type": "string", "doc": "Required, no default."}
    with pytest.raises(IncompatibleSchema) as refused:
        registry.register(SUBJECT, evolve(V1, add=[required]))
    assert "reader_field_missing_default_value" in str(refused.value)
    assert "declined_by" in str(refused.value)
    assert registry.versions(SUBJECT) == [1]


def test_a_type_change_is_refused(registry: SchemaRegistry) -> None:
    registry.register(SUBJECT, V1)
    changed = evolve(
        V1, drop="reason_code", add=[{"name": "reason_code", "type": "string", "doc": "Why."}]
    )
    with pytest.raises(IncompatibleSchema, match="type_mismatch"):
        registry.register(SUBJECT, changed)
    verdict = registry.check_compatibility(SUBJECT, changed)
    assert not verdict.compatible and verdict.messages


def test_compatibility_is_transitive_over_every_earlier_version(registry: SchemaRegistry) -> None:
    registry.register(SUBJECT, V1)
    without = evolve(V1, drop="reason_code")
    registry.register(SUBJECT, without)  # readers of v2 simply ignore v1's reason_code
    back_as_text = {"name": "reason_code", "type": "string", "default": "", "doc": "Why."}
    # Compatible with v2 (it has no reason_code), but v1 wrote reason_code as int.
    with pytest.raises(IncompatibleSchema, match="version 1"):
        registry.register(SUBJECT, evolve(without, add=[back_as_text]))


def test_unknown_ids_subjects_and_versions_are_not_found(registry: SchemaRegistry) -> None:
    registry.register(SUBJECT, V1)
    with pytest.raises(SchemaNotFound):
        registry.schema_by_id(987_654)
    with pytest.raises(SchemaNotFound):
        registry.versions("no-such-subject")
    with pytest.raises(SchemaNotFound):
        registry.version(SUBJECT, 7)
