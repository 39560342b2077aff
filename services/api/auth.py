"""Who is calling: the bearer token becomes a :class:`Principal`, and each route says which roles
it serves. A missing, unknown or revoked token is 401; a valid token of the wrong role is 403."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from schemas.registry.wire import FORBIDDEN, UNAUTHENTICATED
from services.api.context import ApiContext, api_context
from services.api.errors import ApiError
from services.api.registry_wire import RegistryProblem
from services.api.tokens import Principal, Role

bearer = HTTPBearer(auto_error=False, description="A token from `povezimo tokens issue`.")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    context: Annotated[ApiContext, Depends(api_context)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            401, "missing_token", "send 'Authorization: Bearer <token>'", None, _CHALLENGE
        )
    found = context.tokens.authenticate(credentials.credentials)
    if found is None:
        raise ApiError(401, "invalid_token", "the token is not known", None, _CHALLENGE)
    if not isinstance(found, Principal):
        raise ApiError(401, "token_revoked", "the token was revoked", None, _CHALLENGE)
    request.state.principal = found
    return found


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets through only principals of ``roles``."""
    allowed = frozenset(roles)

    def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in allowed:
            raise ApiError(
                403,
                "role_not_permitted",
                f"a {principal.role} token cannot use this endpoint "
                f"(it serves: {', '.join(sorted(allowed))})",
            )
        return principal

    return check


InstitutionPrincipal = Annotated[Principal, Depends(require(Role.INSTITUTION))]
AdminPrincipal = Annotated[Principal, Depends(require(Role.ADMIN))]


_LOOKUP = re.compile(r"/subjects/[^/]+")


def registry_guard(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    context: Annotated[ApiContext, Depends(api_context)],
) -> None:
    """Schema reads are open (the schemas are the published contract, and Kafka tooling reads
    them), and so is looking a schema up (``POST /subjects/{subject}``): a producer that does not
    register schemas needs it to learn their ids, and it changes nothing. Registering, deleting,
    setting rules and checking compatibility (the reference checker is costly to run for
    anyone) take an admin token. Refusals come in Confluent's shape, so its clients can say why."""
    if request.method in {"GET", "HEAD"}:
        return
    if request.method == "POST" and _LOOKUP.fullmatch(request.url.path):
        return
    try:
        principal = current_principal(request, credentials, context)
        require(Role.ADMIN)(principal)
    except ApiError as refused:
        code = UNAUTHENTICATED if refused.status == 401 else FORBIDDEN
        raise RegistryProblem(refused.status, code, refused.message, refused.headers) from None
