"""Every answer that shows a case's data is itself recorded: an ``AccessRecorded`` event per case
on the ``access-log`` topic, saying which institution (and in which staff role) read what, when,
why (the ``X-Purpose`` header) and on which basis (its participation in the case).

The record is published before the answer leaves: data that cannot be logged is not shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, cast

from fastapi import Depends, Header
from sqlalchemy import select

from consumers.views import participants
from producers.event_builder import new_event, new_header
from schemas.institutions import PLATFORM_INSTITUTION
from schemas.models import model_for
from schemas.topics import ACCESS_LOG, EVENT_TYPE, TOKEN_ID
from services.api.auth import require
from services.api.context import ApiContext, api_context
from services.api.tokens import Principal, Role

_ACCESS = model_for("AccessRecorded")
AccessPurpose = cast(type[StrEnum], _ACCESS.model_fields["purpose"].annotation)
ActorRole = cast(type[StrEnum], _ACCESS.model_fields["accessor_role"].annotation)

# The strongest basis first: owning a case outranks being referred to it.
_BASIS_BY_ROLE = (
    ("opener", "CASE_OWNER"),
    ("referral_recipient", "REFERRAL_RECIPIENT"),
    ("conference_member", "CONFERENCE_MEMBER"),
)


def access_basis(participation_roles: Iterable[str]) -> str:
    """The AccessBasis symbol for an institution taking part in a case in these roles."""
    roles = set(participation_roles)
    for role, basis in _BASIS_BY_ROLE:
        if role in roles:
            return basis
    return "OTHER"


@dataclass(frozen=True)
class Reader:
    """An institution reading case data, with the purpose and staff role it declared."""

    principal: Principal
    purpose: str
    actor_role: str
    context: ApiContext
    basis: str | None = None  # fixed for auditors (AUDIT); else from the case's participation
    role_stated: bool = True  # whether X-Actor-Role was sent (else ``actor_role`` is OTHER)

    @property
    def institution(self) -> str:
        return self.principal.institution

    def record(self, resource: str, case_ids: Iterable[str]) -> None:
        """Publish one AccessRecorded per case read; durable before the caller answers."""
        cases = sorted(set(case_ids))
        if not cases:
            return
        platform, now = self.context.platform, self.context.clock()
        roles = self._participation_roles(cases)
        known = platform.institutions.get(self.institution)
        kind = known.kind if known else "OTHER"
        messages = []
        for case_id in cases:
            event = new_event(
                "AccessRecorded",
                new_header(
                    "AccessRecorded",
                    case_id=uuid.UUID(case_id),
                    source=PLATFORM_INSTITUTION,
                    occurred_at=now,
                    actor_role="PLATFORM_SYSTEM",
                    legal_basis="DATA_PROTECTION_LAW_ART_12_PUBLIC_TASK",
                ),
                accessor_institution={"institution_id": self.institution, "kind": kind},
                accessor_role=self.actor_role,
                accessed_at=now,
                purpose=self.purpose,
                access_basis=self.basis or access_basis(roles.get(case_id, ())),
                resource=resource,
                # The views hold pseudonymous references only; sealed identifiers stay sealed.
                identified=False,
            )
            messages.append(
                (
                    ACCESS_LOG,
                    case_id.encode(),
                    platform.codec.encode("AccessRecorded", event.to_avro()),
                    (
                        (EVENT_TYPE, b"AccessRecorded"),
                        (TOKEN_ID, self.principal.token_id.encode()),
                    ),
                )
            )
        self.context.publisher.publish(messages)

    def _participation_roles(self, cases: list[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        with self.context.platform.views_engine.connect() as conn:
            rows = conn.execute(
                select(participants.c.case_id, participants.c.role)
                .where(participants.c.case_id.in_(cases))
                .where(participants.c.institution == self.institution)
            )
            for row in rows:
                found.setdefault(row.case_id, set()).add(row.role)
        return found


def reader(
    principal: Annotated[Principal, Depends(require(Role.INSTITUTION))],
    context: Annotated[ApiContext, Depends(api_context)],
    purpose: Annotated[
        AccessPurpose,  # type: ignore[valid-type]
        Header(
            alias="X-Purpose", description="Why the data are read (recorded in the access log)."
        ),
    ] = "CASE_HANDLING",  # type: ignore[assignment]
    actor_role: Annotated[
        ActorRole | None,  # type: ignore[valid-type]
        Header(
            alias="X-Actor-Role",
            description="Staff role of the person reading or answering (never a name); "
            "default for reads: OTHER.",
        ),
    ] = None,
) -> Reader:
    stated = actor_role is not None
    return Reader(principal, str(purpose), str(actor_role or "OTHER"), context, role_stated=stated)


CaseReader = Annotated[Reader, Depends(reader)]
