"""What every schema registry answers, whichever holds the schemas: the interface and its errors.

Subjects follow the record-name strategy (one subject per event type, ``rs.povezimo.events.X``).
Two ports: :class:`SchemaRegistry` is what the codec and the platform need (register, read by id);
:class:`ManagedRegistry` adds what an operator and a CI pipeline do (look up, delete, set the
compatibility rule and the mode), the way Confluent's REST API does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, Protocol, runtime_checkable

from schemas.catalogue import canonical_json
from schemas.registry.compatibility import Compatibility, CompatibilityResult
from services.platform.errors import KeepsItsParts

Scope = Literal["subject", "version"]


class RegistryError(KeepsItsParts, RuntimeError):
    """The registry could not answer (unreachable, or an error of its own)."""


class SchemaNotFound(RegistryError, LookupError):
    """No schema with that id, or not under that subject."""


class SubjectNotFound(SchemaNotFound):
    """No such subject (or every version of it is soft-deleted)."""


class VersionNotFound(SchemaNotFound):
    """The subject exists but has no such version."""


class IncompatibleSchema(RegistryError):
    """Registration refused by the compatibility rule; ``messages`` say why."""

    def __init__(self, subject: str, messages: list[str]) -> None:
        self.subject = subject
        self.messages = messages
        super().__init__(f"schema for {subject} is incompatible: " + "; ".join(messages))


class DeletionRefused(RegistryError):
    """A delete the two-step rule forbids: soft-deleting twice, or deleting permanently what was
    not soft-deleted first (``already_deleted`` says which)."""

    def __init__(self, scope: Scope, already_deleted: bool, message: str) -> None:
        self.scope, self.already_deleted = scope, already_deleted
        super().__init__(message)


class RuleNotSet(RegistryError, LookupError):
    """The subject has no compatibility level (or mode) of its own."""

    def __init__(self, rule: Literal["compatibility", "mode"], subject: str) -> None:
        self.rule, self.subject = rule, subject
        super().__init__(f"subject {subject!r} has no {rule} of its own")


class ReadOnly(RegistryError):
    """The registry, or the subject, is in READONLY mode: nothing may change."""


class Mode(StrEnum):
    """What the registry lets clients do. IMPORT (registering with given ids) is not offered."""

    READWRITE = "READWRITE"
    READONLY = "READONLY"


@dataclass(frozen=True)
class RegisteredSchema:
    subject: str
    version: int
    schema_id: int
    schema: str


@dataclass(frozen=True)
class SubjectVersion:
    subject: str
    version: int


@runtime_checkable
class SchemaRegistry(Protocol):
    def register(self, subject: str, schema: Any) -> int:
        """Register ``schema`` (JSON text or object) under ``subject``; returns its global id."""
        ...

    def schema_by_id(self, schema_id: int) -> str:
        """The schema text with that id; :class:`SchemaNotFound` if there is none."""
        ...

    def subjects(self, *, deleted: bool = False) -> list[str]: ...

    def versions(self, subject: str, *, deleted: bool = False) -> list[int]: ...

    def version(
        self, subject: str, version: int | str = "latest", *, deleted: bool = False
    ) -> RegisteredSchema: ...

    def check_compatibility(self, subject: str, schema: Any) -> CompatibilityResult:
        """Would ``schema`` register under ``subject``'s rule (every version it checks against)?"""
        ...


@runtime_checkable
class ManagedRegistry(SchemaRegistry, Protocol):
    def lookup(self, subject: str, schema: Any, *, deleted: bool = False) -> RegisteredSchema:
        """The version of ``subject`` that holds ``schema``; :class:`SchemaNotFound` if none."""
        ...

    def check_against(
        self, subject: str, schema: Any, version: int | str = "latest"
    ) -> CompatibilityResult:
        """Is ``schema`` compatible with that one version, in the direction the rule asks?"""
        ...

    def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]: ...

    def delete_version(
        self, subject: str, version: int | str, *, permanent: bool = False
    ) -> int: ...

    def subjects_of(self, schema_id: int, *, deleted: bool = False) -> list[str]: ...

    def versions_of(self, schema_id: int, *, deleted: bool = False) -> list[SubjectVersion]: ...

    def compatibility(
        self, subject: str | None = None, *, default_to_global: bool = False
    ) -> Compatibility:
        """The level of ``subject`` (or the global one); :class:`RuleNotSet` if it has none."""
        ...

    def set_compatibility(
        self, level: Compatibility, subject: str | None = None
    ) -> Compatibility: ...

    def delete_compatibility(self, subject: str | None = None) -> Compatibility:
        """Forget the level of ``subject`` (or reset the global one); returns the one it had."""
        ...

    def mode(self, subject: str | None = None, *, default_to_global: bool = False) -> Mode: ...

    def set_mode(self, mode: Mode, subject: str | None = None) -> Mode: ...

    def delete_mode(self, subject: str | None = None) -> Mode: ...


def schema_text(schema: Any) -> str:
    """Normalised JSON text of a schema given as text or object."""
    return canonical_json(json.loads(schema) if isinstance(schema, str) else schema)
