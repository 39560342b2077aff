"""The Confluent Schema Registry REST subset, so standard Kafka tooling can use our registry."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Annotated, Any

import avro.schema
from avro.errors import AvroException
from fastapi import APIRouter, Body, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from schemas.registry import IncompatibleSchema, SchemaNotFound, SchemaRegistry

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
MAX_ID = 2**31 - 1
VERSION = re.compile(r"-?[0-9]{1,10}")  # ASCII digits only: "²".isdigit() is True too


class SchemaBody(BaseModel):
    schema_: str = Field(alias="schema", description="The Avro schema as JSON text.")
    schemaType: str = Field(default="AVRO", description="Only AVRO is supported.")


class SchemaId(BaseModel):
    id: int


class SchemaText(BaseModel):
    schema_: str = Field(serialization_alias="schema")


class SubjectVersion(BaseModel):
    subject: str
    version: int
    id: int
    schema_: str = Field(serialization_alias="schema")


class CompatibilityAnswer(BaseModel):
    is_compatible: bool
    messages: list[str] = []


class RegistryProblem(Exception):
    """An error in Confluent's shape: HTTP status plus its own ``error_code``."""

    def __init__(self, status: int, error_code: int, message: str) -> None:
        self.status, self.error_code, self.message = status, error_code, message


def current_registry(request: Request) -> SchemaRegistry:
    registry: SchemaRegistry = request.app.state.registry
    return registry


Registry = Annotated[SchemaRegistry, Depends(current_registry)]
router = APIRouter(tags=["schema registry"])


def _avro_schema(body: SchemaBody) -> Any:
    if body.schemaType.upper() != "AVRO":
        raise RegistryProblem(422, 42201, f"schema type {body.schemaType} is not supported")
    try:
        schema = json.loads(body.schema_)
    except json.JSONDecodeError as error:
        raise RegistryProblem(422, 42201, f"invalid schema: {error}") from error
    except RecursionError:  # the JSON nests deeper than Python's parser goes
        raise RegistryProblem(422, 42201, "invalid schema: nested too deeply") from None
    # Parsed by the reference implementation before anything is stored or compared: a subject's
    # first version has nothing to be checked against, so the registry would keep it unparsed.
    try:
        avro.schema.parse(json.dumps(schema))
    except (AvroException, ValueError, TypeError, RecursionError) as error:
        raise RegistryProblem(422, 42201, f"invalid schema: {str(error)[:300]}") from error
    return schema


@router.get("/schemas/ids/{schema_id}", response_model=SchemaText, response_model_by_alias=True)
def schema_by_id(schema_id: int, registry: Registry) -> SchemaText:
    if not 0 <= schema_id <= MAX_ID:  # Confluent ids are int32: anything else was never issued
        raise RegistryProblem(404, 40403, f"schema {schema_id} not found")
    try:
        return SchemaText(schema_=registry.schema_by_id(schema_id))
    except SchemaNotFound as error:
        raise RegistryProblem(404, 40403, str(error)) from error


@router.get("/subjects")
def subjects(registry: Registry) -> list[str]:
    return registry.subjects()


@router.get("/subjects/{subject}/versions")
def versions(subject: str, registry: Registry) -> list[int]:
    try:
        return registry.versions(subject)
    except SchemaNotFound as error:
        raise RegistryProblem(404, 40401, str(error)) from error


@router.get(
    "/subjects/{subject}/versions/{version}",
    response_model=SubjectVersion,
    response_model_by_alias=True,
)
def version(subject: str, version: str, registry: Registry) -> SubjectVersion:
    if version != "latest" and not (
        VERSION.fullmatch(version) and -1 <= int(version) <= MAX_ID and int(version) != 0
    ):
        raise RegistryProblem(422, 42202, f"invalid version {version[:20]!r}")
    try:
        found = registry.version(subject, "latest" if version in {"latest", "-1"} else version)
    except SchemaNotFound as error:
        code = 40402 if subject in registry.subjects() else 40401
        raise RegistryProblem(404, code, str(error)) from error
    return SubjectVersion(
        subject=found.subject, version=found.version, id=found.schema_id, schema_=found.schema
    )


@router.post("/subjects/{subject}/versions")
def register(subject: str, body: Annotated[SchemaBody, Body()], registry: Registry) -> SchemaId:
    schema = _avro_schema(body)
    try:
        return SchemaId(id=registry.register(subject, schema))
    except IncompatibleSchema as error:
        raise RegistryProblem(409, 409, "; ".join(error.messages)) from error
    except (ValueError, TypeError) as error:  # the reference parser's complaint about the schema
        raise RegistryProblem(422, 42201, f"invalid schema: {error}") from error


@router.post("/compatibility/subjects/{subject}/versions/latest")
def compatibility(
    subject: str, body: Annotated[SchemaBody, Body()], registry: Registry, verbose: bool = False
) -> CompatibilityAnswer:
    if subject not in registry.subjects():
        raise RegistryProblem(404, 40401, f"no subject {subject!r}")
    result = registry.check_compatibility(subject, _avro_schema(body))
    return CompatibilityAnswer(
        is_compatible=result.compatible, messages=result.messages if verbose else []
    )


def install(app: FastAPI, dependencies: Sequence[Any] = ()) -> None:
    """Mount the registry routes and answer their errors the way Confluent clients expect;
    ``dependencies`` (e.g. an authorisation check) run before every route."""

    @app.exception_handler(RegistryProblem)
    def _problem(_request: Request, problem: RegistryProblem) -> JSONResponse:
        return JSONResponse(
            {"error_code": problem.error_code, "message": problem.message},
            status_code=problem.status,
            media_type=CONTENT_TYPE,
        )

    app.include_router(router, dependencies=list(dependencies))


def registry_app(registry: SchemaRegistry) -> FastAPI:
    """A stand-alone registry application (``povezimo serve`` mounts the same routes)."""
    app = FastAPI(title="Povezimo schema registry")
    app.state.registry = registry
    install(app)
    return app
