"""What every route of the registry's REST API stands on: the registry, Confluent's error answer,
the bodies it reads and the path values it parses (a version, a schema id)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

import avro.schema
from avro.errors import AvroException
from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from schemas.registry import IncompatibleSchema, ManagedRegistry, RegistryError
from schemas.registry.wire import (
    CONTENT_TYPE,
    INVALID_SCHEMA,
    INVALID_VERSION,
    SCHEMA_NOT_FOUND,
    error_code,
)
from services.platform.errors import KeepsItsParts

MAX_ID = 2**31 - 1  # Confluent ids and versions are int32: anything else was never issued
VERSION = re.compile(r"-?[0-9]{1,10}")  # ASCII digits only: "²".isdigit() is True too
Item = TypeVar("Item")


class RegistryJSON(JSONResponse):
    """Every answer of the registry, success or error, in Confluent's media type."""

    media_type = CONTENT_TYPE


class RegistryProblem(KeepsItsParts, Exception):
    """An error in Confluent's shape: HTTP status plus its own ``error_code``."""

    def __init__(
        self, status: int, error_code: int, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{error_code}: {message}")
        self.status, self.error_code, self.message = status, error_code, message
        self.headers = headers

    @classmethod
    def of(cls, error: RegistryError) -> RegistryProblem:
        status, code = error_code(error)
        said = "; ".join(error.messages) if isinstance(error, IncompatibleSchema) else str(error)
        return cls(status, code, said[:2000])

    def response(self) -> RegistryJSON:
        body = {"error_code": self.error_code, "message": self.message}
        return RegistryJSON(body, status_code=self.status, headers=self.headers)


def current_registry(request: Request) -> ManagedRegistry:
    registry: ManagedRegistry = request.app.state.registry
    return registry


Registry = Annotated[ManagedRegistry, Depends(current_registry)]


class SchemaBody(BaseModel):
    """A schema as Confluent's clients send it (``references``, ``metadata`` … may come too)."""

    model_config = ConfigDict(extra="ignore")
    schema_: str = Field(alias="schema", description="The Avro schema as JSON text.")
    schemaType: str = Field(default="AVRO", description="Only AVRO is supported.")
    references: list[dict[str, Any]] = Field(
        default_factory=list, description="Not supported: every schema must be self-contained."
    )


class SubjectVersionAnswer(BaseModel):
    subject: str
    version: int
    id: int
    schema_: str = Field(serialization_alias="schema")


def avro_schema(body: SchemaBody) -> Any:
    """The body's schema, parsed by the reference Avro implementation, or 42201."""
    if body.schemaType.upper() != "AVRO":
        raise RegistryProblem(
            422, INVALID_SCHEMA, f"schema type {body.schemaType} is not supported"
        )
    if body.references:
        raise RegistryProblem(422, INVALID_SCHEMA, "schema references are not supported")
    try:
        schema = json.loads(body.schema_)
    except json.JSONDecodeError as error:
        raise RegistryProblem(422, INVALID_SCHEMA, f"invalid schema: {error}") from error
    except RecursionError:  # the JSON nests deeper than Python's parser goes
        raise RegistryProblem(422, INVALID_SCHEMA, "invalid schema: nested too deeply") from None
    # Parsed before anything is stored or compared: a subject's first version has nothing to be
    # checked against, so the registry would keep it unparsed.
    try:
        avro.schema.parse(json.dumps(schema))
    except (AvroException, ValueError, TypeError, RecursionError) as error:
        raise RegistryProblem(422, INVALID_SCHEMA, f"invalid schema: {str(error)[:300]}") from error
    return schema


def version_id(text: str) -> int | str:
    """``latest`` (or -1) or a version number, or 42202."""
    if text == "latest" or text == "-1":
        return "latest"
    if VERSION.fullmatch(text) and 1 <= int(text) <= MAX_ID:
        return int(text)
    raise RegistryProblem(422, INVALID_VERSION, f"invalid version {text[:20]!r}")


def schema_id(text: str) -> int:
    """A schema id; anything that is not one was never issued (40403)."""
    if VERSION.fullmatch(text) and 0 <= int(text) <= MAX_ID:
        return int(text)
    raise RegistryProblem(404, SCHEMA_NOT_FOUND, f"schema {text[:20]!r} not found")


def page(items: Sequence[Item], offset: int, limit: int) -> list[Item]:
    """Confluent's paging: from ``offset``, at most ``limit`` (all when negative)."""
    start = max(offset, 0)
    return list(items[start:] if limit < 0 else items[start : start + limit])


def answer(subject: str, version: int, found_id: int, schema: str) -> SubjectVersionAnswer:
    return SubjectVersionAnswer(subject=subject, version=version, id=found_id, schema_=schema)
