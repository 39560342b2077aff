"""Confluent's Schema Registry REST API over our registry, so standard Kafka tooling can use it:
the routes (``registry_subjects``, ``registry_schemas``, ``registry_rules``), Confluent's error
body ``{error_code, message}`` on every error of a registry path, and its media types."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from schemas.registry import ManagedRegistry, RegistryError
from schemas.registry.wire import (
    INVALID_ASSOCIATION,
    INVALID_COMPATIBILITY,
    INVALID_MODE,
    INVALID_SCHEMA,
    MEDIA_TYPES,
)
from services.api import registry_rules, registry_schemas, registry_subjects
from services.api.registry_wire import RegistryProblem

log = logging.getLogger(__name__)

PATHS = (
    "/subjects",
    "/schemas",
    "/config",
    "/mode",
    "/compatibility",
    "/contexts",
    "/associations",
)
"""Where the registry answers; an error on any of these is answered in Confluent's shape."""
_BODY_CODES = {
    "/config": INVALID_COMPATIBILITY,
    "/mode": INVALID_MODE,
    "/associations": INVALID_ASSOCIATION,
}
_GENERIC_BODIES = ("application/octet-stream",)
_STATUS_TEXT = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


def is_registry_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PATHS)


def _plain(status: int, text: str) -> RegistryProblem:
    """Confluent's answer to an error of HTTP itself: the status is the error code."""
    return RegistryProblem(status, status, f"HTTP {status} {text}")


def _invalid_request(request: Request, error: RequestValidationError) -> RegistryProblem:
    problems = error.errors()
    if any(p["type"] == "json_invalid" for p in problems):
        return RegistryProblem(400, 400, "the body is not JSON")
    said = "; ".join(
        f"{'.'.join(str(part) for part in p['loc'])}: {p['msg']}" for p in problems[:5]
    )
    if all(p["loc"][:1] == ("body",) for p in problems):
        code = next(
            (c for prefix, c in _BODY_CODES.items() if request.url.path.startswith(prefix)),
            INVALID_SCHEMA,
        )
        return RegistryProblem(422, code, f"invalid request body: {said}")
    return RegistryProblem(400, 400, f"invalid request: {said}")


async def _answer(previous: Any, request: Request, error: Exception) -> Response:
    result = previous(request, error)
    if inspect.isawaitable(result):
        result = await result
    answer: Response = result
    return answer


def _install_handlers(app: FastAPI) -> None:
    """Answer errors of registry paths in Confluent's shape; leave every other path's errors to
    the handlers installed before (the API's own shape, ``errors.py``)."""
    before = dict(app.exception_handlers)

    @app.exception_handler(RegistryProblem)
    def _problem(_request: Request, problem: RegistryProblem) -> Response:
        return problem.response()

    @app.exception_handler(RegistryError)
    async def _registry_error(request: Request, error: RegistryError) -> Response:
        if is_registry_path(request.url.path):
            if type(error) is RegistryError:  # the store failed, not the request
                log.warning("registry error on %s: %s", request.url.path, error)
            return RegistryProblem.of(error).response()
        fallback = before.get(Exception)
        if fallback is None:
            raise error
        return await _answer(fallback, request, error)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        if is_registry_path(request.url.path):
            return _invalid_request(request, error).response()
        previous = before.get(RequestValidationError, request_validation_exception_handler)
        return await _answer(previous, request, error)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        if is_registry_path(request.url.path):
            problem = _plain(error.status_code, _STATUS_TEXT.get(error.status_code, "Error"))
            problem.headers = dict(error.headers) if error.headers else None
            return problem.response()
        previous = before.get(StarletteHTTPException, http_exception_handler)
        return await _answer(previous, request, error)


class RegistryMediaTypes:
    """Confluent's media types on registry paths: a body may come as its own JSON types (or the
    generic ``application/octet-stream``, or with no type, read as JSON); an ``Accept`` that
    allows none of them is 406, a body of any other type 415."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_registry_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        sent = headers.get("content-type", "").split(";")[0].strip().lower()
        if sent and sent not in (*MEDIA_TYPES, *_GENERIC_BODIES):
            await _plain(415, "Unsupported Media Type").response()(scope, receive, send)
            return
        if not _acceptable(headers.get("accept", "")):
            await _plain(406, "Not Acceptable").response()(scope, receive, send)
            return
        if not sent or sent in _GENERIC_BODIES:  # a body is JSON, whatever it was sent as
            MutableHeaders(scope=scope)["content-type"] = "application/json"
        await self.app(scope, receive, send)


def _acceptable(accept: str) -> bool:
    if not accept.strip():
        return True
    wanted = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    return bool(wanted & {"*/*", "application/*", *MEDIA_TYPES})


def install(app: FastAPI, dependencies: Sequence[Any] = ()) -> None:
    """Mount the registry routes, Confluent's error answers and media types on ``app``;
    ``dependencies`` (e.g. an authorisation check) run before every route."""
    _install_handlers(app)
    app.add_middleware(RegistryMediaTypes)
    for module in (registry_subjects, registry_schemas, registry_rules):
        app.include_router(module.router, dependencies=list(dependencies))


def registry_app(registry: ManagedRegistry) -> FastAPI:
    """A stand-alone registry application (``povezimo serve`` mounts the same routes)."""
    app = FastAPI(title="Povezimo schema registry")
    app.state.registry = registry
    install(app)
    return app
