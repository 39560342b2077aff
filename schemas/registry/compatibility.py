"""Schema evolution rules (Confluent's compatibility modes) on the reference Avro checker.

BACKWARD: consumers using the new schema can read data written with the previous one.
FORWARD: consumers using the previous schema can read data written with the new one.
FULL: both. The ``_TRANSITIVE`` variants check against every earlier version, not only the last.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType


class Compatibility(StrEnum):
    NONE = "NONE"
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"

    @property
    def transitive(self) -> bool:
        return self.endswith("_TRANSITIVE")

    @property
    def checks_backward(self) -> bool:
        return self.startswith(("BACKWARD", "FULL"))

    @property
    def checks_forward(self) -> bool:
        return self.startswith(("FORWARD", "FULL"))


DEFAULT_COMPATIBILITY = Compatibility.FULL_TRANSITIVE
"""The one rule (decision 0007): every new version is read by every reader of every earlier one,
and reads everything they wrote. The embedded registry's default, deploy/'s registry and CI's
schema check all use this constant."""


@dataclass(frozen=True)
class CompatibilityResult:
    compatible: bool
    messages: list[str] = field(default_factory=list)


def _reference(schema: Any) -> avro.schema.Schema:
    text = schema if isinstance(schema, str) else json.dumps(schema)
    return avro.schema.parse(text)


def _can_read(reader: avro.schema.Schema, writer: avro.schema.Schema) -> list[str]:
    result = ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    kinds = ", ".join(sorted(k.value for k in result.incompatibilities))
    where = ", ".join(sorted(result.locations))
    return [f"{message} [{kinds} at {where}]" for message in sorted(result.messages)] or [kinds]


def check(
    candidate: Any, earlier: Sequence[tuple[int, Any]], mode: Compatibility
) -> CompatibilityResult:
    """Is ``candidate`` compatible with the ``(version, schema)`` pairs of ``earlier`` (oldest
    first) under ``mode``? A mode that is not transitive looks at the last pair only."""
    if mode is Compatibility.NONE or not earlier:
        return CompatibilityResult(True)
    new = _reference(candidate)
    against = earlier if mode.transitive else earlier[-1:]
    messages: list[str] = []
    for version, old_schema in against:
        old = _reference(old_schema)
        if mode.checks_backward:
            messages += [f"version {version}, new reads old: {m}" for m in _can_read(new, old)]
        if mode.checks_forward:
            messages += [f"version {version}, old reads new: {m}" for m in _can_read(old, new)]
    return CompatibilityResult(not messages, messages)
