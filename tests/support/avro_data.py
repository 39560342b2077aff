"""Hypothesis strategies that produce valid data for any (self-contained) Avro schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from schemas.catalogue import EventSchema, full_name

UTC = dt.UTC
_TIMESTAMPS = st.datetimes(
    min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(UTC)
)
_PRIMITIVES: dict[str, st.SearchStrategy[Any]] = {
    "null": st.none(),
    "boolean": st.booleans(),
    "int": st.integers(-(2**31), 2**31 - 1),
    "long": st.integers(-(2**63), 2**63 - 1),
    "float": st.floats(allow_nan=False, width=32),
    "double": st.floats(allow_nan=False),
    "string": st.text(max_size=20),
    "bytes": st.binary(max_size=32),
}


def datum(schema: Any, named: dict[str, Any] | None = None, namespace: str | None = None) -> Any:
    """A strategy for values of ``schema``; named types are remembered as they are defined."""
    named = {} if named is None else named
    if isinstance(schema, str):
        if schema in _PRIMITIVES:
            return _PRIMITIVES[schema]
        return named[full_name(schema, namespace)]
    if isinstance(schema, list):
        return st.one_of([datum(branch, named, namespace) for branch in schema])
    kind, logical = schema["type"], schema.get("logicalType")
    if logical == "uuid":
        return st.uuids()
    if logical in {"timestamp-micros", "timestamp-millis"}:
        return _TIMESTAMPS
    if logical == "date":
        return st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1))
    if kind == "enum":
        strategy = st.sampled_from(schema["symbols"])
        named[full_name(schema["name"], schema.get("namespace", namespace))] = strategy
        return strategy
    if kind == "record":
        namespace = schema.get("namespace", namespace)
        fields = {f["name"]: datum(f["type"], named, namespace) for f in schema["fields"]}
        strategy = st.fixed_dictionaries(fields)
        named[full_name(schema["name"], namespace)] = strategy
        return strategy
    if kind == "array":
        return st.lists(datum(schema["items"], named, namespace), max_size=3)
    if kind == "map":
        return st.dictionaries(st.text(max_size=5), datum(schema["values"], named, namespace))
    return datum(kind, named, namespace)


def event_datum(event: EventSchema) -> st.SearchStrategy[dict[str, Any]]:
    """A valid record of ``event`` whose header names the event type."""

    def name_it(record: dict[str, Any]) -> dict[str, Any]:
        record["header"]["event_type"] = event.name
        return record

    return datum(event.schema).map(name_it)
