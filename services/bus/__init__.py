"""The bus port and its two engines, chosen by URL in one place."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from services.bus.port import (
    BadRecord,
    Bus,
    BusError,
    CommitFailed,
    Consumer,
    Headers,
    Outgoing,
    Reader,
    Record,
    TopicPartition,
    consume,
)

__all__ = [
    "BadRecord",
    "Bus",
    "BusError",
    "CommitFailed",
    "Consumer",
    "Headers",
    "Outgoing",
    "Reader",
    "Record",
    "TopicPartition",
    "consume",
    "open_bus",
]


def open_bus(
    url: str,
    *,
    default_partitions: int = 3,
    partitions_by_prefix: Mapping[str, int] | None = None,
) -> Bus:
    """The engine for ``url``: ``kafka://``, ``sqlite:///`` or ``postgresql://``.

    A topic created without a count gets the count of the first prefix of
    ``partitions_by_prefix`` its name starts with, else ``default_partitions``.
    """
    scheme = urlsplit(url).scheme.split("+")[0]
    if scheme == "kafka":
        from services.bus.kafka import KafkaBus

        return KafkaBus.from_url(
            url,
            default_partitions=default_partitions,
            partitions_by_prefix=partitions_by_prefix,
        )
    if scheme in {"sqlite", "postgresql", "postgres"}:
        from services.bus.sqllog import SqlLogBus

        return SqlLogBus.from_url(
            url,
            default_partitions=default_partitions,
            partitions_by_prefix=partitions_by_prefix,
        )
    raise ValueError(f"unsupported bus URL {url!r}: use kafka://, sqlite:/// or postgresql://")
