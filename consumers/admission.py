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
EARLIEST_PROGRAMME_DATE = dt.datetime(2002, 1, 1, tzinfo=dt.UTC)
"""Programme events (agreements, trainings, campaigns) are not acts under that law, and the seed's
own programme ran in 2006-2007. Domestic violence became a criminal offence in Serbia in 2002
(Criminal Code Art. 118a): no coordinated action against it as such is older, so an earlier date
is a broken clock, not history (docs/decisions/0022-programme-events-before-the-law.md)."""


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
    return _times_problem(header, received, skew, EARLIEST_OCCURRED_AT, "law", "the law applied")


def programme_time_problem(
    header: dict[str, Any], received: dt.datetime, skew: dt.timedelta
) -> tuple[str, str] | None:
    """The same bounds for a programme event, whose history may reach before the law (a 2006
    seminar) but not before any programme against domestic violence could have existed."""
    return _times_problem(
        header,
        received,
        skew,
        EARLIEST_PROGRAMME_DATE,
        "programmes",
        "domestic violence was an offence (programme events)",
    )


def _times_problem(
    header: dict[str, Any],
    received: dt.datetime,
    skew: dt.timedelta,
    earliest: dt.datetime,
    code_suffix: str,
    since: str,
) -> tuple[str, str] | None:
    occurred: dt.datetime = header["occurred_at"]
    recorded: dt.datetime = header["recorded_at"]
    for name, value in (("occurred", occurred), ("recorded", recorded)):
        if value < earliest:
            return (
                f"{name}_before_{code_suffix}",
                f"{name}_at {value:%Y-%m-%d} is before {since} ({earliest:%Y-%m-%d})",
            )
    if recorded > received + skew:
        return (
            "recorded_in_future",
            f"recorded_at {recorded:%Y-%m-%dT%H:%M:%SZ} is after its receipt "
            f"{received:%Y-%m-%dT%H:%M:%SZ}",
        )
    return None
