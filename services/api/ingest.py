"""HTTP ingest: an institution posts an event as JSON; it is validated against the model derived
from its Avro schema, encoded and published to the caller's own ``submissions.<institution>``.

The exchange then decides, as for any Kafka producer; ``GET /v1/submissions/{event_id}`` tells the
caller what it decided. Nobody publishes as another institution: the topic comes from the token,
and a ``source_institution`` that names someone else is refused here already.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal, Union

from fastapi import APIRouter, Body, Depends, FastAPI
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy import Column, MetaData, String, Table, insert, select
from sqlalchemy.exc import IntegrityError

from consumers.decisions import decision
from producers.examples import by_event_type, story
from producers.submission import encode_submission, submission_headers, submission_message
from schemas import EncodeError
from schemas.institutions import PLATFORM_ONLY
from schemas.models import EventModel, event_models, model_for
from schemas.topics import VIA_HTTP
from services.api.auth import InstitutionPrincipal
from services.api.context import ApiContext, api_context
from services.api.errors import ApiError, ErrorBody, Problem, not_found, problems_of
from services.api.tokens import Principal
from services.platform.sql import UtcDateTime
from services.platform.vault import PersonalData

metadata = MetaData()
# What the API published and the exchange may not have decided yet ("pending"). The API's own
# table, kept beside its tokens: the exchange's database is written by the exchange alone.
api_submissions = Table(
    "api_submissions",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("institution", String(120), nullable=False),
    Column("event_type", String(60), nullable=False),
    Column("case_id", String(36), nullable=False),
    Column("submitted_at", UtcDateTime, nullable=False),
)

router = APIRouter(prefix="/v1", tags=["ingest"])
Context = Annotated[ApiContext, Depends(api_context)]


class Receipt(BaseModel):
    event_id: uuid.UUID
    status: Literal["submitted"] = "submitted"
    status_url: str = Field(description="Where the exchange's decision can be read.")


class SubmissionStatus(BaseModel):
    event_id: uuid.UUID
    status: Literal["pending", "accepted", "rejected"]
    event_type: str | None = None
    case_id: uuid.UUID | None = None
    code: str | None = Field(default=None, description="Machine-readable rejection code.")
    reason: str | None = None


def _problem(location: list[str | int], code: str, message: str) -> ApiError:
    return ApiError(
        422, "invalid_event", message, [Problem(location=location, code=code, message=message)]
    )


def parse_event(body: Any, principal: Principal) -> EventModel:
    """The event a JSON body describes, validated; a missing source is the caller's own."""
    if not isinstance(body, dict):
        raise _problem(["body"], "object_expected", "the body must be a JSON object (an event)")
    header = body.get("header")
    if not isinstance(header, dict):
        raise _problem(["body", "header"], "object_expected", "the event needs a header object")
    event_type = header.get("event_type")
    if not isinstance(event_type, str):
        raise _problem(
            ["body", "header", "event_type"], "missing", "header.event_type names the event"
        )
    try:
        model = model_for(event_type)
    except LookupError:
        raise _problem(
            ["body", "header", "event_type"],
            "unknown_event_type",
            f"{event_type!r} is not an event of the catalogue",
        ) from None
    source = header.get("source_institution", principal.institution)
    if source != principal.institution:
        raise ApiError(
            403,
            "source_mismatch",
            f"this token publishes as {principal.institution}; the event names another source",
        )
    try:
        return model.model_validate({**body, "header": {**header, "source_institution": source}})
    except ValidationError as error:
        raise ApiError(
            422, "invalid_event", f"not a valid {event_type}", problems_of(error, ["body"])
        ) from None


IDENTITY = "identity"
"""The body field of a ``SubjectRegistered`` that carries the subject's identifiers in clear (over
TLS), for the platform to seal; they are never published, stored outside the vault, or logged."""

_UNSEALED = {"key_id": "-", "nonce": b"", "ciphertext": b""}  # replaced before publication


