"""What an institution's system reads and does: its cases, their timelines, the referrals
addressed to it, its answers to them, and the withdrawal of referrals it sent.

Reads go through ``consumers.queries`` (always as one institution), so a case it takes no part in
answers exactly like a case that does not exist. Every answer with case data is access-logged.
Answers to a referral are events like any other: they take the ingest path to the exchange.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Body, Query
from fastapi.encoders import jsonable_encoder
from pydantic import AwareDatetime, BaseModel, Field

from consumers import queries
from consumers.decisions import referral_state
from consumers.referrals import ANSWERED_BY_SENDER, next_status
from producers.event_builder import new_event, new_header
from schemas.models import model_for
from services.api.access import ActorRole, CaseReader
from services.api.context import ApiContext
from services.api.errors import ApiError, ErrorBody, not_found
from services.api.ingest import Receipt, publish_submission

router = APIRouter(prefix="/v1", tags=["institutions"])

DeclineReason = cast(
    type[StrEnum], model_for("ReferralDeclined").model_fields["reason_code"].annotation
)
RevokeReason = cast(type[StrEnum], model_for("ReferralRevoked").model_fields["reason"].annotation)
Outcome = cast(type[StrEnum], model_for("ReferralCompleted").model_fields["outcome"].annotation)
CaseStatus = Literal["open", "closed"]
ReferralStatus = Literal["sent", "accepted", "declined", "completed", "revoked", "expired"]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}}


def _json(value: Any) -> Any:
    return jsonable_encoder(value)


@router.get("/cases")
def list_cases(reader: CaseReader, status: CaseStatus | None = None) -> list[dict[str, Any]]:
    """The cases this institution takes part in, newest first."""
    with reader.context.platform.views_engine.connect() as conn:
        found = queries.cases_for(conn, reader.institution, status=status)
    reader.record("case-list", (c["case_id"] for c in found))
    return cast(list[dict[str, Any]], _json(found))


@router.get("/cases/{case_id}", responses=_NOT_FOUND)
def get_case(case_id: uuid.UUID, reader: CaseReader) -> dict[str, Any]:
    """One case as this institution may see it: participants, subjects (pseudonymous),
    referrals, urgent measures, conferences, plans and the timeline."""
    with reader.context.platform.views_engine.connect() as conn:
        found = queries.case_view(conn, reader.institution, str(case_id))
    if found is None:
        raise not_found("case")
    reader.record("case", [str(case_id)])
    return cast(dict[str, Any], _json(found))


@router.get("/cases/{case_id}/timeline", responses=_NOT_FOUND)
def get_timeline(case_id: uuid.UUID, reader: CaseReader) -> list[dict[str, Any]]:
    """The case's events in log order."""
    with reader.context.platform.views_engine.connect() as conn:
        found = queries.case_timeline(conn, reader.institution, str(case_id))
    if found is None:
        raise not_found("case")
    reader.record("case-timeline", [str(case_id)])
    return cast(list[dict[str, Any]], _json(found))


@router.get("/referrals")
def list_referrals(
    reader: CaseReader,
    status: ReferralStatus | None = None,
    overdue: Annotated[
        bool, Query(description="Only unanswered referrals past their due time.")
    ] = False,
    direction: Literal["received", "sent"] = "received",
) -> list[dict[str, Any]]:
    """Referrals addressed to this institution (or sent by it), by due time."""
    with reader.context.platform.views_engine.connect() as conn:
        found = queries.referrals_for(
            conn,
            reader.institution,
            status=status,
            overdue_at=reader.context.clock() if overdue else None,
            direction=direction,
        )
    reader.record("referral-list", (r["case_id"] for r in found))
    return cast(list[dict[str, Any]], _json(found))


# -- answers to a referral ---------------------------------------------------------------------


class _Answer(BaseModel):
    actor_role: ActorRole | None = Field(  # type: ignore[valid-type]
        default=None,
        description="Staff role of the person answering (never a name). Default: the "
        "X-Actor-Role header; one of the two is required.",
    )
    event_id: uuid.UUID | None = Field(
        default=None, description="Choose it to make a retry safe; a new one otherwise."
    )


class AcceptReferral(_Answer):
    accepted_at: AwareDatetime | None = Field(default=None, description="Default: now.")
    expected_start_at: AwareDatetime | None = None
    assigned_role: ActorRole | None = None  # type: ignore[valid-type]


class DeclineReferral(_Answer):
    reason_code: DeclineReason  # type: ignore[valid-type]
    reason_note: str | None = Field(
        default=None, max_length=500, description="Short, and never personal data."
    )
    suggested_institution: str | None = Field(default=None, max_length=200)
    declined_at: AwareDatetime | None = Field(default=None, description="Default: now.")


