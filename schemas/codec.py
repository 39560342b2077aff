"""Events on the wire: Confluent framing (magic byte 0, 4-byte big-endian schema id, Avro binary).

Kafka tools (Schema Registry serializers, Connect, ksqlDB, kcat) read our topics unchanged.
The writer's schema is fetched from the registry by the id in the frame and resolved to the
current catalogue schema of the same event type, so events written under older versions decode
into today's shape.
"""

from __future__ import annotations

import io
import json
import re
import struct
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from fastavro.read import LOGICAL_READERS
from fastavro.schema import parse_schema

from schemas.catalogue import Catalogue, EventSchema, catalogue, full_name, schema_fingerprint
from schemas.registry.port import SchemaNotFound, SchemaRegistry
from schemas.writer import Writer, compile_writer
from services.platform.errors import KeepsItsParts

MAGIC = 0
FRAME = struct.Struct(">bI")
# An event header is ids, a type, times and short codes: a few hundred bytes. A header longer
# than this is not one the exchange reads.
_HEADER_BYTES_AT_MOST = 16 * 1024

# A uuid read as its canonical text rather than a ``uuid.UUID``: what every table stores, so a
# reader that only stores ids (a rebuild) makes no object to turn back into text. Registered
# under a name of our own (fastavro's documented way to add a logical type), so ``uuid`` itself
# reads as fastavro reads it for everyone else.
_UUID_AS_TEXT = "povezimo-uuid-text"
_CANONICAL_UUID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
).fullmatch


def canonical_uuid_text(text: str, *_schemas: Any) -> str:
    """``text`` as ``str(uuid.UUID(text))`` gives it: lower case with hyphens (ValueError if
    it is no uuid), without making the object when it is canonical already."""
    return text if _CANONICAL_UUID(text) else str(uuid.UUID(text))


LOGICAL_READERS[f"string-{_UUID_AS_TEXT}"] = canonical_uuid_text


class DecodeError(KeepsItsParts, ValueError):
    """Bytes that are not an event we can read. ``code`` is machine-readable."""

    def __init__(self, code: str, reason: str, schema_id: int | None = None) -> None:
        self.code = code
        self.reason = reason
        self.schema_id = schema_id
        super().__init__(f"{code}: {reason}")


class EncodeError(KeepsItsParts, ValueError):
    """A record that does not fit its event schema."""

    def __init__(self, event_type: str, reason: str) -> None:
        self.event_type = event_type
        self.reason = reason
        super().__init__(f"{event_type}: {reason}")


@dataclass(frozen=True, slots=True)
class Decoded:
    schema_id: int
    event_type: str
    record: dict[str, Any]


@dataclass(slots=True)
class _Writer:
    """A schema read from the registry, parsed once, with the reader schema to resolve it to."""

    event: EventSchema | None
    parsed: Any
    reader: Any
    source: dict[str, Any]  # the schema as the registry gave it
    # The same pair reading uuids as text, parsed the first time it is asked for.
    as_text: tuple[Any, Any] | None = field(default=None, repr=False)

    def uuids_as_text(self) -> tuple[Any, Any]:
        if self.as_text is None:
            parsed = parse_schema(_with_text_uuids(self.source), named_schemas={})
            reader = None
            if self.reader is not None and self.event is not None:
                reader = parse_schema(_with_text_uuids(self.event.schema), named_schemas={})
            self.as_text = (parsed, reader)
        return self.as_text


def _with_text_uuids(schema: Any) -> Any:
    """A copy of ``schema`` whose uuid strings read as canonical text (``canonical_uuid_text``)."""
    if isinstance(schema, list):
        return [_with_text_uuids(branch) for branch in schema]
    if not isinstance(schema, dict):
        return schema
    copy = {name: _with_text_uuids(value) for name, value in schema.items()}
    if copy.get("logicalType") == "uuid" and copy.get("type") == "string":
        copy["logicalType"] = _UUID_AS_TEXT
    return copy


def frame(schema_id: int, payload: bytes) -> bytes:
    return FRAME.pack(MAGIC, schema_id) + payload


