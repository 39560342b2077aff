"""Authorised reads of a subject's identifiers: need to know, the vault, and an access record.

``identify`` is the one door to a person's name, JMBG, address and phone. The reader must take part
in the subject's case (the same participation that decides what its views show); the identifiers
are unsealed by the key vault from the ``SubjectRegistered`` in the archive; and before anything is
returned, an ``AccessRecorded`` event (who, in what role, why, on what basis) is on ``access-log``.
No disclosure without its record: if the record cannot be published, nothing is returned.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select

from consumers.event_projection import as_uuid
from consumers.views import participants, subjects
from producers.event_builder import new_event, new_header
from schemas.catalogue import catalogue
from schemas.institutions import PLATFORM_INSTITUTION
from schemas.topics import ACCESS_LOG, EVENT_TYPE, TOKEN_ID
from services.audit.point_in_time import access_summary, archived
from services.bootstrap import Platform
from services.platform.errors import KeepsItsParts
from services.platform.vault import PersonalData

# The strongest participation decides the basis an access record names.
_BASIS_BY_ROLE = (
    ("opener", "CASE_OWNER"),
    ("referral_recipient", "REFERRAL_RECIPIENT"),
    ("conference_member", "CONFERENCE_MEMBER"),
)


class AccessRefused(KeepsItsParts, Exception):
    """A read the platform refuses; ``code`` is machine-readable."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def symbols(enum_name: str) -> list[str]:
    """The symbols of a shared enum of the schemas (``ErasureReason``, ``AccessPurpose``, …)."""
    schema = catalogue().named[f"rs.povezimo.common.{enum_name}"]
    return list(schema["symbols"])


def access_basis(roles: Iterable[str]) -> str:
    held = set(roles)
    return next((basis for role, basis in _BASIS_BY_ROLE if role in held), "OTHER")


def cases_of_subject(views: Connection, subject_id: str) -> list[Any]:
    """The cases that registered the subject (with its erased flag), from the views."""
    # The views may not have run yet on this data directory: then nobody is registered.
    subjects.create(views, checkfirst=True)
    participants.create(views, checkfirst=True)
    views.commit()
    return list(
        views.execute(
            select(subjects.c.case_id, subjects.c.erased).where(subjects.c.subject_id == subject_id)
        )
    )


def sealed_registration(platform: Platform, case_id: str, subject_id: str) -> dict[str, Any] | None:
    """The ``sealed`` field of the subject's registration, as the archive holds it."""
    with platform.archive_engine.connect() as conn:
        for event in archived(conn, platform.codec, case_id=case_id):
            body = event.body or {}
            if event.event_type != "SubjectRegistered":
                continue
            if as_uuid(body["subject_id"]) == subject_id:
                sealed: dict[str, Any] = body["sealed"]
                return sealed
    return None


def identify(
    platform: Platform,
    subject_id: str | uuid.UUID,
    reader: str,
    purpose: str,
    *,
    role: str = "OTHER",
    now: dt.datetime | None = None,
    token_id: str | None = None,
) -> PersonalData:
    """The subject's identifiers for ``reader``, recorded on ``access-log`` before returning;
    ``token_id`` (an API token's or a portal account's id, never a secret or a name) says
    which of the institution's callers read them, as the record of any other read does."""
    subject = as_uuid(subject_id)
    if purpose not in symbols("AccessPurpose"):
        raise AccessRefused("unknown_purpose", f"{purpose!r} is not an AccessPurpose")
    if role not in symbols("ActorRole"):
        raise AccessRefused("unknown_role", f"{role!r} is not an ActorRole")
    institution = platform.institutions.get(reader)
    if institution is None or not institution.active:
        raise AccessRefused("unknown_institution", f"{reader} is not a registered institution")
    with platform.views_engine.connect() as views:
        registered = cases_of_subject(views, subject)
        case_id, roles = _participation(views, registered, reader)
    # The same answer whether the subject is unknown or in a case the reader takes no part in.
    if case_id is None:
        raise AccessRefused("unknown_subject", f"no subject {subject} in a case of {reader}")
    sealed = sealed_registration(platform, case_id, subject)
    if sealed is None:
        raise AccessRefused("not_archived", f"the archive holds no registration of {subject} yet")
    person = platform.vault.unseal(subject, sealed)
    if person is None:
        raise AccessRefused("erased", f"subject {subject} was erased")
    accessed_at = now or dt.datetime.now(dt.UTC)
    header = new_header(
        "AccessRecorded",
        case_id=uuid.UUID(case_id),
        source=PLATFORM_INSTITUTION,
        occurred_at=accessed_at,
        actor_role="PLATFORM_SYSTEM",
        legal_basis="DATA_PROTECTION_LAW_ART_12_PUBLIC_TASK",
    )
    event = new_event(
        "AccessRecorded",
        header,
        accessor_institution={"institution_id": reader, "kind": institution.kind},
        accessor_role=role,
        subject_id=uuid.UUID(subject),
        accessed_at=accessed_at,
        purpose=purpose,
        access_basis=access_basis(roles),
        resource="subject-identity",
        identified=True,
    )
    headers = [(EVENT_TYPE, b"AccessRecorded")]
    if token_id is not None:
        headers.append((TOKEN_ID, token_id.encode()))
    platform.bus.publish(
        ACCESS_LOG,
        case_id.encode(),
        platform.codec.encode("AccessRecorded", event.to_avro()),
        headers,
    )
    platform.bus.flush()
    return person


def _participation(
    views: Connection, registered: list[Any], reader: str
) -> tuple[str | None, list[str]]:
    for row in registered:
        roles = list(
            views.execute(
                select(participants.c.role)
                .where(participants.c.case_id == row.case_id)
                .where(participants.c.institution == reader)
            ).scalars()
        )
        if roles:
            return row.case_id, roles
    return None, []


def access_records(
    platform: Platform, *, subject: str | None = None, institution: str | None = None
) -> list[dict[str, Any]]:
    """Who read identified data, when and why: the archived ``access-log``, oldest first."""
    wanted_subject = as_uuid(subject) if subject else None
    found = []
    with platform.archive_engine.connect() as conn:
        for event in archived(conn, platform.codec, topic=ACCESS_LOG):
            if event.event_type != "AccessRecorded":
                continue
            summary = access_summary(event)
            if wanted_subject and summary["subject_id"] != wanted_subject:
                continue
            if institution and summary["institution"] != institution:
                continue
            found.append(summary)
    return found
