"""The writer compiled from an event's schema writes fastavro's bytes, and leaves it the rest."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_writer
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from schemas import Codec, EmbeddedRegistry, EncodeError, catalogue
from schemas.models import model_for
from schemas.writer import compile_writer
from tests.support.avro_data import event_datum

EVENTS = sorted(event.name for event in catalogue())


@pytest.fixture(scope="module")
def codec(tmp_path_factory: pytest.TempPathFactory) -> Codec:
    path: Path = tmp_path_factory.mktemp("registry") / "registry.db"
    return Codec(EmbeddedRegistry.from_url(f"sqlite:///{path}"))


def fastavro_bytes(schema: dict[str, Any], record: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    schemaless_writer(out, parse_schema(schema, named_schemas={}), record)
    return out.getvalue()


def test_every_event_type_of_the_catalogue_gets_a_compiled_writer() -> None:
    assert [name for name in EVENTS if compile_writer(catalogue().event(name).schema) is None] == []


@pytest.mark.parametrize("event_type", EVENTS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_an_event_model_is_written_as_fastavro_writes_its_dump(
    codec: Codec, event_type: str, data: st.DataObject
) -> None:
    model = model_for(event_type).model_validate(
        data.draw(event_datum(catalogue().event(event_type)))
    )
    assert codec.encode_model(model) == codec.encode(event_type, model.to_avro())
    assert (
        codec.decode(codec.encode_model(model)).record
        == codec.decode(codec.encode(event_type, model.to_avro())).record
    )


def closed_case() -> Any:
    record = find(event_datum(catalogue().event("CaseClosed")), lambda _record: True)
    return model_for("CaseClosed").model_validate(record)


# The dump of such a model makes pydantic warn that it holds what its fields do not declare.
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_model_built_without_validation_is_left_to_fastavro(codec: Codec) -> None:
    model = closed_case()
    header = model.header
    # What fastavro also takes: a UUID as text, a time as microseconds since the epoch.
    loose = model.model_copy(
        update={
            "header": header.model_copy(
                update={
                    "case_id": str(header.case_id),
                    "occurred_at": 1_700_000_000_000_000,
                }
            )
        }
    )
    assert codec.encode_model(loose) == codec.encode("CaseClosed", loose.to_avro())
    assert codec.decode(codec.encode_model(loose)).record["header"]["case_id"] == header.case_id


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_value_that_fits_no_schema_is_refused_as_fastavro_refuses_it(codec: Codec) -> None:
    model = closed_case()
    wrong = model.model_copy(
        update={"header": model.header.model_copy(update={"actor_role": "ASTROLOGER"})}
    )
    with pytest.raises(EncodeError) as refused:
        codec.encode_model(wrong)
    assert refused.value.event_type == "CaseClosed"


ODD = {
    "type": "record",
    "name": "Odd",
    "namespace": "test.writer",
    "fields": [
        {"name": "from", "type": "string"},  # a Python keyword
        {"name": "long_text", "type": "string"},
        {"name": "small", "type": "int"},
        {"name": "big", "type": "long"},
        {"name": "flag", "type": "boolean"},
        {"name": "blob", "type": "bytes"},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "at_ms", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "null_last", "type": ["string", "null"]},
        {
            "name": "many",
            "type": {"type": "enum", "name": "Many", "symbols": [f"S{n}" for n in range(200)]},
        },
        {"name": "again", "type": "Many"},
        {
            "name": "parts",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "Part",
                    "fields": [{"name": "at", "type": ["null", "long"]}],
                },
            },
        },
        {"name": "more_parts", "type": {"type": "array", "items": "test.writer.Part"}},
    ],
}


def test_keywords_long_strings_wide_enums_and_nested_arrays_are_written_as_fastavro_does() -> None:
    record: dict[str, Any] = {
        "from": "csr.lazarevac",
        "long_text": "ž" * 300,
        "small": -(2**31),
        "big": 2**63 - 1,
        "flag": False,
        "blob": bytes(range(256)),
        "day": dt.date(1969, 12, 31),
        "at_ms": dt.datetime(2018, 1, 8, 8, 0, 0, 123_999, tzinfo=dt.UTC),
        "null_last": None,
        "many": "S199",
        "again": "S3",
        "parts": [{"at": None}, {"at": -1}],
        "more_parts": [],
    }
    model = SimpleNamespace(
        **{
            **record,
            "parts": [SimpleNamespace(**p) for p in record["parts"]],
            "more_parts": [],
        }
    )
    writer = compile_writer(ODD)
    assert writer is not None
    assert writer(b"\x00", model) == b"\x00" + fastavro_bytes(ODD, record)


@pytest.mark.parametrize(
    "kind",
    [
        {"type": "map", "values": "string"},
        "double",
        ["null", "string", "long"],
        {"type": "bytes", "logicalType": "decimal", "precision": 4},
    ],
    ids=["map", "double", "three-way-union", "decimal"],
)
def test_a_schema_the_compiler_does_not_know_gets_no_writer(kind: Any) -> None:
    schema = {"type": "record", "name": "Other", "fields": [{"name": "x", "type": kind}]}
    assert compile_writer(schema) is None


def test_out_of_range_numbers_and_wrong_types_raise_instead_of_writing() -> None:
    schema = {
        "type": "record",
        "name": "Numbers",
        "fields": [
            {"name": "small", "type": "int"},
            {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        ],
    }
    writer = compile_writer(schema)
    assert writer is not None
    good = writer(b"", SimpleNamespace(small=1, id=uuid.UUID(int=7)))
    assert good == fastavro_bytes(schema, {"small": 1, "id": uuid.UUID(int=7)})
    for small, id_ in [(2**31, uuid.UUID(int=7)), (True, uuid.UUID(int=7)), (1, "text")]:
        with pytest.raises((OverflowError, TypeError)):
            writer(b"", SimpleNamespace(small=small, id=id_))
