"""The shared contract: Avro schemas, the catalogue that loads them once, codec and registry."""

from schemas.catalogue import Catalogue, CatalogueError, EventSchema, catalogue
from schemas.codec import Codec, Decoded, DecodeError, EncodeError
from schemas.registry import (
    Compatibility,
    CompatibilityResult,
    EmbeddedRegistry,
    IncompatibleSchema,
    RegistryError,
    SchemaNotFound,
    SchemaRegistry,
    open_registry,
)

__all__ = [
    "Catalogue",
    "CatalogueError",
    "Codec",
    "Compatibility",
    "CompatibilityResult",
    "DecodeError",
    "Decoded",
    "EmbeddedRegistry",
    "EncodeError",
    "EventSchema",
    "IncompatibleSchema",
    "RegistryError",
    "SchemaNotFound",
    "SchemaRegistry",
    "catalogue",
    "open_registry",
]
