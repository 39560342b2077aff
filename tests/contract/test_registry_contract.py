"""The registry contract: embedded (SQLite, PostgreSQL) and over Confluent's REST API, one suite.

The rule is FULL_TRANSITIVE (decision 0007): a new version must read what every earlier one
wrote, and be read by every earlier reader; deletes go soft first, then permanent.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schemas import EmbeddedRegistry, IncompatibleSchema, SchemaNotFound
from schemas.registry import (
    DEFAULT_COMPATIBILITY,
    Compatibility,
    DeletionRefused,
    ManagedRegistry,
    Mode,
    ReadOnly,
    RuleNotSet,
    SubjectNotFound,
    SubjectVersion,
    VersionNotFound,
)
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
NOTE: dict[str, Any] = {"name": "note", "type": ["null", "string"], "default": None, "doc": "."}


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
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ManagedRegistry]:
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


def test_registering_the_same_schema_twice_returns_the_same_id(registry: ManagedRegistry) -> None:
    first = registry.register(SUBJECT, V1)
    assert registry.register(SUBJECT, V1) == first
    assert registry.versions(SUBJECT) == [1]
    latest = registry.version(SUBJECT)
    assert (latest.version, latest.schema_id) == (1, first)


def test_ids_are_global_across_subjects(registry: ManagedRegistry) -> None:
    first = registry.register(SUBJECT, V1)
    assert registry.register("copy-of-" + SUBJECT, V1) == first
    assert set(registry.subjects()) >= {SUBJECT, "copy-of-" + SUBJECT}


def test_an_optional_field_with_a_default_is_accepted(registry: ManagedRegistry) -> None:
    first = registry.register(SUBJECT, V1)
    note = {"name": "note", "type": ["null", "string"], "default": None, "doc": "Optional."}
    second = registry.register(SUBJECT, evolve(V1, add=[note]))
    assert second != first
    assert registry.versions(SUBJECT) == [1, 2]
    assert registry.version(SUBJECT, 2).schema_id == second


def test_a_new_required_field_is_refused_with_the_checkers_reason(
    registry: ManagedRegistry,
) -> None:
    registry.register(SUBJECT, V1)
    required = {"name": "declined_by", "type": "string", "doc": "Required, no default."}
    with pytest.raises(IncompatibleSchema) as refused:
        registry.register(SUBJECT, evolve(V1, add=[required]))
    assert "reader_field_missing_default_value" in str(refused.value)
    assert "declined_by" in str(refused.value)
    assert registry.versions(SUBJECT) == [1]


def test_a_type_change_is_refused(registry: ManagedRegistry) -> None:
    registry.register(SUBJECT, V1)
    changed = evolve(
        V1, drop="reason_code", add=[{"name": "reason_code", "type": "string", "doc": "Why."}]
    )
    with pytest.raises(IncompatibleSchema, match="type_mismatch"):
        registry.register(SUBJECT, changed)
    verdict = registry.check_compatibility(SUBJECT, changed)
    assert not verdict.compatible and verdict.messages


def test_compatibility_is_transitive_over_every_earlier_version(
    registry: ManagedRegistry,
) -> None:
    with_default = {"name": "reason_code", "type": "int", "default": 0, "doc": "Why."}
    registry.register(SUBJECT, evolve(V1, drop="reason_code", add=[with_default]))
    without = evolve(V1, drop="reason_code")
    registry.register(SUBJECT, without)  # a field with a default may go: old readers use it
    back_as_text = {"name": "reason_code", "type": "string", "default": "", "doc": "Why."}
    # Compatible with v2 (it has no reason_code), but v1 wrote reason_code as int.
    with pytest.raises(IncompatibleSchema, match="version 1"):
        registry.register(SUBJECT, evolve(without, add=[back_as_text]))
    # Against the latest version alone it passes: that is what "transitive" adds.
    assert registry.check_against(SUBJECT, evolve(without, add=[back_as_text])).compatible
    assert not registry.check_compatibility(SUBJECT, evolve(without, add=[back_as_text])).compatible


def test_removing_a_required_field_is_refused_as_production_refuses_it(
    registry: ManagedRegistry,
) -> None:
    """The gap of issue 22: BACKWARD_TRANSITIVE let it through; an old reader cannot fill it."""
    registry.register(SUBJECT, V1)
    with pytest.raises(IncompatibleSchema, match="old reads new"):
        registry.register(SUBJECT, evolve(V1, drop="reason_code"))
    assert registry.compatibility() is DEFAULT_COMPATIBILITY is Compatibility.FULL_TRANSITIVE


def test_unknown_ids_subjects_and_versions_are_not_found(registry: ManagedRegistry) -> None:
    registry.register(SUBJECT, V1)
    with pytest.raises(SchemaNotFound):
        registry.schema_by_id(987_654)
    with pytest.raises(SchemaNotFound):
        registry.versions("no-such-subject")
    with pytest.raises(SchemaNotFound):
        registry.version(SUBJECT, 7)


def test_a_schema_is_looked_up_under_its_subject_without_registering_it(
    registry: ManagedRegistry,
) -> None:
    first = registry.register(SUBJECT, V1)
    found = registry.lookup(SUBJECT, json.dumps(V1, indent=2))  # any spelling of the same schema
    assert (found.subject, found.version, found.schema_id) == (SUBJECT, 1, first)
    with pytest.raises(SchemaNotFound) as unknown:
        registry.lookup(SUBJECT, evolve(V1, add=[NOTE]))
    assert not isinstance(unknown.value, SubjectNotFound)
    with pytest.raises(SubjectNotFound):
        registry.lookup("no-such-subject", V1)
    assert registry.versions(SUBJECT) == [1]


def test_a_schema_id_names_the_subjects_and_versions_that_hold_it(
    registry: ManagedRegistry,
) -> None:
    first = registry.register(SUBJECT, V1)
    registry.register("copy-of-" + SUBJECT, V1)
    assert registry.subjects_of(first) == sorted([SUBJECT, "copy-of-" + SUBJECT])
    assert registry.versions_of(first) == [
        SubjectVersion("copy-of-" + SUBJECT, 1),
        SubjectVersion(SUBJECT, 1),
    ]
    with pytest.raises(SchemaNotFound):
        registry.subjects_of(987_654)


def test_deleting_goes_soft_first_then_permanent(registry: ManagedRegistry) -> None:
    first = registry.register(SUBJECT, V1)
    second = registry.register(SUBJECT, evolve(V1, add=[NOTE]))
    with pytest.raises(DeletionRefused) as early:
        registry.delete_version(SUBJECT, 2, permanent=True)
    assert (early.value.scope, early.value.already_deleted) == ("version", False)
    assert registry.delete_version(SUBJECT, 2) == 2
    assert registry.versions(SUBJECT) == [1]
    assert registry.versions(SUBJECT, deleted=True) == [1, 2]
    assert registry.version(SUBJECT).version == 1
    assert registry.version(SUBJECT, 2, deleted=True).schema_id == second
    with pytest.raises(VersionNotFound):
        registry.version(SUBJECT, 2)
    with pytest.raises(DeletionRefused) as twice:
        registry.delete_version(SUBJECT, 2)
    assert twice.value.already_deleted
    assert registry.delete_version(SUBJECT, 2, permanent=True) == 2
    assert registry.versions(SUBJECT, deleted=True) == [1]

    with pytest.raises(DeletionRefused):
        registry.delete_subject(SUBJECT, permanent=True)
    assert registry.delete_subject(SUBJECT) == [1]
    assert SUBJECT not in registry.subjects()
    assert SUBJECT in registry.subjects(deleted=True)
    with pytest.raises(SubjectNotFound):
        registry.versions(SUBJECT)
    with pytest.raises(DeletionRefused) as again:
        registry.delete_subject(SUBJECT)
    assert (again.value.scope, again.value.already_deleted) == ("subject", True)
    assert registry.delete_subject(SUBJECT, permanent=True) == [1]
    assert SUBJECT not in registry.subjects(deleted=True)
    # The log keeps records written under a deleted version: its schema stays readable by id.
    assert json.loads(registry.schema_by_id(first)) == V1
    assert registry.register(SUBJECT, V1) == first
    assert registry.versions(SUBJECT) == [1]


def test_a_soft_deleted_version_no_longer_binds_new_ones(registry: ManagedRegistry) -> None:
    registry.register(SUBJECT, V1)
    registry.delete_subject(SUBJECT)
    # Incompatible with the deleted v1, and registered all the same, as version 2.
    registry.register(SUBJECT, evolve(V1, drop="reason_code"))
    assert registry.versions(SUBJECT) == [2]


def test_the_compatibility_level_is_set_per_subject_and_globally(
    registry: ManagedRegistry,
) -> None:
    registry.register(SUBJECT, V1)
    with pytest.raises(RuleNotSet):
        registry.compatibility(SUBJECT)
    assert registry.compatibility(SUBJECT, default_to_global=True) is DEFAULT_COMPATIBILITY
    assert registry.set_compatibility(Compatibility.NONE, SUBJECT) is Compatibility.NONE
    assert registry.compatibility(SUBJECT) is Compatibility.NONE
    registry.register(SUBJECT, evolve(V1, drop="reason_code"))  # NONE lets anything through
    assert registry.delete_compatibility(SUBJECT) is Compatibility.NONE
    with pytest.raises(SubjectNotFound):
        registry.delete_compatibility(SUBJECT)
    assert registry.set_compatibility(Compatibility.BACKWARD) is Compatibility.BACKWARD
    assert registry.compatibility(SUBJECT, default_to_global=True) is Compatibility.BACKWARD
    assert registry.delete_compatibility() is Compatibility.BACKWARD
    assert registry.compatibility() is DEFAULT_COMPATIBILITY


def test_read_only_mode_refuses_changes_but_answers_what_is_there(
    registry: ManagedRegistry,
) -> None:
    first = registry.register(SUBJECT, V1)
    assert registry.mode() is Mode.READWRITE
    with pytest.raises(RuleNotSet):
        registry.mode(SUBJECT)
    assert registry.set_mode(Mode.READONLY, SUBJECT) is Mode.READONLY
    assert registry.register(SUBJECT, V1) == first  # already there: nothing changes
    with pytest.raises(ReadOnly):
        registry.register(SUBJECT, evolve(V1, add=[NOTE]))
    with pytest.raises(ReadOnly):
        registry.delete_subject(SUBJECT)
    assert registry.delete_mode(SUBJECT) is Mode.READONLY
    registry.set_mode(Mode.READONLY)
    with pytest.raises(ReadOnly):
        registry.register("another-subject", V1)
    assert registry.mode(SUBJECT, default_to_global=True) is Mode.READONLY
    assert registry.delete_mode() is Mode.READONLY
    assert registry.register(SUBJECT, evolve(V1, add=[NOTE])) != first
