"""Who is calling: the bearer token becomes a :class:`Principal`, and each route says which roles
it serves. A missing, unknown or revoked token is 401; a valid token of the wrong role is 403."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.api.context import ApiContext, api_context
from services.api.errors import ApiError
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


def registry_guard(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    context: Annotated[ApiContext, Depends(api_context)],
) -> None:
    """Schema reads are open (the schemas are the published contract, and Kafka tooling reads
    them); registering or checking a schema takes an admin token."""
    if request.method in {"GET", "HEAD"}:
        return
    principal = current_principal(request, credentials, context)
    require(Role.ADMIN)(principal)
