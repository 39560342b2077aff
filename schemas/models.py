"""Pydantic models derived from the Avro catalogue, never written by hand.

Every event type becomes a model class of the same name (``models.CaseOpened``), every shared
record a nested model and every enum a ``StrEnum``. The ``doc`` of each record and field becomes the
model's docstring and the field's description, so the HTTP API documents itself from the schemas.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, ClassVar, Optional, Union

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, create_model, model_validator

from schemas.catalogue import Catalogue, EventSchema, catalogue, full_name

INT32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
INT64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
_PRIMITIVES: dict[str, Any] = {
    "null": type(None),
    "boolean": bool,
    "int": INT32,
    "long": INT64,
    "float": float,
    "double": float,
    "string": str,
    "bytes": bytes,
}
_LOGICAL: dict[tuple[str, str], Any] = {
    ("string", "uuid"): uuid.UUID,
    ("long", "timestamp-micros"): AwareDatetime,
    ("long", "timestamp-millis"): AwareDatetime,
    ("int", "date"): dt.date,
}


class AvroModel(BaseModel):
    """Base of every derived model: strict about unknown fields, enums kept as their symbols."""

    model_config = ConfigDict(
        extra="forbid",
        use_enum_values=True,
        ser_json_bytes="base64",
        val_json_bytes="base64",
    )
    avro_name: ClassVar[str] = ""

    def to_avro(self) -> dict[str, Any]:
        """The record as fastavro writes it."""
        return self.model_dump(mode="python")


class EventModel(AvroModel):
    """Base of every event model; ``event_type`` is the Avro record name."""

    event_type: ClassVar[str] = ""

    @model_validator(mode="after")
    def _header_names_this_event(self) -> EventModel:
        header = getattr(self, "header", None)
        if header is not None and header.event_type != self.event_type:
            raise ValueError(
                f"header.event_type is {header.event_type!r} but this is a {self.event_type}"
            )
        return self


class _Builder:
    """Turns Avro schemas into Python types, sharing one class per named type."""

    def __init__(self) -> None:
        self.named: dict[str, Any] = {}

    def python_type(self, schema: Any, namespace: str | None) -> Any:
        if isinstance(schema, str):
            if schema in _PRIMITIVES:
                return _PRIMITIVES[schema]
            return self.named[full_name(schema, namespace)]
        if isinstance(schema, list):
            branches = [self.python_type(branch, namespace) for branch in schema]
            if len(branches) == 2 and type(None) in branches:
                other = next(b for b in branches if b is not type(None))
                return Optional[other]  # noqa: UP045 - built from a runtime value
            return Union[tuple(branches)]  # noqa: UP007
        kind = schema["type"]
        logical = schema.get("logicalType")
        if isinstance(kind, str) and (kind, logical) in _LOGICAL:
            return _LOGICAL[(kind, logical)]
        if kind == "enum":
            return self._enum(schema, namespace)
        if kind in {"record", "error"}:
            return self._record(schema, namespace, AvroModel)
        if kind == "array":
            return list[self.python_type(schema["items"], namespace)]  # type: ignore[misc]
        if kind == "map":
            return dict[str, self.python_type(schema["values"], namespace)]  # type: ignore[misc]
        return self.python_type(kind, namespace)

    def _enum(self, schema: dict[str, Any], namespace: str | None) -> type[StrEnum]:
        name = full_name(schema["name"], schema.get("namespace", namespace))
        enum = StrEnum(schema["name"], {s: s for s in schema["symbols"]})  # type: ignore[misc]
        enum.__doc__ = schema.get("doc")
        self.named[name] = enum
        return enum

    def _record(
        self, schema: dict[str, Any], namespace: str | None, base: type[AvroModel]
    ) -> type[AvroModel]:
        namespace = schema.get("namespace", namespace)
        name = full_name(schema["name"], namespace)
        fields: dict[str, Any] = {}
        for avro_field in schema["fields"]:
            annotation = self.python_type(avro_field["type"], namespace)
            fields[avro_field["name"]] = (annotation, _field_info(avro_field))
        model: type[AvroModel] = create_model(
            schema["name"],
            __base__=base,
            __doc__=schema.get("doc"),
            __module__=__name__,
            **fields,
        )
        model.avro_name = name
        self.named[name] = model
        return model

    def event_model(self, event: EventSchema) -> type[EventModel]:
        model = self._record(event.schema, event.schema.get("namespace"), EventModel)
        assert issubclass(model, EventModel)
        model.event_type = event.name
        return model


def _field_info(avro_field: dict[str, Any]) -> Any:
    doc = avro_field.get("doc")
    if "default" not in avro_field:
        return Field(description=doc)
    default = avro_field["default"]
    if isinstance(default, (list, dict)):
        return Field(default_factory=lambda: _copy(default), description=doc)
    return Field(default=default, description=doc)


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def build_models(events: Catalogue) -> dict[str, type[EventModel]]:
    builder = _Builder()
    return {event.name: builder.event_model(event) for event in events}


@cache
def event_models() -> dict[str, type[EventModel]]:
    """Event type → model, for the shipped catalogue (built once)."""
    return build_models(catalogue())


def model_for(event_type: str) -> type[EventModel]:
    try:
        return event_models()[event_type]
    except KeyError:
        raise LookupError(f"unknown event type {event_type!r}") from None


def __getattr__(name: str) -> type[EventModel]:
    """``schemas.models.CaseOpened`` and the like."""
    models = event_models()
    if name in models:
        return models[name]
    raise AttributeError(name)