def unframe(data: bytes) -> tuple[int, bytes]:
    """The schema id and the Avro payload of a framed message."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DecodeError("not_bytes", f"expected bytes, got {type(data).__name__}")
    if len(data) < FRAME.size:
        raise DecodeError("truncated", f"{len(data)} bytes, a frame needs at least {FRAME.size}")
    magic, schema_id = FRAME.unpack_from(data)
    if magic != MAGIC:
        raise DecodeError("bad_magic_byte", f"magic byte {magic}, expected {MAGIC}")
    return schema_id, bytes(data[FRAME.size :])


class Codec:
    """Encodes catalogue events to framed Avro and decodes framed Avro back to records."""

    def __init__(self, registry: SchemaRegistry, events: Catalogue | None = None) -> None:
        self.registry = registry
        self.catalogue = events or catalogue()
        self._ids: dict[str, int] = {}
        self._writers: dict[int, _Writer] = {}
        # Event type → (frame, writer compiled from its schema, or None: fastavro writes it).
        self._model_writers: dict[str, tuple[bytes, Writer | None]] = {}
        self._header_schemas: dict[int, dict[str, Any]] = {}  # schema id → header-only schema
        self._lock = threading.Lock()

    def register_all(self) -> dict[str, int]:
        """Register every catalogue record (idempotent); returns record name → schema id."""
        for record in [*self.catalogue, *self.catalogue.platform.values()]:
            self.schema_id(record.name)
        return dict(self._ids)

    def schema_id(self, event_type: str) -> int:
        found = self._ids.get(event_type)
        if found is None:
            event = self.catalogue.record(event_type)
            found = self.registry.register(event.subject, event.schema)
            with self._lock:
                self._ids[event_type] = found
                self._writers.setdefault(found, _Writer(event, event.parsed, None, event.schema))
        return found

    def encode(self, event_type: str, record: dict[str, Any]) -> bytes:
        event = self.catalogue.record(event_type)
        schema_id = self.schema_id(event_type)
        buffer = io.BytesIO()
        buffer.write(FRAME.pack(MAGIC, schema_id))
        try:
            schemaless_writer(buffer, event.parsed, record, strict_allow_default=True)
        except Exception as error:  # fastavro raises many types; callers need one
            raise EncodeError(event_type, f"{type(error).__name__}: {error}") from error
        return buffer.getvalue()

    def encode_model(self, model: Any) -> bytes:
        """A validated event model (``schemas.models``) framed and encoded, without a dump.

        The same bytes as ``encode(model.event_type, model.to_avro())``, written by the
        writer compiled from the event's schema; a value it does not expect (a model built
        without validation) and a schema it cannot compile are left to fastavro, whose
        ``EncodeError`` the caller gets as before.
        """
        event_type = model.event_type
        found = self._model_writers.get(event_type)
        if found is None:
            writer = compile_writer(self.catalogue.record(event_type).schema)
            found = (FRAME.pack(MAGIC, self.schema_id(event_type)), writer)
            with self._lock:
                self._model_writers[event_type] = found
        prefix, writer = found
        if writer is not None:
            try:
                return writer(prefix, model)
            except Exception:  # not what a validated model holds: fastavro decides
                pass
        return self.encode(event_type, model.to_avro())

    def decode(self, data: bytes, *, uuids_as_text: bool = False) -> Decoded:
        """The event in ``data``; with ``uuids_as_text`` its uuids come as canonical text (what
        ``str`` of the ``uuid.UUID`` gives) instead of objects."""
        schema_id, payload = unframe(data)
        writer = self._writer(schema_id)
        if writer.event is None:
            raise DecodeError("not_an_event", "schema is not a record of the catalogue", schema_id)
        if uuids_as_text:
            parsed, reader = writer.uuids_as_text()
        else:  # the live path: no tuple made per record
            parsed, reader = writer.parsed, writer.reader
        buffer = io.BytesIO(payload)
        try:
            record = schemaless_reader(buffer, parsed, reader)
        except Exception as error:
            raise DecodeError(
                "schema_mismatch",
                f"payload does not match schema {schema_id}: {type(error).__name__}: {error}",
                schema_id,
            ) from error
        if buffer.tell() != len(payload):
            raise DecodeError(
                "schema_mismatch",
                f"{len(payload) - buffer.tell()} bytes left after the record of schema {schema_id}",
                schema_id,
            )
        if not isinstance(record, dict):
            raise DecodeError("schema_mismatch", "payload is not a record", schema_id)
        return Decoded(schema_id, writer.event.name, record)

    def decode_header(self, data: bytes) -> Decoded:
        """Only the event's header (its first field), reading no further than the header's bytes:
        what the exchange learns of a submission too large to decode whole."""
        schema_id, payload = unframe(data[: FRAME.size + _HEADER_BYTES_AT_MOST])
        writer = self._writer(schema_id)
        if writer.event is None:
            raise DecodeError("not_an_event", "schema is not a record of the catalogue", schema_id)
        header_only = self._header_schemas.get(schema_id)
        if header_only is None:
            # The writer's schema cut after its first field: fastavro stops reading there.
            header_only = {**writer.parsed, "fields": writer.parsed["fields"][:1]}
            with self._lock:
                self._header_schemas[schema_id] = header_only
        try:
            record = schemaless_reader(io.BytesIO(payload), header_only, None)
        except Exception as error:
            raise DecodeError(
                "schema_mismatch", f"no header of schema {schema_id}: {type(error).__name__}"
            ) from error
        if not isinstance(record, dict) or not isinstance(record.get("header"), dict):
            raise DecodeError("schema_mismatch", "payload has no header record", schema_id)
        return Decoded(schema_id, writer.event.name, record)

    def _writer(self, schema_id: int) -> _Writer:
        # A RegistryError (registry unreachable) propagates: not the record's fault, so the
        # caller must retry rather than reject it.
        writer = self._writers.get(schema_id)
        if writer is not None:
            return writer
        try:
            text = self.registry.schema_by_id(schema_id)
        except SchemaNotFound:
            raise DecodeError(
                "unknown_schema_id", f"schema id {schema_id} is not in the registry", schema_id
            ) from None
        writer = self._resolve(json.loads(text))
        with self._lock:
            self._writers[schema_id] = writer
        return writer

    def _resolve(self, schema: dict[str, Any]) -> _Writer:
        parsed = parse_schema(schema, named_schemas={})
        name = full_name(schema.get("name", ""), schema.get("namespace"))
        event = self.catalogue.by_full_name(name)
        if event is None:
            return _Writer(None, parsed, None, schema)
        same = event.fingerprint == schema_fingerprint(schema)
        return _Writer(event, parsed, None if same else event.parsed, schema)
