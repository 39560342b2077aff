"""What every schema registry answers, whichever holds the schemas: the interface and its errors.

Subjects follow the record-name strategy (one subject per event type, ``rs.povezimo.events.X``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from schemas.catalogue import canonical_json
from schemas.registry.compatibility import CompatibilityResult


class RegistryError(RuntimeError):
    """The registry could not answer (unreachable, or an error of its own)."""


class SchemaNotFound(RegistryError, LookupError):
    """No schema with that id, subject or version."""


class IncompatibleSchema(RegistryError):
    """Registration refused by the compatibility rule; ``messages`` say why."""

    def __init__(self, subject: str, messages: list[str]) -> None:
        self.subject = subject
        self.messages = messages
        super().__init__(f"schema for {subject} is incompatible: " + "; ".join(messages))


@dataclass(frozen=True)
class RegisteredSchema:
    subject: str
    version: int
    schema_id: int
    schema: str


@runtime_checkable
class SchemaRegistry(Protocol):
    def register(self, subject: str, schema: Any) -> int:
        """Register ``schema`` (JSON text or object) under ``subject``; returns its global id."""
        ...

    def schema_by_id(self, schema_id: int) -> str:
        """The schema text with that id; :class:`SchemaNotFound` if there is none."""
        ...

    def subjects(self) -> list[str]: ...

    def versions(self, subject: str) -> list[int]: ...

    def version(self, subject: str, version: int | str = "latest") -> RegisteredSchema: ...

    def check_compatibility(self, subject: str, schema: Any) -> CompatibilityResult: ...


def schema_text(schema: Any) -> str:
    """Normalised JSON text of a schema given as text or object."""
    return canonical_json(json.loads(schema) if isinstance(schema, str) else schema)