def take_identity(body: Any) -> tuple[Any, PersonalData | None]:
    """The body without its ``identity``, and the identifiers it held, validated."""
    if not isinstance(body, dict) or IDENTITY not in body:
        return body, None
    header = body.get("header")
    if not isinstance(header, dict) or header.get("event_type") != "SubjectRegistered":
        raise _problem(
            ["body", IDENTITY], "identity_not_expected", "only a SubjectRegistered has identity"
        )
    if "sealed" in body:
        raise _problem(
            ["body", IDENTITY],
            "identity_or_sealed",
            "send the identifiers as identity for the platform to seal, or sealed, not both",
        )
    rest = {k: v for k, v in body.items() if k != IDENTITY}
    try:
        person = PersonalData.model_validate(body[IDENTITY])
    except ValidationError as error:
        raise ApiError(
            422, "invalid_event", "not a valid identity", problems_of(error, ["body", IDENTITY])
        ) from None
    return {**rest, "sealed": _UNSEALED}, person


def seal_identity(
    context: ApiContext, event: EventModel, person: PersonalData | None
) -> EventModel:
    """Seal the identifiers under the subject's key (made now if new); or check that a sealed
    field the client made is under a key the vault holds for this subject."""
    if event.event_type != "SubjectRegistered":
        return event
    vault = context.platform.vault
    subject_id = event.subject_id  # type: ignore[attr-defined]
    sealed_type = type(event.sealed)  # type: ignore[attr-defined]
    if person is not None:
        sealed = sealed_type.model_validate(vault.seal(subject_id, person))
        return event.model_copy(update={"sealed": sealed})
    if vault.key_id_of(subject_id) != event.sealed.key_id:  # type: ignore[attr-defined]
        # Sealed under a key nobody holds, nobody could ever read it: refused now rather than
        # taken for an erased person later.
        raise _problem(
            ["body", "sealed", "key_id"],
            "sealed_key_unknown",
            "the vault holds no such key for this subject: send the identifiers as identity "
            "and the platform seals them",
        )
    return event


def publish_submission(context: ApiContext, principal: Principal, event: EventModel) -> Receipt:
    """Encode and publish ``event`` to the caller's submissions topic; durable on return."""
    context.writes.take(principal.token_id)
    header = event.header  # type: ignore[attr-defined]
    try:
        key, value = encode_submission(context.platform.codec, event)
    except EncodeError as error:
        raise _problem(["body"], "avro_encoding", error.reason) from None
    headers = submission_headers(event.event_type, via=VIA_HTTP)
    context.publisher.publish([submission_message(principal.institution, key, value, headers)])
    try:
        with context.platform.views_engine.begin() as tx:
            tx.execute(
                insert(api_submissions).values(
                    event_id=str(header.event_id),
                    institution=principal.institution,
                    event_type=event.event_type,
                    case_id=str(header.case_id),
                    submitted_at=context.clock(),
                )
            )
    except IntegrityError:
        pass  # a retry of the same event: the exchange drops the duplicate as well
    context.metrics.submitted.labels(event.event_type).inc()
    return Receipt(event_id=header.event_id, status_url=f"/v1/submissions/{header.event_id}")


def _event_schemas() -> dict[str, Any]:
    """The body as OpenAPI documents it: one of the event models (their schemas are added to the
    components by ``document_event_models``), with an example of each; ``parse_event`` checks."""
    examples = by_event_type()
    order = {example.event_id: n for n, example in enumerate(story(), start=1)}
    return {
        "description": (
            "One event of the catalogue as JSON; `header.event_type` says which, and the event's "
            "model gives its fields. `header.source_institution` may be left out: it is the "
            "token's institution. A `SubjectRegistered` may carry the person's identifiers in "
            "clear as `identity` instead of `sealed`. The examples are one case's story: posted "
            "in their order, each with its source's token, the exchange accepts every one."
        ),
        "required": True,
        "content": {
            "application/json": {
                "schema": {"oneOf": [_ref(name) for name in sorted(examples)]},
                "examples": {
                    name: {
                        "summary": f"{order[example.event_id]}. {name} (as {example.institution})",
                        "value": example.body,
                    }
                    for name, example in sorted(
                        examples.items(), key=lambda i: order[i[1].event_id]
                    )
                },
            }
        },
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"{_COMPONENTS}{name}"}


_COMPONENTS = "#/components/schemas/"


