"""``/subjects``: list, versions, a version or the latest, register, look up, delete (soft, then
permanent), as Confluent's Schema Registry answers them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response

from schemas.registry import SchemaNotFound
from schemas.registry.wire import CONTENT_TYPE
from services.api.registry_wire import (
    Registry,
    RegistryJSON,
    SchemaBody,
    SubjectVersionAnswer,
    answer,
    avro_schema,
    page,
    version_id,
)

router = APIRouter(tags=["schema registry"], default_response_class=RegistryJSON)

Flag = Annotated[bool, Query()]
# Confluent documents deletedOnly; its Python client sends deleted_only.
DeletedOnly = Annotated[bool, Query(alias="deletedOnly")]


@router.get("/subjects")
def subjects(
    registry: Registry,
    subjectPrefix: str = "",
    deleted: Flag = False,
    deletedOnly: DeletedOnly = False,
    deleted_only: Flag = False,
    offset: int = 0,
    limit: int = -1,
) -> list[str]:
    found = registry.subjects(deleted=deleted or deletedOnly or deleted_only)
    if deletedOnly or deleted_only:
        live = set(registry.subjects())
        found = [s for s in found if s not in live]
    return page([s for s in found if s.startswith(subjectPrefix)], offset, limit)


@router.get("/subjects/{subject}/versions")
def versions(
    subject: str,
    registry: Registry,
    deleted: Flag = False,
    deletedOnly: DeletedOnly = False,
    deleted_only: Flag = False,
    offset: int = 0,
    limit: int = -1,
) -> list[int]:
    if not (deletedOnly or deleted_only):
        return page(registry.versions(subject, deleted=deleted), offset, limit)
    every = registry.versions(subject, deleted=True)
    try:
        live = set(registry.versions(subject))
    except SchemaNotFound:
        live = set()
    return page([v for v in every if v not in live], offset, limit)


@router.get("/subjects/{subject}/versions/{version}", response_model_by_alias=True)
def version(
    subject: str, version: str, registry: Registry, deleted: Flag = False
) -> SubjectVersionAnswer:
    found = registry.version(subject, version_id(version), deleted=deleted)
    return answer(found.subject, found.version, found.schema_id, found.schema)


@router.get("/subjects/{subject}/versions/{version}/schema")
def version_schema(
    subject: str, version: str, registry: Registry, deleted: Flag = False
) -> Response:
    """The schema alone, as JSON."""
    found = registry.version(subject, version_id(version), deleted=deleted)
    return Response(found.schema, media_type=CONTENT_TYPE)


@router.get("/subjects/{subject}/versions/{version}/referencedby")
def referenced_by(subject: str, version: str, registry: Registry) -> list[int]:
    """Schemas that reference this one: none, since every schema here is self-contained."""
    registry.version(subject, version_id(version))
    return []


@router.get("/subjects/{subject}/metadata", response_model_by_alias=True)
def latest_with_metadata(
    subject: str,
    registry: Registry,
    key: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI copies a query default)
    deleted: Flag = False,
) -> SubjectVersionAnswer:
    """The latest version carrying the given metadata: this registry keeps no metadata, so only
    a request that names none finds one."""
    found = registry.version(subject, "latest", deleted=deleted)
    if key:
        raise SchemaNotFound(f"no version of {subject!r} carries metadata {', '.join(key)[:200]}")
    return answer(found.subject, found.version, found.schema_id, found.schema)


@router.post("/subjects/{subject}/versions")
def register(
    subject: str, body: Annotated[SchemaBody, Body()], registry: Registry, normalize: Flag = False
) -> dict[str, int]:
    return {"id": registry.register(subject, avro_schema(body))}


@router.post("/subjects/{subject}", response_model_by_alias=True)
def lookup(
    subject: str,
    body: Annotated[SchemaBody, Body()],
    registry: Registry,
    deleted: Flag = False,
    normalize: Flag = False,
) -> SubjectVersionAnswer:
    """Is this schema registered under the subject? How a producer that does not register
    (``auto.register.schemas=false``) learns the id to write."""
    found = registry.lookup(subject, avro_schema(body), deleted=deleted)
    return answer(found.subject, found.version, found.schema_id, found.schema)


@router.delete("/subjects/{subject}")
def delete_subject(subject: str, registry: Registry, permanent: Flag = False) -> list[int]:
    return registry.delete_subject(subject, permanent=permanent)


@router.delete("/subjects/{subject}/versions/{version}")
def delete_version(subject: str, version: str, registry: Registry, permanent: Flag = False) -> int:
    return registry.delete_version(subject, version_id(version), permanent=permanent)
