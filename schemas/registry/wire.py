"""Confluent's REST wire, shared by our client (``confluent.py``) and our server
(``services/api/registry.py``): media types and the ``error_code`` of every registry error.

Confluent's codes are the HTTP status followed by two digits of its own (40401 subject not found,
42201 invalid schema); a few are the bare status (409 incompatible, 401 unauthenticated).
"""

from __future__ import annotations

from schemas.registry.port import (
    DeletionRefused,
    IncompatibleSchema,
    ReadOnly,
    RegistryError,
    RuleNotSet,
    SchemaNotFound,
    SubjectNotFound,
    VersionNotFound,
)

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
MEDIA_TYPES = (CONTENT_TYPE, "application/vnd.schemaregistry+json", "application/json")
"""What a request may send and ask for (plus ``*/*`` and ``application/octet-stream``)."""

SUBJECT_NOT_FOUND = 40401
VERSION_NOT_FOUND = 40402
SCHEMA_NOT_FOUND = 40403
SUBJECT_SOFT_DELETED = 40404
SUBJECT_NOT_SOFT_DELETED = 40405
VERSION_SOFT_DELETED = 40406
VERSION_NOT_SOFT_DELETED = 40407
COMPATIBILITY_NOT_SET = 40408
MODE_NOT_SET = 40409
ASSOCIATION_NOT_FOUND = 40410
INCOMPATIBLE = 409
INVALID_SCHEMA = 42201
INVALID_VERSION = 42202
INVALID_COMPATIBILITY = 42203
INVALID_MODE = 42204
NOT_PERMITTED = 42205
INVALID_ASSOCIATION = 42212
UNAUTHENTICATED = 401
FORBIDDEN = 40301
STORE_ERROR = 50001


def error_code(error: RegistryError) -> tuple[int, int]:
    """The HTTP status and Confluent ``error_code`` that answer ``error``."""
    if isinstance(error, SubjectNotFound):
        return 404, SUBJECT_NOT_FOUND
    if isinstance(error, VersionNotFound):
        return 404, VERSION_NOT_FOUND
    if isinstance(error, RuleNotSet):
        return 404, COMPATIBILITY_NOT_SET if error.rule == "compatibility" else MODE_NOT_SET
    if isinstance(error, SchemaNotFound):
        return 404, SCHEMA_NOT_FOUND
    if isinstance(error, DeletionRefused):
        return 404, _DELETION_CODES[(error.scope, error.already_deleted)]
    if isinstance(error, IncompatibleSchema):
        return 409, INCOMPATIBLE
    if isinstance(error, ReadOnly):
        return 422, NOT_PERMITTED
    return 500, STORE_ERROR


_DELETION_CODES = {
    ("subject", True): SUBJECT_SOFT_DELETED,
    ("subject", False): SUBJECT_NOT_SOFT_DELETED,
    ("version", True): VERSION_SOFT_DELETED,
    ("version", False): VERSION_NOT_SOFT_DELETED,
}


def error_from(status: int, code: int, message: str, subject: str = "") -> RegistryError:
    """The registry error a Confluent answer stands for (the inverse of :func:`error_code`)."""
    if code == SUBJECT_NOT_FOUND:
        return SubjectNotFound(message)
    if code == VERSION_NOT_FOUND:
        return VersionNotFound(message)
    if code == SCHEMA_NOT_FOUND:
        return SchemaNotFound(message)
    if code in {COMPATIBILITY_NOT_SET, MODE_NOT_SET}:
        return RuleNotSet("compatibility" if code == COMPATIBILITY_NOT_SET else "mode", subject)
    for (scope, already), known in _DELETION_CODES.items():
        if code == known:
            return DeletionRefused(scope, already, message)  # type: ignore[arg-type]
    if code in {INCOMPATIBLE, 40901} or status == 409:
        return IncompatibleSchema(subject, [message])
    if code == NOT_PERMITTED:
        return ReadOnly(message)
    if status == 404:
        return SchemaNotFound(message)
    return RegistryError(f"registry answered {status} ({code}): {message}")