def event_model_schemas() -> dict[str, Any]:
    """The JSON schemas of the events an institution may submit, and of what they contain, as
    OpenAPI components; each event's header names its own ``event_type``."""
    submittable = sorted(set(event_models()) - PLATFORM_ONLY)
    models = tuple(model_for(name) for name in submittable)
    union: TypeAdapter[Any] = TypeAdapter(Union[models])  # type: ignore[valid-type, arg-type]  # noqa: UP007
    schemas: dict[str, Any] = union.json_schema(ref_template=_COMPONENTS + "{model}")["$defs"]
    schemas[PersonalData.__name__] = PersonalData.model_json_schema(
        ref_template=_COMPONENTS + "{model}"
    )
    for name, model in zip(submittable, models, strict=True):
        schema = schemas[model.__name__]
        header = schema["properties"]["header"]
        schema["properties"]["header"] = {
            "allOf": [header, {"properties": {"event_type": {"const": name}}}]
        }
    header_name = schemas[models[0].__name__]["properties"]["header"]["allOf"][0]["$ref"]
    header_schema = schemas[header_name.rsplit("/", 1)[1]]
    header_schema["required"] = [f for f in header_schema["required"] if f != "source_institution"]
    registered = schemas["SubjectRegistered"]
    registered["properties"][IDENTITY] = {
        **_ref(PersonalData.__name__),
        "description": "The person's identifiers in clear (over TLS), for the platform to seal "
        "instead of `sealed`; never published, stored outside the vault, or logged.",
    }
    registered["required"] = [f for f in registered["required"] if f != "sealed"]
    return schemas


def document_event_models(app: FastAPI) -> None:
    """Add the event models' schemas to the app's OpenAPI components (the body refers to them)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = generate()
        components = spec.setdefault("components", {}).setdefault("schemas", {})
        for name, schema in event_model_schemas().items():
            shared = name == PersonalData.__name__  # also the identity read's answer
            if name in components and not shared and components[name] != schema:
                raise RuntimeError(f"two OpenAPI components named {name}")
            components.setdefault(name, schema)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


_REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorBody, "description": "Not an institution token, or source_mismatch."},
    422: {"model": ErrorBody, "description": "The event is not valid: problems lists why."},
}


@router.post(
    "/events",
    status_code=202,
    response_model=Receipt,
    responses=_REFUSALS,
    openapi_extra={"requestBody": _event_schemas()},
)
def post_event(
    principal: InstitutionPrincipal,
    context: Context,
    body: Annotated[Any, Body()] = None,
) -> Receipt:
    """Submit an event as the token's institution; the exchange then accepts or rejects it.

    A ``SubjectRegistered`` may carry the subject's identifiers in clear as ``identity`` (given
    and family name, JMBG, birth date, address, phone) instead of ``sealed``: the platform seals
    them under a new key of the subject before anything is published."""
    return submit_event(context, principal, body)


def submit_event(context: ApiContext, principal: Principal, body: Any) -> Receipt:
    """Validate a JSON event, seal its identity, publish it as ``principal``'s institution:
    what ``POST /v1/events`` does, and what the web portal's event forms do."""
    try:
        body, person = take_identity(body)
        event = seal_identity(context, parse_event(body, principal), person)
    except ApiError as error:
        context.metrics.refused.labels(error.code).inc()
        raise
    return publish_submission(context, principal, event)


@router.get(
    "/submissions/{event_id}",
    response_model=SubmissionStatus,
    responses={404: {"model": ErrorBody}},
)
def submission_status(
    event_id: uuid.UUID, principal: InstitutionPrincipal, context: Context
) -> SubmissionStatus:
    """Whether the exchange accepted a submission into case-events, or rejected it and why."""
    key = str(event_id)
    with context.platform.exchange_engine.connect() as conn:
        decided = decision(conn, key, principal.institution)
    if decided is not None:
        return SubmissionStatus(
            event_id=event_id,
            status=decided.status,
            event_type=decided.event_type,
            case_id=decided.case_id,  # type: ignore[arg-type]
            code=decided.code,
            reason=decided.reason,
        )
    with context.platform.views_engine.connect() as conn:
        posted = conn.execute(
            select(api_submissions)
            .where(api_submissions.c.event_id == key)
            .where(api_submissions.c.institution == principal.institution)
        ).first()
    if posted is None:
        raise not_found("submission")
    return SubmissionStatus(
        event_id=event_id, status="pending", event_type=posted.event_type, case_id=posted.case_id
    )