class CompleteReferral(_Answer):
    outcome: Outcome  # type: ignore[valid-type]
    completed_at: AwareDatetime | None = Field(default=None, description="Default: now.")


class RevokeReferral(_Answer):
    reason: RevokeReason  # type: ignore[valid-type]
    revoked_at: AwareDatetime | None = Field(default=None, description="Default: now.")


_ANSWER_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody},
    409: {"model": ErrorBody, "description": "The referral's status does not allow this answer."},
}


def answer_referral(
    reader: CaseReader,
    referral_id: uuid.UUID,
    event_type: str,
    answer: _Answer,
    at: dt.datetime | None,
    **fields: Any,
) -> Receipt:
    """Publish the recipient's (or, for a withdrawal, the sender's) answer; ``at`` (default now)
    is when it happened. The routes below and the web portal both answer through here."""
    context: ApiContext = reader.context
    with context.platform.exchange_engine.connect() as conn:
        # The sender withdraws a referral; the recipient answers it. Anyone else: not found.
        referral = referral_state(
            conn, str(referral_id), reader.institution, as_sender=event_type in ANSWERED_BY_SENDER
        )
    if referral is None:
        raise not_found("referral")
    # The exchange decides in the end (a batch may be deciding on it now); this only spares the
    # caller a round trip for an answer that cannot be right.
    if next_status(referral.status, event_type) is None:
        raise ApiError(
            409,
            "referral_transition_forbidden",
            f"{event_type} cannot follow a referral that is {referral.status}",
        )
    role = answer.actor_role or (reader.actor_role if reader.role_stated else None)
    if role is None:
        raise ApiError(
            422,
            "actor_role_missing",
            "say who answers: actor_role in the body or the X-Actor-Role header (a role)",
        )
    now = context.clock()
    at = at or now
    time_field = {
        "ReferralAccepted": "accepted_at",
        "ReferralDeclined": "declined_at",
        "ReferralCompleted": "completed_at",
        "ReferralRevoked": "revoked_at",
    }[event_type]
    event = new_event(
        event_type,
        new_header(
            event_type,
            case_id=uuid.UUID(referral.case_id),
            source=reader.institution,
            occurred_at=at,
            recorded_at=now,
            actor_role=str(role),
            event_id=answer.event_id,
        ),
        referral_id=referral_id,
        **{time_field: at},
        **fields,
    )
    return publish_submission(context, reader.principal, event)


@router.post(
    "/referrals/{referral_id}/accept",
    status_code=202,
    response_model=Receipt,
    responses=_ANSWER_RESPONSES,
)
def accept_referral(
    referral_id: uuid.UUID,
    reader: CaseReader,
    body: Annotated[AcceptReferral | None, Body()] = None,
) -> Receipt:
    """Accept a referral addressed to this institution (publishes ReferralAccepted). The body
    may be left out when the X-Actor-Role header says who accepts."""
    body = body or AcceptReferral()
    return answer_referral(
        reader,
        referral_id,
        "ReferralAccepted",
        body,
        body.accepted_at,
        expected_start_at=body.expected_start_at,
        assigned_role=body.assigned_role,
    )


@router.post(
    "/referrals/{referral_id}/decline",
    status_code=202,
    response_model=Receipt,
    responses=_ANSWER_RESPONSES,
)
def decline_referral(referral_id: uuid.UUID, body: DeclineReferral, reader: CaseReader) -> Receipt:
    """Decline a referral with a coded reason (publishes ReferralDeclined)."""
    return answer_referral(
        reader,
        referral_id,
        "ReferralDeclined",
        body,
        body.declined_at,
        reason_code=body.reason_code,
        reason_note=body.reason_note,
        suggested_institution=body.suggested_institution,
    )


@router.post(
    "/referrals/{referral_id}/complete",
    status_code=202,
    response_model=Receipt,
    responses=_ANSWER_RESPONSES,
)
def complete_referral(
    referral_id: uuid.UUID, body: CompleteReferral, reader: CaseReader
) -> Receipt:
    """Report an accepted referral's service as completed (publishes ReferralCompleted)."""
    return answer_referral(
        reader,
        referral_id,
        "ReferralCompleted",
        body,
        body.completed_at,
        outcome=body.outcome,
    )


@router.post(
    "/referrals/{referral_id}/revoke",
    status_code=202,
    response_model=Receipt,
    responses=_ANSWER_RESPONSES,
)
def revoke_referral(referral_id: uuid.UUID, body: RevokeReferral, reader: CaseReader) -> Receipt:
    """Withdraw a referral this institution sent, with a coded reason (ReferralRevoked)."""
    return answer_referral(
        reader, referral_id, "ReferralRevoked", body, body.revoked_at, reason=body.reason
    )
