"""``/schemas``: a schema by id, the subjects and versions that hold it, the schema types; and
the few Confluent routes this registry answers only to say it has nothing (contexts,
associations, schemas by guid)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response

from schemas.registry.wire import (
    ASSOCIATION_NOT_FOUND,
    CONTENT_TYPE,
    INVALID_ASSOCIATION,
    SCHEMA_NOT_FOUND,
)
from services.api.registry_wire import (
    Registry,
    RegistryJSON,
    RegistryProblem,
    SubjectVersionAnswer,
    answer,
    page,
    schema_id,
)

router = APIRouter(tags=["schema registry"], default_response_class=RegistryJSON)
Flag = Annotated[bool, Query()]
DEFAULT_CONTEXT = "."
"""Confluent's name of the one context a registry without contexts has."""


@router.get("/schemas/ids/{id}")
def by_id(id: str, registry: Registry, subject: str = "", format: str = "") -> dict[str, str]:
    """The schema with that global id; a consumer decoding a record asks this."""
    return {"schema": registry.schema_by_id(schema_id(id))}


@router.get("/schemas/ids/{id}/schema")
def raw_by_id(id: str, registry: Registry, subject: str = "") -> Response:
    return Response(registry.schema_by_id(schema_id(id)), media_type=CONTENT_TYPE)


@router.get("/schemas/ids/{id}/subjects")
def subjects_of(
    id: str,
    registry: Registry,
    subject: str = "",
    deleted: Flag = False,
    offset: int = 0,
    limit: int = -1,
) -> list[str]:
    found = registry.subjects_of(schema_id(id), deleted=deleted)
    return page([s for s in found if not subject or s == subject], offset, limit)


@router.get("/schemas/ids/{id}/versions")
def versions_of(
    id: str,
    registry: Registry,
    subject: str = "",
    deleted: Flag = False,
    offset: int = 0,
    limit: int = -1,
) -> list[dict[str, Any]]:
    found = registry.versions_of(schema_id(id), deleted=deleted)
    pairs = [{"subject": f.subject, "version": f.version} for f in found]
    return page([p for p in pairs if not subject or p["subject"] == subject], offset, limit)


@router.get("/schemas/guids/{guid}")
def by_guid(guid: str) -> dict[str, str]:
    """Schemas are named by id only here."""
    raise RegistryProblem(404, SCHEMA_NOT_FOUND, f"schema {guid[:40]!r} not found: ask by id")


@router.get("/schemas/types")
def types() -> list[str]:
    return ["AVRO"]


@router.get("/schemas", response_model_by_alias=True)
def every_schema(
    registry: Registry,
    subjectPrefix: str = "",
    deleted: Flag = False,
    latestOnly: Flag = False,
    offset: int = 0,
    limit: int = -1,
) -> list[SubjectVersionAnswer]:
    found = []
    for subject in registry.subjects(deleted=deleted):
        if not subject.startswith(subjectPrefix):
            continue
        versions = registry.versions(subject, deleted=deleted)
        for number in versions[-1:] if latestOnly else versions:
            held = registry.version(subject, number, deleted=deleted)
            found.append(answer(subject, held.version, held.schema_id, held.schema))
    return page(found, offset, limit)


@router.get("/contexts")
def contexts(offset: int = 0, limit: int = -1) -> list[str]:
    return page([DEFAULT_CONTEXT], offset, limit)


@router.get("/associations/resources/{namespace}/{name}")
def associations(namespace: str, name: str) -> list[dict[str, Any]]:
    raise RegistryProblem(404, ASSOCIATION_NOT_FOUND, f"association for {name[:100]!r} not found")


@router.post("/associations")
def create_association(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    raise RegistryProblem(
        422, INVALID_ASSOCIATION, "associations are not kept: subjects follow record names"
    )


@router.delete("/associations/resources/{resource_id}")
def delete_associations(resource_id: str) -> None:
    raise RegistryProblem(
        404, ASSOCIATION_NOT_FOUND, f"association for {resource_id[:100]!r} not found"
    )
