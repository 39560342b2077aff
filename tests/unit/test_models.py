"""Pydantic models are derived from the Avro schemas, and every event round-trips through Avro."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from schemas import Codec, EmbeddedRegistry, catalogue
from schemas.models import EventModel, event_models, model_for
from tests.support.avro_data import event_datum

CATALOGUE = catalogue()


@pytest.fixture(scope="module")
def codec(tmp_path_factory: pytest.TempPathFactory) -> Codec:
    path = Path(tmp_path_factory.mktemp("registry")) / "registry.db"
    return Codec(EmbeddedRegistry.from_url(f"sqlite:///{path}"))


def test_there_is_one_model_per_event_type_with_the_schema_fields() -> None:
    models = event_models()
    assert set(models) == set(CATALOGUE.events)
    for name, model in models.items():
        schema_fields = [f["name"] for f in CATALOGUE.event(name).schema["fields"]]
        assert list(model.model_fields) == schema_fields
        assert model.__doc__ == CATALOGUE.event(name).schema["doc"]


def test_no_event_model_is_written_by_hand() -> None:
    """Every EventModel subclass is one the derivation made (none declared in source)."""
    derived = set(event_models().values())
    hand_written = [m for m in _subclasses(EventModel) if m not in derived]
    assert hand_written == []


def _subclasses(cls: type) -> list[type]:
    return [s for sub in cls.__subclasses__() for s in [sub, *_subclasses(sub)]]


@pytest.mark.parametrize("name", sorted(CATALOGUE.events))
def test_every_event_round_trips_model_to_avro_to_model(name: str, codec: Codec) -> None:
    model = model_for(name)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(record=event_datum(CATALOGUE.event(name)))
    def round_trip(record: dict[str, Any]) -> None:
        event = model.model_validate(record)
        decoded = codec.decode(codec.encode(name, event.to_avro()))
        assert decoded.event_type == name
        assert model.model_validate(decoded.record) == event

    round_trip()


def test_models_validate_json_as_the_http_ingest_will_receive_it() -> None:
    header = _header("CaseOpened")
    opened = model_for("CaseOpened")
    body = opened.model_json_schema()
    assert "header" in body["properties"]
    assert body["properties"]["header"]["description"]
    with pytest.raises(ValidationError) as problems:
        opened.model_validate({"header": header})
    assert {e["loc"][0] for e in problems.value.errors()} - {"header"}


def test_the_header_must_name_the_event_it_belongs_to() -> None:
    with pytest.raises(ValidationError, match=r"header\.event_type"):
        model_for("CaseClosed").model_validate(_case_closed(_header("CaseOpened")))


def test_naive_timestamps_are_refused() -> None:
    header = _header("CaseClosed") | {"occurred_at": dt.datetime(2026, 1, 1, 12, 0)}
    with pytest.raises(ValidationError, match="timezone"):
        model_for("CaseClosed").model_validate(_case_closed(header))


def _case_closed(header: dict[str, Any]) -> dict[str, Any]:
    return {"header": header, "closed_at": header["recorded_at"], "reason": "OTHER"}


def _header(event_type: str) -> dict[str, Any]:
    now = dt.datetime(2026, 11, 1, 8, 30, tzinfo=dt.UTC)
    return {
        "event_id": uuid.uuid4(),
        "event_type": event_type,
        "case_id": uuid.uuid4(),
        "source_institution": "police.pu-beograd.lazarevac",
        "occurred_at": now,
        "recorded_at": now,
        "correlation_id": uuid.uuid4(),
        "causation_id": None,
        "actor_role": "COMPETENT_POLICE_OFFICER",
        "legal_basis": "LAW_PREVENTION_DV_2017",
        "consent_ref": None,
    }
