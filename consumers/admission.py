"""Bounds a submission must keep before the exchange reads its rules: size, field lengths, time.

Pure functions of the decoded record and the moment it reached the bus, so they are tested without
I/O. They exist because a hostile or broken system can send anything the schema allows: a valid
Avro string of a megabyte, ten thousand subject ids, an event that "happened" in 1970. Each would
otherwise land in ``case-events`` forever, or stop the exchange on a database column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

MAX_SUBMISSION_BYTES = 256 * 1024
"""A rejection carries the original bytes: bounded here, it stays under Kafka's 1 MiB default."""
ORIGINAL_PREFIX_BYTES = 4 * 1024
"""What a rejection keeps of a larger submission (with its size and digest): enough to know it."""
MAX_STRING_CHARS = 1_000
"""Every string of the catalogue is an id, a slug or a code; none comes near this."""
MAX_ITEMS = 500
"""Arrays and maps name subjects, institutions, measures: a case never has this many."""
EARLIEST_OCCURRED_AT = dt.datetime(2017, 6, 1, tzinfo=dt.UTC)
"""The Law on Prevention of Domestic Violence applies from 1 June 2017: no act under it is older.
(When the incident itself is older, the report says so in its own field, not in the header.)"""


def size_problem(value: bytes | None) -> tuple[str, str] | None:
    if value is not None and len(value) > MAX_SUBMISSION_BYTES:
        return (
            "record_too_large",
            f"{len(value)} bytes; a submission may have at most {MAX_SUBMISSION_BYTES}",
        )
    return None


def oversized_fields(value: Any, path: str = "") -> Iterator[str]:
    """Paths of strings, byte strings, arrays and maps in ``value`` longer than the bounds."""
    if isinstance(value, str | bytes):
        if len(value) > MAX_STRING_CHARS:
            yield path or "."
    elif isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            yield path or "."
        for name, item in value.items():
            yield from oversized_fields(item, f"{path}.{name}" if path else str(name))
    elif isinstance(value, list | tuple):
        if len(value) > MAX_ITEMS:
            yield path or "."
        for index, item in enumerate(value):
            yield from oversized_fields(item, f"{path}[{index}]")


def field_problem(event: dict[str, Any]) -> tuple[str, str] | None:
    for path in oversized_fields(event):
        return (
            "field_too_long",
            f"{path} is longer than allowed ({MAX_STRING_CHARS} characters, {MAX_ITEMS} items)",
        )
    return None


def time_problem(
    header: dict[str, Any], received: dt.datetime, skew: dt.timedelta
) -> tuple[str, str] | None:
    """Times that cannot be true of an act under the law, judged against the receipt time.

    (``occurred_at`` after the receipt is the exchange's own ``occurred_in_future`` rule.)
    """
    occurred: dt.datetime = header["occurred_at"]
    recorded: dt.datetime = header["recorded_at"]
    if occurred < EARLIEST_OCCURRED_AT:
        return (
            "occurred_before_law",
            f"occurred_at {occurred:%Y-%m-%d} is before the law applied "
            f"({EARLIEST_OCCURRED_AT:%Y-%m-%d})",
        )
    if recorded < EARLIEST_OCCURRED_AT:
        return (
            "recorded_before_law",
            f"recorded_at {recorded:%Y-%m-%d} is before the law applied "
            f"({EARLIEST_OCCURRED_AT:%Y-%m-%d})",
        )
    if recorded > received + skew:
        return (
            "recorded_in_future",
            f"recorded_at {recorded:%Y-%m-%dT%H:%M:%SZ} is after its receipt "
            f"{received:%Y-%m-%dT%H:%M:%SZ}",
        )
    return None
