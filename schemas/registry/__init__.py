"""Schema registries behind one interface: the embedded one (SQL) and any Confluent-compatible one,
chosen by URL in ``open_registry``."""

from __future__ import annotations

from schemas.registry.compatibility import (
    DEFAULT_COMPATIBILITY,
    Compatibility,
    CompatibilityResult,
)
from schemas.registry.confluent import ConfluentRegistry
from schemas.registry.embedded import EmbeddedRegistry
from schemas.registry.port import (
    DeletionRefused,
    IncompatibleSchema,
    ManagedRegistry,
    Mode,
    ReadOnly,
    RegisteredSchema,
    RegistryError,
    RuleNotSet,
    SchemaNotFound,
    SchemaRegistry,
    SubjectNotFound,
    SubjectVersion,
    VersionNotFound,
    schema_text,
)

__all__ = [
    "DEFAULT_COMPATIBILITY",
    "Compatibility",
    "CompatibilityResult",
    "ConfluentRegistry",
    "DeletionRefused",
    "EmbeddedRegistry",
    "IncompatibleSchema",
    "ManagedRegistry",
    "Mode",
    "ReadOnly",
    "RegisteredSchema",
    "RegistryError",
    "RuleNotSet",
    "SchemaNotFound",
    "SchemaRegistry",
    "SubjectNotFound",
    "SubjectVersion",
    "VersionNotFound",
    "open_registry",
    "schema_text",
]


def open_registry(url: str) -> ManagedRegistry:
    """The registry for ``url``: ``http(s)://`` a Confluent-compatible one, else embedded SQL."""
    if url.startswith(("http://", "https://")):
        return ConfluentRegistry(url)
    return EmbeddedRegistry.from_url(url)
