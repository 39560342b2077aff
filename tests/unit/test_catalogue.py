"""The schemas are the contract: complete, documented, and parsed once."""

from __future__ import annotations

import json
from typing import Any

import avro.schema
import pytest

from schemas import catalogue
from schemas.catalogue import SCHEMA_DIR, Catalogue, CatalogueError

CATALOGUE = catalogue()
DESIGN_EVENTS = {
    "CaseOpened", "ReportReceived", "SubjectRegistered", "RiskAssessed", "UrgentMeasureImposed",
    "UrgentMeasureServed", "ExtensionProposed", "ExtensionDecided", "UrgentMeasureBreached",
    "ProtectionOrderIssued", "ReferralSent", "ReferralAccepted", "ReferralDeclined",
    "ReferralCompleted", "ReferralRevoked", "ReferralExpired", "CaseConferenceScheduled",
    "CaseConferenceHeld", "ProtectionPlanAdopted", "PlanMeasureCompleted", "ServiceProvided",
    "ConsentGiven", "ConsentWithdrawn", "CaseClosed", "CaseReopened", "SubjectErased",
    "AccessRecorded",
}  # fmt: skip
HEADER_FIELDS = [
    "event_id", "event_type", "case_id", "source_institution", "occurred_at", "recorded_at",
    "correlation_id", "causation_id", "actor_role", "legal_basis", "consent_ref",
]  # fmt: skip


def named_types(schema: Any) -> list[dict[str, Any]]:
    """Every record and enum defined anywhere inside ``schema``."""
    if isinstance(schema, list):
        return [t for branch in schema for t in named_types(branch)]
    if not isinstance(schema, dict):
        return []
    found = [schema] if schema.get("type") in {"record", "enum"} else []
    for avro_field in schema.get("fields", []):
        found += named_types(avro_field["type"])
    for key in ("items", "values"):
        if key in schema:
            found += named_types(schema[key])
    return found


def test_the_catalogue_covers_every_event_of_the_design() -> None:
    assert len(CATALOGUE) >= 25
    assert set(CATALOGUE.events) >= DESIGN_EVENTS


@pytest.mark.parametrize("name", sorted(CATALOGUE.events))
def test_every_record_enum_and_field_is_documented(name: str) -> None:
    for named in named_types(CATALOGUE.event(name).schema):
        assert named.get("doc", "").strip(), f"{named['name']} has no doc"
        for avro_field in named.get("fields", []):
            assert avro_field.get("doc", "").strip(), f"{named['name']}.{avro_field['name']}"
        if named["type"] == "enum":
            assert named.get("default") in named["symbols"], f"{named['name']} needs a default"


@pytest.mark.parametrize("name", sorted(CATALOGUE.events))
def test_every_event_starts_with_the_shared_header(name: str) -> None:
    schema = CATALOGUE.event(name).schema
    header = schema["fields"][0]
    assert header["name"] == "header"
    assert [f["name"] for f in header["type"]["fields"]] == HEADER_FIELDS or header["type"] == (
        "rs.povezimo.common.EventHeader"
    )


@pytest.mark.parametrize("name", sorted(CATALOGUE.events))
def test_the_reference_avro_library_reads_every_self_contained_schema(name: str) -> None:
    event = CATALOGUE.event(name)
    parsed = avro.schema.parse(json.dumps(event.schema))
    assert parsed.fullname == event.full_name


def test_only_subject_registered_carries_sealed_personal_data() -> None:
    carriers = {
        event.name
        for event in CATALOGUE
        for named in named_types(event.schema)
        if named.get("name") == "SealedData"
    }
    assert carriers == {"SubjectRegistered"}


def test_the_catalogue_is_parsed_once() -> None:
    assert catalogue() is CATALOGUE
    assert catalogue().event("CaseOpened").parsed is CATALOGUE.event("CaseOpened").parsed


def test_an_unknown_type_reference_is_a_catalogue_error(tmp_path: Any) -> None:
    (tmp_path / "common").mkdir()
    (tmp_path / "events").mkdir()
    field = {"name": "a", "type": "rs.povezimo.common.Nope", "doc": "x"}
    broken = {"type": "record", "name": "Broken", "doc": "x", "fields": [field]}
    (tmp_path / "events" / "Broken.avsc").write_text(json.dumps(broken))
    with pytest.raises(CatalogueError, match="unknown type"):
        Catalogue(tmp_path)


def test_shared_types_live_in_one_file_each() -> None:
    for path in (SCHEMA_DIR / "common").glob("*.avsc"):
        assert json.loads(path.read_text())["name"] == path.stem
