"""Confluent framing: what goes out is framed Avro; what cannot be read fails with a typed cause."""

from __future__ import annotations

import contextlib
import io
import struct
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_writer
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from schemas import Codec, DecodeError, EmbeddedRegistry, EncodeError, catalogue
from tests.support.avro_data import event_datum

CLOSED = catalogue().event("CaseClosed")


@pytest.fixture
def codec(tmp_path: Path) -> Codec:
    return Codec(EmbeddedRegistry.from_url(f"sqlite:///{tmp_path / 'registry.db'}"))


@pytest.fixture
def record() -> dict[str, Any]:
    return find(event_datum(CLOSED), lambda _record: True)


def test_a_frame_is_magic_byte_schema_id_and_avro(codec: Codec, record: dict[str, Any]) -> None:
    data = codec.encode("CaseClosed", record)
    magic, schema_id = struct.unpack(">bI", data[:5])
    assert magic == 0
    assert schema_id == codec.schema_id("CaseClosed")
    assert codec.decode(data).record["header"]["case_id"] == record["header"]["case_id"]


def test_registering_the_catalogue_twice_gives_the_same_ids(codec: Codec) -> None:
    first = codec.register_all()
    again = Codec(codec.registry).register_all()
    assert first == again
    assert len(set(first.values())) == len(first)


@pytest.mark.parametrize(
    ("mangle", "code"),
    [
        (lambda data: data[:3], "truncated"),
        (lambda data: b"", "truncated"),
        (lambda data: b"\x01" + data[1:], "bad_magic_byte"),
        (lambda data: b"\x00" + struct.pack(">I", 999_999) + data[5:], "unknown_schema_id"),
        (lambda data: data[:-3], "schema_mismatch"),
        (lambda data: data + b"\x00\x01", "schema_mismatch"),
        (lambda data: data[:5] + b"\xff" * 40, "schema_mismatch"),
    ],
    ids=["truncated", "empty", "magic", "unknown-id", "short-payload", "trailing", "garbage"],
)
def test_unreadable_bytes_raise_one_typed_error_naming_the_cause(
    codec: Codec, record: dict[str, Any], mangle: Any, code: str
) -> None:
    data = mangle(codec.encode("CaseClosed", record))
    with pytest.raises(DecodeError) as caught:
        codec.decode(data)
    assert caught.value.code == code
    assert code in str(caught.value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=st.binary(max_size=200))
def test_random_payloads_never_escape_as_anything_but_decode_error(
    tmp_path_factory: pytest.TempPathFactory, payload: bytes
) -> None:
    codec = _shared_codec(tmp_path_factory)
    schema_id = codec.schema_id("CaseClosed")
    for data in (payload, b"\x00" + struct.pack(">I", schema_id) + payload):
        with contextlib.suppress(DecodeError):
            codec.decode(data)


_CODECS: dict[str, Codec] = {}


def _shared_codec(factory: pytest.TempPathFactory) -> Codec:
    if "codec" not in _CODECS:
        path = factory.mktemp("fuzz") / "registry.db"
        _CODECS["codec"] = Codec(EmbeddedRegistry.from_url(f"sqlite:///{path}"))
    return _CODECS["codec"]


def test_a_record_that_does_not_fit_its_schema_is_an_encode_error(
    codec: Codec, record: dict[str, Any]
) -> None:
    with pytest.raises(EncodeError, match="CaseClosed"):
        codec.encode("CaseClosed", {**record, "reason": "NOT_A_REASON"})
    with pytest.raises(EncodeError):
        codec.encode("CaseClosed", {**record, "unexpected": 1})


def _under_an_older_schema(codec: Codec, record: dict[str, Any]) -> bytes:
    """``record`` written under a registered older CaseClosed (no final risk level), framed."""
    older = dict(CLOSED.schema)
    older["fields"] = [f for f in CLOSED.schema["fields"] if f["name"] != "final_risk_level"]
    old_id = codec.registry.register("old-shape-test", older)
    buffer = io.BytesIO()
    old_record = {k: v for k, v in record.items() if k != "final_risk_level"}
    schemaless_writer(buffer, parse_schema(older, named_schemas={}), old_record)
    return b"\x00" + struct.pack(">I", old_id) + buffer.getvalue()


def test_an_event_written_under_an_older_schema_decodes_into_the_current_shape(
    codec: Codec, record: dict[str, Any]
) -> None:
    decoded = codec.decode(_under_an_older_schema(codec, record))
    assert decoded.event_type == "CaseClosed"
    assert decoded.record["final_risk_level"] is None


def _uuids_to_text(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {name: _uuids_to_text(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_uuids_to_text(item) for item in value]
    return value


@given(data=st.data())
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_uuids_decoded_as_text_are_the_text_of_the_uuids_decoded_as_objects(
    codec: Codec, data: st.DataObject
) -> None:
    event = data.draw(st.sampled_from(list(catalogue())))
    encoded = codec.encode(event.name, data.draw(event_datum(event)))
    as_objects = codec.decode(encoded).record
    assert codec.decode(encoded, uuids_as_text=True).record == _uuids_to_text(as_objects)


def test_uuids_as_text_hold_under_an_older_writer_schema(
    codec: Codec, record: dict[str, Any]
) -> None:
    data = _under_an_older_schema(codec, record)
    decoded = codec.decode(data, uuids_as_text=True).record
    assert decoded["header"]["case_id"] == str(record["header"]["case_id"])
    assert decoded == _uuids_to_text(codec.decode(data).record)


def _with_case_id_text(codec: Codec, record: dict[str, Any], case_id: str) -> bytes:
    """``record`` framed under its registered id, its case id written as this very text (as
    another producer may write it: fastavro writes a uuid given as text unchanged)."""
    text_record = _uuids_to_text(record)
    text_record["header"]["case_id"] = case_id
    buffer = io.BytesIO()
    schemaless_writer(buffer, CLOSED.parsed, text_record)
    return b"\x00" + struct.pack(">I", codec.schema_id("CaseClosed")) + buffer.getvalue()


def test_a_uuid_in_another_spelling_decodes_to_the_canonical_text(
    codec: Codec, record: dict[str, Any]
) -> None:
    case_id = uuid.uuid4()
    data = _with_case_id_text(codec, record, "{" + str(case_id).upper() + "}")
    assert codec.decode(data, uuids_as_text=True).record["header"]["case_id"] == str(case_id)
    assert codec.decode(data).record["header"]["case_id"] == case_id


def test_text_that_is_no_uuid_is_refused_in_either_mode(
    codec: Codec, record: dict[str, Any]
) -> None:
    data = _with_case_id_text(codec, record, "not-a-uuid")
    for as_text in (False, True):
        with pytest.raises(DecodeError) as refused:
            codec.decode(data, uuids_as_text=as_text)
        assert refused.value.code == "schema_mismatch"
