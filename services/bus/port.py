"""The bus port: what every engine (Kafka, the SQL log) promises its callers.

The semantics are Kafka's, so code written against the port behaves the same on both engines:
topics split into partitions, a record's partition chosen by a hash of its key, offsets dense per
partition, consumer groups that split partitions between members and keep committed offsets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol, runtime_checkable

Headers = Sequence[tuple[str, bytes]]
Outgoing = tuple[str, bytes | None, bytes | None, Headers]
"""A record to publish: topic, key, value, headers."""


class TopicPartition(NamedTuple):
    topic: str
    partition: int


@dataclass(frozen=True, slots=True)
class Record:
    """One record as a consumer sees it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()
    timestamp_ms: int = 0

    @property
    def topic_partition(self) -> TopicPartition:
        return TopicPartition(self.topic, self.partition)

    def header(self, name: str) -> bytes | None:
        """The last value of a header, as Kafka clients conventionally read one."""
        for key, value in reversed(self.headers):
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class PublishedRecord:
    """Where a published record landed."""

    topic: str
    partition: int
    offset: int


class BusError(RuntimeError):
    """The engine could not do what was asked (broker unreachable, database error, …)."""


class CommitFailed(BusError):
    """The group moved on (a rebalance) before the commit: the records will be redelivered."""


AssignCallback = Callable[["Consumer", set[TopicPartition]], None]


@runtime_checkable
class Consumer(Protocol):
    """A member of a consumer group. Not thread-safe: give each member its own thread."""

    def poll(self, max_records: int = 500, timeout: float = 1.0) -> list[Record]:
        """Up to ``max_records`` records from the assigned partitions, waiting up to ``timeout``."""
        ...

    def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        """Commit the next offsets to read; ``None`` commits the positions reached by ``poll``."""
        ...

    def committed(self, tp: TopicPartition) -> int | None: ...

    def assignment(self) -> set[TopicPartition]: ...

    def position(self, tp: TopicPartition) -> int: ...

    def seek(self, tp: TopicPartition, offset: int) -> None: ...

    def seek_to_beginning(self, partitions: Iterable[TopicPartition] | None = None) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class Reader(Protocol):
    """Partitions read from given offsets outside any group: nothing is joined or committed.

    For a reader that knows where to start (an auditor comparing the log with its archive, an
    inbox read from a caller's cursor): joining a group would cost a rebalance, seconds on a
    broker, for partitions no one else shares.
    """

    def poll(self, max_records: int = 500, timeout: float = 1.0) -> list[Record]:
        """Up to ``max_records`` records, waiting up to ``timeout`` for the first."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Bus(Protocol):
    """A topic/partition/offset log with consumer groups."""

    url: str

    def publish(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: Headers = (),
        *,
        timestamp_ms: int | None = None,
    ) -> None:
        """Hand a record to the engine; it is durable once ``flush`` returns.

        ``timestamp_ms`` keeps a record's original time when a log is restored from the archive
        (default: now).
        """
        ...

    def publish_all(self, records: Iterable[Outgoing]) -> None:
        """Publish every record and return once all are durable (``BusError`` otherwise);
        inside ``batch`` they join the block's records and are durable when it ends.

        Each partition's records keep the order given; an engine may send different
        partitions' records in another order (Kafka keeps no order across partitions).
        """
        ...

    def flush(self, timeout: float | None = None) -> None: ...

    def batch(self) -> AbstractContextManager[None]:
        """Publishes inside the block go out together; they are durable when it ends."""
        ...

    def create_topic(self, topic: str, partitions: int | None = None) -> None:
        """Create a topic if it does not exist yet (idempotent)."""
        ...

    def list_topics(self) -> set[str]: ...

    def partitions_for(self, topic: str) -> int: ...

    def partition_counts(self, topics: Iterable[str]) -> dict[str, int]:
        """``partitions_for`` of many topics at once (a broker answers them in one request)."""
        ...

    def end_offsets(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        """The offset the next record of each partition will get."""
        ...

    def consumer(
        self,
        group: str,
        topics: Sequence[str] | re.Pattern[str],
        *,
        on_assign: AssignCallback | None = None,
        from_beginning: bool = True,
        session_timeout_ms: int | None = None,
    ) -> Consumer:
        """Join ``group`` on ``topics`` (a list, or a compiled pattern matched against topic names).

        ``on_assign`` runs with the newly assigned partitions before records of them are returned,
        so a projection can seek to offsets it stored itself. Partitions without a committed offset
        start at the beginning (``from_beginning``) or at the end.
        """
        ...

    def reader(self, start: Mapping[TopicPartition, int]) -> Reader:
        """Read each partition of ``start`` from its offset, without a group."""
        ...

    def close(self) -> None: ...


@dataclass
class BadRecord:
    """A record a handler could not process, with the reason (for a dead-letter topic)."""

    record: Record
    error: BaseException
    reason: str = field(init=False)

    def __post_init__(self) -> None:
        self.reason = f"{type(self.error).__name__}: {self.error}"


def consume(
    consumer: Consumer,
    handle: Callable[[Record], None],
    on_error: Callable[[BadRecord], None],
    *,
    max_batches: int | None = None,
    stop: Callable[[], bool] = lambda: False,
    timeout: float = 0.5,
) -> int:
    """Run ``handle`` over every record, committing after each batch; returns records handled.

    A record whose handler raises goes to ``on_error`` and the loop moves on: one bad record must
    never stop a consumer. Errors of the bus itself propagate, since skipping them would lose data.
    """
    handled = 0
    batches = 0
    while not stop() and (max_batches is None or batches < max_batches):
        records = consumer.poll(timeout=timeout)
        batches += 1
        for record in records:
            try:
                handle(record)
            except Exception as error:
                on_error(BadRecord(record, error))
            handled += 1
        if records:
            consumer.commit()
    return handled
