"""The bus port and its two engines, chosen by URL in one place."""

from __future__ import annotations

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


def open_bus(url: str, *, default_partitions: int = 3) -> Bus:
    """The engine for ``url``: ``kafka://``, ``sqlite:///`` or ``postgresql://``."""
    scheme = urlsplit(url).scheme.split("+")[0]
    if scheme == "kafka":
        from services.bus.kafka import KafkaBus

        return KafkaBus.from_url(url, default_partitions=default_partitions)
    if scheme in {"sqlite", "postgresql", "postgres"}:
        from services.bus.sqllog import SqlLogBus

        return SqlLogBus.from_url(url, default_partitions=default_partitions)
    raise ValueError(f"unsupported bus URL {url!r}: use kafka://, sqlite:/// or postgresql://")
