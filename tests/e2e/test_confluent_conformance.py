"""Confluent's own Python client (confluent-kafka) as the peer of our registry and topics.

``SchemaRegistryClient`` makes every call it has against the registry ``povezimo serve`` mounts
(the API on the embedded bus, served by uvicorn on a free port). Each of the four gaps issue 22
found with confluent-kafka 2.16 is a check here that failed before: config and mode (404), the
lookup a producer with ``auto.register.schemas=False`` needs (404), the compatibility rule
(BACKWARD_TRANSITIVE let a required field go), and refusals without ``error_code`` ("SR code
None"). The Kafka half, ``AvroSerializer`` without registering into tansu and ``AvroDeserializer``
reading ``case-events``, is in ``test_integrating_example.py``: it runs docs/integrating.md.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import (
    ConfigCompatibilityLevel,
    Schema,
    SchemaRegistryClient,
    ServerConfig,
)
from confluent_kafka.schema_registry.error import SchemaRegistryError

from schemas import catalogue
from services.api.app import create_app
from services.api.tokens import Role, TokenStore
from services.bootstrap import Platform
from tests.support.brokers import ServedApp
from tests.support.pipeline import platform_for

SUBJECT = "rs.povezimo.events.CaseOpened"
NOW = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    system = platform_for(tmp_path / "data", f"sqlite:///{tmp_path / 'bus.db'}")
    system.codec.register_all()  # what `povezimo schemas register` does
    yield system
    system.close()


@pytest.fixture
def registry_url(platform: Platform) -> Iterator[str]:
    with ServedApp(create_app(platform)) as served:
        yield served.url


def client(url: str, token: str | None = None) -> SchemaRegistryClient:
    conf: dict[str, Any] = {"url": url, "max.retries": 0}
    if token is not None:
        conf |= {
            "bearer.auth.credentials.source": "STATIC_TOKEN",
            "bearer.auth.token": token,
            "bearer.auth.logical.cluster": "povezimo",
        }
    return SchemaRegistryClient(conf)


def token(platform: Platform, institution: str, role: Role) -> str:
    return TokenStore(platform.views_engine).issue(institution, role, now=NOW).secret


def refused(call: Any, *args: Any, **kwargs: Any) -> tuple[int, int]:
    with pytest.raises(SchemaRegistryError) as error:
        call(*args, **kwargs)
    return error.value.http_status_code, error.value.error_code


def avro(schema: dict[str, Any]) -> Schema:
    return Schema(json.dumps(schema), "AVRO")


def test_a_reader_without_a_token_reads_and_looks_up_everything(
    registry_url: str, platform: Platform
) -> None:
    reader = client(registry_url)
    event = catalogue().event("CaseOpened")
    assert set(reader.get_subjects()) >= {e.subject for e in catalogue()}
    assert reader.get_subjects(subject_prefix="rs.povezimo.platform.") == [
        "rs.povezimo.platform.SubmissionRejected"
    ]
    latest = reader.get_latest_version(SUBJECT)
    assert (latest.subject, latest.version) == (SUBJECT, 1)
    assert reader.get_version(SUBJECT, 1).schema_id == latest.schema_id
    assert reader.get_versions(SUBJECT) == [1]
    schema = reader.get_schema(latest.schema_id)
    assert json.loads(schema.schema_str) == event.schema and schema.schema_type == "AVRO"
    assert reader.get_schema_types() == ["AVRO"]
    assert reader.get_subjects_by_schema_id(latest.schema_id) == [SUBJECT]
    [pair] = reader.get_schema_versions(latest.schema_id)
    assert (pair.subject, pair.version) == (SUBJECT, 1)
    # Gap 2: how a producer with auto.register.schemas=False learns the id.
    found = reader.lookup_schema(SUBJECT, avro(event.schema))
    assert (found.schema_id, found.version) == (latest.schema_id, 1)
    assert reader.get_referenced_by(SUBJECT, 1) == []
    assert reader.get_contexts() == ["."]
    assert reader.get_latest_with_metadata(SUBJECT, {}).schema_id == latest.schema_id
    # Gap 1: config and mode, globally and per subject.
    assert reader.get_compatibility() == "FULL_TRANSITIVE"
    assert reader.get_config().compatibility_level.value == "FULL_TRANSITIVE"
    assert reader.get_global_mode() == "READWRITE"
    # What this registry does not keep is refused in Confluent's words.
    assert refused(reader.get_schema, 987_654) == (404, 40403)
    assert refused(reader.get_version, SUBJECT, 7) == (404, 40402)
    assert refused(reader.get_versions, "no-such-subject") == (404, 40401)
    assert refused(reader.get_compatibility, SUBJECT) == (404, 40408)
    assert refused(reader.get_mode, SUBJECT) == (404, 40409)
    assert refused(reader.get_schema_by_guid, "9a1e2c0e-1111-2222-3333-444455556666")[1] == 40403
    assert refused(reader.get_latest_with_metadata, SUBJECT, {"owner": "x"})[1] == 40403
    assert refused(reader.get_associations_by_resource_name, "case-events", "lkc")[1] == 40410


def test_writes_need_an_admin_token_and_every_refusal_has_an_error_code(
    registry_url: str, platform: Platform
) -> None:
    """Gap 4: the client reported "SR code None" for a 401 or a 403."""
    record = {"type": "record", "name": "Ping", "fields": [{"name": "at", "type": "long"}]}
    assert refused(client(registry_url).register_schema, "ping", avro(record)) == (401, 401)
    institution = client(registry_url, token(platform, "ngo.azc", Role.INSTITUTION))
    assert refused(institution.register_schema, "ping", avro(record)) == (403, 40301)
    assert refused(institution.set_compatibility, None, "NONE") == (403, 40301)
    assert refused(institution.delete_subject, SUBJECT) == (403, 40301)


def test_an_admin_manages_subjects_rules_and_modes(registry_url: str, platform: Platform) -> None:
    admin = client(registry_url, token(platform, "platform.povezimo", Role.ADMIN))
    event = catalogue().event("ReferralDeclined")
    # Gap 3: one rule; a required field that goes is refused, with the checker's reasons.
    shorter = copy.deepcopy(event.schema)
    shorter["fields"] = [f for f in shorter["fields"] if f["name"] != "referral_id"]
    assert admin.test_compatibility(event.subject, avro(shorter)) is False
    assert (
        admin.test_compatibility_all_versions(event.subject, avro(shorter), verbose=True) is False
    )
    assert refused(admin.register_schema, event.subject, avro(shorter)) == (409, 409)
    longer = copy.deepcopy(event.schema)
    note = {"name": "note", "type": ["null", "string"], "default": None}
    longer["fields"].append(note)
    assert admin.test_compatibility(event.subject, avro(longer), version=1) is True
    assert admin.test_compatibility_all_versions(event.subject, avro(longer)) is True
    second = admin.register_schema_full_response(event.subject, avro(longer))
    assert admin.get_latest_version(event.subject).version == 2
    assert admin.get_schema(second.schema_id).schema_str

    # Per-subject and global rules.
    assert admin.set_compatibility(event.subject, "FULL") == {"compatibility": "FULL"}
    assert admin.get_compatibility(event.subject) == "FULL"
    assert admin.delete_config(event.subject).compatibility_level.value == "FULL"
    assert admin.set_config(config=ServerConfig(compatibility=ConfigCompatibilityLevel.BACKWARD))
    assert admin.get_config().compatibility_level.value == "BACKWARD"
    assert admin.delete_config().compatibility_level.value == "BACKWARD"
    assert admin.get_compatibility() == "FULL_TRANSITIVE"
    assert refused(admin.set_compatibility, None, "SOMETIMES") == (422, 42203)

    # Modes: a read-only subject refuses changes, then writes again.
    assert admin.update_mode(event.subject, "READONLY") == "READONLY"
    assert admin.get_mode(event.subject) == "READONLY"
    third = copy.deepcopy(longer)
    third["fields"].append({"name": "seen", "type": ["null", "string"], "default": None})
    assert refused(admin.register_schema, event.subject, avro(third)) == (422, 42205)
    assert admin.delete_mode(event.subject) == "READONLY"
    assert admin.update_global_mode("READONLY") == "READONLY"
    assert admin.get_global_mode() == "READONLY"
    assert refused(admin.update_global_mode, "IMPORT") == (422, 42204)
    assert admin.update_global_mode("READWRITE") == "READWRITE"

    # Deleting: soft first, then permanent, with Confluent's guards.
    assert refused(admin.delete_version, event.subject, 2, permanent=True) == (404, 40407)
    assert admin.delete_version(event.subject, 2) == 2
    assert refused(admin.delete_version, event.subject, 2) == (404, 40406)
    assert admin.get_versions(event.subject, deleted=True) == [1, 2]
    assert admin.get_versions(event.subject, deleted_only=True) == [2]
    assert admin.delete_version(event.subject, 2, permanent=True) == 2
    assert refused(admin.delete_subject, event.subject, permanent=True) == (404, 40405)
    assert admin.delete_subject(event.subject) == [1]
    assert refused(admin.delete_subject, event.subject) == (404, 40404)
    assert event.subject in admin.get_subjects(deleted_only=True)
    assert admin.delete_subject(event.subject, permanent=True) == [1]
    assert event.subject not in admin.get_subjects(deleted=True)
    assert refused(admin.create_association, _association())[1] == 42212
    assert refused(admin.delete_associations, "lkc-1")[1] == 40410


def _association() -> Any:
    from confluent_kafka.schema_registry import AssociationCreateOrUpdateRequest

    return AssociationCreateOrUpdateRequest(resource_name="case-events", resource_namespace="lkc")
