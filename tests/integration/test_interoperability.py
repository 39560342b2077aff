"""Bytes our codec writes are read by the reference Apache ``avro`` library, schema fetched by id.

The schema travels over the Confluent REST API, as a Kafka tool would fetch it.
"""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import avro.io
import avro.schema
import pytest
from hypothesis import HealthCheck, given, settings

from schemas import Codec, EmbeddedRegistry, catalogue
from schemas.models import model_for
from schemas.registry.confluent import ConfluentRegistry
from services.api.registry import registry_app
from tests.support.avro_data import event_datum
from tests.support.brokers import ServedApp

EVENTS = ["CaseOpened", "SubjectRegistered", "ReferralSent", "ProtectionPlanAdopted"]


@pytest.mark.parametrize("event_type", EVENTS)
def test_the_reference_library_reads_our_frames(event_type: str, tmp_path: Path) -> None:
    registry = EmbeddedRegistry.from_url(f"sqlite:///{tmp_path / 'registry.db'}")
    codec = Codec(registry)
    model = model_for(event_type)
    with ServedApp(registry_app(registry)) as served:
        remote = ConfluentRegistry(served.url)

        @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(record=event_datum(catalogue().event(event_type)))
        def check(record: dict) -> None:  # type: ignore[type-arg]
            data = codec.encode(event_type, model.model_validate(record).to_avro())
            magic, schema_id = struct.unpack(">bI", data[:5])
            writer = avro.schema.parse(remote.schema_by_id(schema_id))
            reader = avro.io.DatumReader(writer)
            theirs = reader.read(avro.io.BinaryDecoder(io.BytesIO(data[5:])))
            assert magic == 0
            assert model.model_validate(theirs) == model.model_validate(record)

        check()
        remote.close()


def test_frames_written_by_the_reference_library_are_read_by_our_codec(tmp_path: Path) -> None:
    registry = EmbeddedRegistry.from_url(f"sqlite:///{tmp_path / 'registry.db'}")
    codec = Codec(registry)
    event = catalogue().event("CaseClosed")
    schema_id = codec.schema_id("CaseClosed")
    record = {
        "header": {
            "event_id": "2c6f3f0e-8a53-4a7e-9d8e-6a0c3b1f1e01",
            "event_type": "CaseClosed",
            "case_id": "6d1b7f2a-0c4e-4d0a-8f35-2b9e7c1d5a10",
            "source_institution": "csr.golubac",
            "occurred_at": 1_780_000_000_000_000,
            "recorded_at": 1_780_000_000_000_000,
            "correlation_id": "6d1b7f2a-0c4e-4d0a-8f35-2b9e7c1d5a10",
            "causation_id": None,
            "actor_role": "CASE_MANAGER",
            "legal_basis": "LAW_PREVENTION_DV_2017",
            "consent_ref": None,
        },
        "closed_at": 1_780_000_000_000_000,
        "reason": "PROTECTION_ACHIEVED",
        "final_risk_level": "MEDIUM",
    }
    # The reference library writes logical types from their underlying values.
    plain = json.loads(json.dumps(event.schema).replace('"logicalType"', '"_logical"'))
    buffer = io.BytesIO()
    avro.io.DatumWriter(avro.schema.parse(json.dumps(plain))).write(
        record, avro.io.BinaryEncoder(buffer)
    )
    decoded = codec.decode(b"\x00" + struct.pack(">I", schema_id) + buffer.getvalue())
    assert decoded.record["header"]["source_institution"] == "csr.golubac"
    assert str(decoded.record["header"]["case_id"]) == record["header"]["case_id"]
    assert decoded.record["final_risk_level"] == "MEDIUM"
