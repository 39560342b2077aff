"""The event catalogue: every ``.avsc`` under ``schemas/avro``, loaded and parsed once.

``common/`` holds the shared named types (one per file), ``events/`` one record per event type,
``platform/`` the platform's own messages that are not case events (rejections).
Each event is also made *self-contained* (every named type it uses defined inline at its first
use) because that is the form a schema registry stores and other Avro tools read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from fastavro.schema import parse_schema

SCHEMA_DIR = Path(__file__).parent / "avro"
EVENTS_NAMESPACE = "rs.povezimo.events"
PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}

Schema = Any  # JSON form of an Avro schema: str | list | dict


class CatalogueError(ValueError):
    """A schema file is missing, malformed or refers to an unknown type."""


@dataclass(frozen=True)
class EventSchema:
    """One event type: its self-contained schema, parsed once for fastavro."""

    name: str
    full_name: str
    schema: dict[str, Any]
    parsed: Any = field(repr=False, compare=False)

    @property
    def subject(self) -> str:
        """Registry subject (record-name strategy): one subject per event type on any topic."""
        return self.full_name

    @property
    def text(self) -> str:
        return canonical_json(self.schema)

    @property
    def fingerprint(self) -> str:
        return schema_fingerprint(self.schema)


def canonical_json(schema: Schema) -> str:
    """Compact JSON with sorted keys: equal schemas give equal text."""
    return json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def schema_fingerprint(schema: Schema) -> str:
    return hashlib.sha256(canonical_json(schema).encode()).hexdigest()


def full_name(name: str, namespace: str | None) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"


class Catalogue:
    """Shared types and event schemas read from a schema directory."""

    def __init__(self, directory: Path = SCHEMA_DIR) -> None:
        self.directory = directory
        self.named: dict[str, dict[str, Any]] = {}
        for path in sorted((directory / "common").glob("*.avsc")):
            definition = _read(path)
            self.named[full_name(definition["name"], definition.get("namespace"))] = definition
        self.events: dict[str, EventSchema] = {}
        for path in sorted((directory / "events").glob("*.avsc")):
            event = self._load_event(_read(path), path)
            self.events[event.name] = event
        if not self.events:
            raise CatalogueError(f"no event schemas under {directory / 'events'}")
        self.platform: dict[str, EventSchema] = {}
        for path in sorted((directory / "platform").glob("*.avsc")):
            record = self._load_event(_read(path), path)
            self.platform[record.name] = record
        self._by_full_name = {
            r.full_name: r for r in [*self.events.values(), *self.platform.values()]
        }

    def _load_event(self, raw: dict[str, Any], path: Path) -> EventSchema:
        name = raw.get("name")
        if raw.get("type") != "record" or not name:
            raise CatalogueError(f"{path.name}: a message schema must be a named record")
        schema = self.self_contained(raw)
        try:
            parsed = parse_schema(schema, named_schemas={})
        except Exception as error:
            raise CatalogueError(f"{path.name}: {error}") from error
        return EventSchema(
            name=name,
            full_name=full_name(name, raw.get("namespace", EVENTS_NAMESPACE)),
            schema=schema,
            parsed=parsed,
        )

    def self_contained(self, schema: dict[str, Any]) -> dict[str, Any]:
        """``schema`` with each shared type it uses defined inline once, at its first use."""
        defined: set[str] = set()
        result = self._inline(schema, schema.get("namespace"), defined)
        assert isinstance(result, dict)
        return result

    def _inline(self, schema: Schema, namespace: str | None, defined: set[str]) -> Schema:
        if isinstance(schema, str):
            if schema in PRIMITIVES:
                return schema
            name = self._resolve(schema, namespace)
            if name in defined:
                return name
            if name not in self.named:
                raise CatalogueError(f"unknown type {schema!r} (namespace {namespace!r})")
            definition = self.named[name]
            return self._inline(definition, definition.get("namespace"), defined)
        if isinstance(schema, list):
            return [self._inline(branch, namespace, defined) for branch in schema]
        kind = schema.get("type")
        result = dict(schema)
        if kind in {"record", "error", "enum", "fixed"}:
            namespace = schema.get("namespace", namespace)
            defined.add(full_name(schema["name"], namespace))
        if kind in {"record", "error"}:
            result["fields"] = [
                {**f, "type": self._inline(f["type"], namespace, defined)} for f in schema["fields"]
            ]
        elif kind == "array":
            result["items"] = self._inline(schema["items"], namespace, defined)
        elif kind == "map":
            result["values"] = self._inline(schema["values"], namespace, defined)
        elif isinstance(kind, (dict, list)):
            result["type"] = self._inline(kind, namespace, defined)
        return result

    def _resolve(self, name: str, namespace: str | None) -> str:
        candidate = full_name(name, namespace)
        if candidate in self.named or "." in name:
            return candidate
        # A short name not found in the current namespace: try the shared one.
        matches = [n for n in self.named if n.rsplit(".", 1)[-1] == name]
        return matches[0] if len(matches) == 1 else candidate

    def event(self, name: str) -> EventSchema:
        try:
            return self.events[name]
        except KeyError:
            raise CatalogueError(f"unknown event type {name!r}") from None

    def record(self, name: str) -> EventSchema:
        """An event type or a platform message, by name."""
        found = self.events.get(name) or self.platform.get(name)
        if found is None:
            raise CatalogueError(f"unknown record type {name!r}")
        return found

    def by_full_name(self, full: str) -> EventSchema | None:
        return self._by_full_name.get(full)

    def __iter__(self) -> Iterator[EventSchema]:
        return iter(self.events.values())

    def __len__(self) -> int:
        return len(self.events)


def _read(path: Path) -> dict[str, Any]:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise CatalogueError(f"{path}: {error}") from error
    if not isinstance(schema, dict) or "name" not in schema:
        raise CatalogueError(f"{path}: expected one named type")
    return schema


@cache
def catalogue() -> Catalogue:
    """The catalogue shipped with the package, parsed on first use and shared afterwards."""
    return Catalogue()
