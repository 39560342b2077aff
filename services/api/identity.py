"""An institution reads a subject's direct identifiers: unsealed from the key vault only for a
participant of the subject's case, and recorded on ``access-log`` (identified) before it leaves.

The rule and the record are ``services.audit.identify.identify``'s; this is its HTTP face. A
subject of a case the caller takes no part in answers exactly like one that does not exist.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.api.access import CaseReader
from services.api.errors import ApiError, ErrorBody
from services.audit.identify import AccessRefused, identify
from services.platform.vault import PersonalData

router = APIRouter(prefix="/v1", tags=["institutions"])

# How each refusal of ``identify`` is answered; an unknown or foreign subject is one answer.
REFUSAL_STATUS = {
    "unknown_subject": 404,
    "erased": 410,
    "not_archived": 409,
    "unknown_institution": 403,
}


@router.get(
    "/subjects/{subject_id}/identity",
    response_model=PersonalData,
    responses={
        404: {"model": ErrorBody},
        409: {"model": ErrorBody, "description": "Not archived yet: ask again shortly."},
        410: {"model": ErrorBody, "description": "The subject was erased (its key destroyed)."},
    },
)
def subject_identity(subject_id: uuid.UUID, reader: CaseReader) -> PersonalData:
    """The subject's name, JMBG, birth date, address and phone, for a participant of its case."""
    context = reader.context
    try:
        # identify publishes its AccessRecorded on the shared bus itself: one publisher at a time.
        with context.publisher.exclusive():
            return identify(
                context.platform,
                subject_id,
                reader.institution,
                reader.purpose,
                role=reader.actor_role,
                now=context.clock(),
                token_id=reader.principal.token_id,
            )
    except AccessRefused as refused:
        if refused.code == "unknown_subject":
            raise ApiError(404, "subject_not_found", "no such subject") from None
        raise ApiError(
            REFUSAL_STATUS.get(refused.code, 422), refused.code, refused.reason
        ) from None
