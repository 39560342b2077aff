"""Every error the API answers has one JSON shape: ``{"code", "message", "problems"?}``.

``code`` is stable and machine-readable; ``message`` is for a person; ``problems`` lists what is
wrong with a request body, field by field. No answer ever carries a stack trace: an unexpected
failure is logged here and answered as ``internal_error``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from consumers.runner import is_outage
from services.platform.errors import KeepsItsParts

log = logging.getLogger(__name__)


class Problem(BaseModel):
    """One thing wrong with a request: where, what kind, and in words."""

    location: list[str | int] = Field(description="Path to the offending value, e.g. body.header.")
    code: str = Field(description="Machine-readable kind of problem, e.g. missing, uuid_parsing.")
    message: str


class ErrorBody(BaseModel):
    code: str = Field(description="Machine-readable error code.")
    message: str
    problems: list[Problem] | None = None


class ApiError(KeepsItsParts, Exception):
    """An answer other than success, with its HTTP status and machine-readable code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        problems: Sequence[Problem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.problems = list(problems) if problems is not None else None
        self.headers = headers

    def body(self) -> dict[str, Any]:
        return ErrorBody(code=self.code, message=self.message, problems=self.problems).model_dump(
            exclude_none=True
        )


def not_found(what: str, code: str | None = None) -> ApiError:
    return ApiError(404, code or f"{what.replace(' ', '_')}_not_found", f"no such {what}")


def problems_of(
    error: ValidationError | RequestValidationError, prefix: Sequence[str] = ()
) -> list[Problem]:
    """Pydantic's errors as problems, without echoing the input back (it may hold personal data)."""
    return [
        Problem(
            location=[*prefix, *(str(p) if not isinstance(p, int) else p for p in e["loc"])],
            code=e["type"],
            message=e["msg"],
        )
        for e in error.errors()
    ]


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


# Status codes Starlette raises by itself (unknown path, wrong method, …), named for machines.
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "body_too_large",
    415: "unsupported_media_type",
}


RETRY_AFTER_S = 5  # what a 503 asks the caller to wait: outages the runners see last seconds


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    def _api_error(_request: Request, error: ApiError) -> JSONResponse:
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(
            ApiError(422, "invalid_request", "the request is not valid", problems_of(error))
        )

    @app.exception_handler(StarletteHTTPException)
    def _http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(error.status_code, f"http_{error.status_code}")
        message = error.detail if isinstance(error.detail, str) else code.replace("_", " ")
        headers = dict(error.headers) if error.headers else None
        return error_response(ApiError(error.status_code, code, message, headers=headers))

    @app.exception_handler(Exception)
    def _unexpected(request: Request, error: Exception) -> JSONResponse:
        if is_outage(error):
            # A database or the bus is down: the caller's request was fine and is worth again.
            log.warning(
                "%s %s: a dependency is down (%s)",
                request.method,
                request.url.path,
                type(error).__name__,
            )
            return error_response(
                ApiError(
                    503,
                    "unavailable",
                    "a database or the bus is down for a moment; nothing was taken: retry",
                    headers={"Retry-After": str(RETRY_AFTER_S)},
                )
            )
        # Logged with the trace for operators; the caller learns only that it was not its fault.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(
            ApiError(500, "internal_error", "the server could not answer; the error is logged")
        )
