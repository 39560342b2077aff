"""What an auditor reads: the archive's verification, a case or an institution's view as it was
at a time, and the access log. Everything comes from the audit archive (``services.audit.verify``,
``services.audit.point_in_time``, ``services.audit.identify.access_records``), never from the
live views.

An auditor's read of a case is itself recorded on ``access-log`` (purpose AUDIT, basis AUDIT).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder

from services.api.access import Reader
from services.api.auth import require
from services.api.context import ApiContext, api_context
from services.api.errors import ApiError, ErrorBody, not_found
from services.api.tokens import Principal, Role
from services.audit.identify import access_records
from services.audit.point_in_time import case_as_of, view_as_of
from services.audit.verify import cross_check, verify_chain
from services.disclosure.release import releases
from services.platform.signing import SigningKeyError, load_public_key

router = APIRouter(prefix="/v1/audit", tags=["auditors"])
Auditor = Annotated[Principal, Depends(require(Role.AUDITOR))]
Context = Annotated[ApiContext, Depends(api_context)]
AsOf = Annotated[dt.datetime, Query(description="UTC time (ISO 8601) the state is replayed to.")]


def _aware(instant: dt.datetime) -> dt.datetime:
    return instant.replace(tzinfo=dt.UTC) if instant.tzinfo is None else instant.astimezone(dt.UTC)


def _audit_reader(principal: Principal, context: ApiContext) -> Reader:
    return Reader(principal, "AUDIT", "AUDITOR", context, basis="AUDIT")


@router.get("/verify", responses={503: {"model": ErrorBody}})
def verify(
    _auditor: Auditor,
    context: Context,
    bus: Annotated[bool, Query(description="Also compare record by record with the bus.")] = True,
) -> dict[str, Any]:
    """Recompute the hash chain and the signed checkpoints; name the first broken position."""
    platform = context.platform
    try:
        key = load_public_key(platform.settings.resolved_archive_key_file)
    except SigningKeyError as error:
        raise ApiError(503, "archive_key_missing", str(error)) from None
    with platform.archive_engine.connect() as conn:
        result = verify_chain(conn, key)
        if result.breach is None and bus:
            result.bus = cross_check(platform.bus, conn)
    breach = result.breach
    return {
        "intact": result.intact,
        "summary": result.summary(),
        "records": result.records,
        "checkpoints": result.checkpoints,
        "head_hash": result.head_hash.hex(),
        "signer": result.signer or None,
        "breach": None
        if breach is None
        else {"position": breach.position, "code": breach.code, "detail": breach.detail},
        "bus": None if result.bus is None else jsonable_encoder(result.bus.__dict__),
    }


@router.get("/cases/{case_id}", responses={404: {"model": ErrorBody}})
def case_history(
    case_id: uuid.UUID,
    as_of: AsOf,
    auditor: Auditor,
    context: Context,
    institution: Annotated[
        str | None, Query(max_length=200, description="As this institution saw it.")
    ] = None,
) -> Any:
    """A case as it was known at ``as_of`` (optionally as one institution saw it), with its
    events and the identified reads recorded until then, replayed from the archive alone."""
    platform = context.platform
    with platform.archive_engine.connect() as conn:
        found = case_as_of(
            conn,
            platform.codec,
            platform.institutions,
            str(case_id),
            _aware(as_of),
            institution=institution,
        )
    if found is None:
        raise not_found("case")
    _audit_reader(auditor, context).record("audit-case-history", [str(case_id)])
    return jsonable_encoder(found)


@router.get("/views/{institution}", responses={404: {"model": ErrorBody}})
def institution_view(institution: str, as_of: AsOf, auditor: Auditor, context: Context) -> Any:
    """Everything ``institution`` saw at ``as_of``: its cases, referrals and plan measures."""
    platform = context.platform
    if platform.institutions.get(institution) is None:
        raise not_found("institution")
    with platform.archive_engine.connect() as conn:
        found = view_as_of(conn, platform.codec, platform.institutions, institution, _aware(as_of))
    _audit_reader(auditor, context).record(
        "audit-institution-view", (c["case_id"] for c in found["cases"] if c)
    )
    return jsonable_encoder(found)


@router.get("/access")
def access_log(
    _auditor: Auditor,
    context: Context,
    subject: Annotated[uuid.UUID | None, Query(description="Reads of this subject.")] = None,
    institution: Annotated[
        str | None, Query(max_length=200, description="Reads by this institution.")
    ] = None,
) -> Any:
    """Who read a case's data, what, when, why and on which basis (the archived access log)."""
    found = access_records(
        context.platform,
        subject=str(subject) if subject else None,
        institution=institution,
    )
    return jsonable_encoder(found)


@router.get("/releases")
def release_ledger(
    _auditor: Auditor,
    context: Context,
    since: Annotated[dt.datetime | None, Query(description="Only releases from this time.")] = None,
) -> Any:
    """Every table released from the regional aggregate: when, to whom, through which door,
    which indicator by which dimensions, at which threshold and epsilon, and a digest of it."""
    return jsonable_encoder(releases(context.platform, _aware(since) if since else None))
