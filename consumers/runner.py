"""The projection runner: consume, apply a batch and store the consumed offsets in one transaction.

A projection's rows and the offsets it consumed commit together, and on (re)assignment the runner
seeks to those stored offsets, so a crash at any point gives the same tables as a clean run. What a
projection publishes (inbox messages, expiries, accepted events) goes out before the transaction
commits: a crash in between publishes it again, and every consumer is idempotent by ``event_id``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from consumers.lease import Lease, LeaseLost
from consumers.lease import metadata as lease_metadata
from consumers.versions import metadata as versions_metadata
from consumers.versions import record_version, stored_version, version_of
from schemas.registry import RegistryError
from services.bus import Bus, BusError, Consumer, Headers, Record, TopicPartition
from services.platform.sql import add_missing_columns, write_transaction

log = logging.getLogger(__name__)
metadata = MetaData()

# Projections off the path of a message an institution waits for (views, deadlines, the aggregate,
# the archive) apply at most this often when running live: at a steady trickle of events each
# batch is then a few records rather than one, and they take the shared SQLite writer (views.db)
# a few times a second instead of once per event, so the inbox seldom queues behind them (the
# exchange has a database of its own). A backlog is still read in full batches without pause.
BACKGROUND_BATCH_INTERVAL_S = 0.25
GROUP_COMMIT_INTERVAL_S = 1.0  # the advisory group commit; the stored offsets are the truth

# What ``run`` waits out: the database, the bus or the schema registry being unreachable.
OUTAGES = (OperationalError, InterfaceError, BusError, RegistryError)


def is_outage(error: BaseException) -> bool:
    """A fault of the platform (retry later), not of the record being applied (keep it aside)."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OUTAGES)


offsets_table = Table(
    "projection_offsets",
    metadata,
    Column("projection", String(100), primary_key=True),
    Column("topic", String(249), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", BigInteger, nullable=False),
)

applied_table = Table(
    "projection_applied",
    metadata,
    Column("projection", String(100), primary_key=True),
    Column("event_id", String(36), primary_key=True),
)

# The ids of the events each projection applied, one row per case (``consumers.event_projection``).
case_events_table = Table(
    "projection_case_events",
    metadata,
    Column("projection", String(100), primary_key=True),
    Column("case_id", String(36), primary_key=True),
    Column("event_ids", Text, nullable=False),
)

failures_table = Table(
    "projection_failures",
    metadata,
    Column("projection", String(100), primary_key=True),
    Column("topic", String(249), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("offset", BigInteger, primary_key=True, autoincrement=False),
    Column("error", Text, nullable=False),
    Column("value", LargeBinary, nullable=True),
)


@dataclass
class BatchOutput:
    """What a projection publishes while it applies a batch; sent before the batch commits.

    ``epoch`` is the lease epoch the batch's transaction was fenced under (``consumers.lease``),
    for rows that record who decided them; None for a runner without a lease.
    """

    messages: list[tuple[str, bytes | None, bytes | None, Headers]] = field(default_factory=list)
    epoch: int | None = None

    def publish(
        self, topic: str, key: bytes | None, value: bytes | None, headers: Headers = ()
    ) -> None:
        self.messages.append((topic, key, value, tuple(headers)))


Database = Literal["views", "exchange", "aggregate", "archive"]
"""The platform's databases (``services.bootstrap`` opens each): a projection's rows and offsets
commit in one of them, in one transaction."""


class Projection(Protocol):
    """A read model built from one or more topics."""

    @property
    def name(self) -> str: ...

    @property
    def topics(self) -> Sequence[str] | re.Pattern[str]: ...

    @property
    def tables(self) -> Sequence[Table]:
        """Its tables: only the runner creates them (with their indexes)."""
        ...

    @property
    def database(self) -> Database:
        """Where its tables and stored offsets live."""
        ...

    @property
    def on_data_path(self) -> bool:
        """Whether an institution waits for what it writes: its runner then applies at once."""
        ...

    @property
    def replayable(self) -> bool:
        """Whether it may be dropped and rebuilt from offset 0 of ``case-events``."""
        ...

    def apply_batch(self, records: Sequence[Record], tx: Connection, out: BatchOutput) -> None:
        """Apply records in log order; raise only for faults that must stop the batch."""
        ...


def projection_version(projection: Projection) -> str:
    """The version of the rows ``projection``'s code builds (``consumers.versions``)."""
    return version_of(projection.tables, getattr(projection, "code_version", 1))


def create_tables(projection: Projection, engine: Engine) -> None:
    """The projection's tables with their indexes, and the runner's own (offsets, failures,
    leases, versions).

    A store from before versions is adopted as today's version. A replayable projection's store
    of another version is left as it is but for what its readers need meanwhile (new tables,
    nullable columns): the blue/green rebuild replaces it (``consumers.blue_green``). One that
    is not replayable (the exchange's decisions, the archive) cannot be rebuilt from the log: it
    takes its new nullable columns in place and the new version is recorded.
    """
    # As a writer: processes starting at once on a new file queue instead of failing.
    with write_transaction(engine) as conn:
        metadata.create_all(conn)
        lease_metadata.create_all(conn)
        versions_metadata.create_all(conn)
        stored = stored_version(conn, projection.name)
        current = projection_version(projection)
        rebuilt = projection.replayable and stored not in {None, current}
        for table in projection.tables:
            table.create(conn, checkfirst=True)
            # A column added since the table was made; a required one comes with the rebuild.
            add_missing_columns(conn, table, required=not rebuilt)
            for index in table.indexes:  # a table created before an index was added gets it
                index.create(conn, checkfirst=True)
        if stored != current and not rebuilt:
            record_version(conn, projection.name, current)


def version_changed(projection: Projection, engine: Engine) -> bool:
    """Whether the stored rows were built by another version than ``projection``'s code."""
    with engine.connect() as conn:
        stored = stored_version(conn, projection.name)
    return stored is not None and stored != projection_version(projection)


class ProjectionRunner:
    """Runs one projection as a consumer-group member against a SQL database.

    Given a ``lease``, it reads and writes only while it holds the projection's lease (see
    ``consumers.lease``); while another member holds it, it stands by, out of the group.
    """

    def __init__(
        self,
        projection: Projection,
        bus: Bus,
        engine: Engine,
        *,
        session_timeout_ms: int | None = None,
        max_records: int = 500,
        batch_interval: float = 0.0,
        lease: Lease | None = None,
        group: str | None = None,
    ) -> None:
        self.projection = projection
        self._group = group or f"projection.{projection.name}"  # a rebuild reads as its own
        self.lease = lease
        self._standby_told: str | None = None  # the holder last named in the log
        self.bus = bus
        self.engine = engine
        self.max_records = max_records
        # ``run`` starts batches at least this many seconds apart unless the last one was full.
        self.batch_interval = batch_interval
        self.session_timeout_ms = session_timeout_ms
        create_tables(projection, engine)
        self._consumer: Consumer | None = None
        # Set when the consumer's position may not be the stored offsets (a seek that failed
        # because the database was down): the next step seeks before it reads anything.
        self._needs_rewind = False
        # Outputs sent for a batch whose transaction has not committed yet: when the commit
        # fails (the database went away) the batch is applied again and gives the same outputs,
        # which are then not sent a second time. A crash forgets this; consumers drop copies.
        self._sent_uncommitted: set[tuple[str, bytes | None, bytes | None, Headers]] = set()
        # Offsets this runner stored and saw commit: they only grow (until ``reset``), so when
        # they already reach an end there is no need to ask the database.
        self._committed_here: dict[TopicPartition, int] = {}
        self._last_group_commit = 0.0

    @property
    def group(self) -> str:
        return self._group

    @property
    def consumer(self) -> Consumer:
        if self._consumer is None:
            self._consumer = self.bus.consumer(
                self.group,
                self.projection.topics,
                on_assign=self._seek_to_stored,
                session_timeout_ms=self.session_timeout_ms,
            )
        return self._consumer

    # -- offsets kept with the rows ----------------------------------------------------------

    def stored_offsets(self, topics: set[str] | None = None) -> dict[TopicPartition, int]:
        """Offsets stored with the rows (of ``topics`` only, when given)."""
        query = select(offsets_table).where(offsets_table.c.projection == self.projection.name)
        if topics is not None and len(topics) <= 100:
            query = query.where(offsets_table.c.topic.in_(sorted(topics)))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {TopicPartition(r.topic, r.partition): r.next_offset for r in rows}

    def _seek_to_stored(self, consumer: Consumer, assigned: set[TopicPartition]) -> None:
        try:
            stored = self.stored_offsets()
        except Exception:
            self._needs_rewind = True
            raise
        for tp in assigned:
            consumer.seek(tp, stored.get(tp, 0))

    def _store_offsets(
        self, tx: Connection, records: Iterable[Record]
    ) -> dict[TopicPartition, int]:
        latest = next_offsets(records)
        store_offsets(tx, self.projection.name, latest)
        return latest

    # -- one active member ---------------------------------------------------------------------

    def _hold_lease(self) -> bool:
        """Renew the lease when due, or try to take it; a member that lost it stands by."""
        lease = self.lease
        if lease is None or (lease.held and not lease.due()):
            return True
        was_held = lease.held
        holds = lease.try_acquire()
        if was_held and not holds:
            self._stand_by()
        if not holds:
            self._tell_standby(lease)
        else:
            self._standby_told = None
        return holds

    def _tell_standby(self, lease: Lease) -> None:
        holder = lease.current()
        name = holder.holder if holder else "nobody"
        if name != self._standby_told:
            epoch = f" at epoch {holder.epoch}" if holder else ""
            log.info("%s: standing by (the lease is held by %s%s)", self.group, name, epoch)
            self._standby_told = name

    def _stand_by(self) -> None:
        """Leave the group and forget what this member knew of its own writes."""
        self.close_consumer()
        self._needs_rewind = False
        self._sent_uncommitted.clear()
        self._committed_here.clear()

    # -- running -----------------------------------------------------------------------------

    def step(self, timeout: float = 0.5, *, publish: bool = True) -> int:
        """Poll one batch and apply it; returns how many records it covered.

        ``publish=False`` rebuilds rows without sending outputs again: a replay must not push a
        decade of inbox messages to institutions a second time. A standby only waits (up to
        ``timeout``) and returns 0.
        """
        if not self._hold_lease():
            assert self.lease is not None  # only a member with a lease can be a standby
            time.sleep(min(timeout, self.lease.retry_interval_s))
            return 0
        if self._needs_rewind:
            self._rewind()
        records = self.consumer.poll(max_records=self.max_records, timeout=timeout)
        return self._apply_polled(records, publish)

    def step_expecting(self, count: int, timeout: float = 0.5) -> int:
        """Poll until ``count`` records came (or ``timeout`` passed), then apply them together.

        For a caller that has just sent ``count`` records and waits for what they become: a
        broker hands them over in pieces, and a batch per piece costs a transaction and a flush
        of outputs each.
        """
        if not self._hold_lease():
            return 0
        if self._needs_rewind:
            self._rewind()
        records: list[Record] = []
        deadline = time.monotonic() + timeout
        while len(records) < count and len(records) < self.max_records:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            records += self.consumer.poll(max_records=self.max_records - len(records), timeout=left)
        return self._apply_polled(records, publish=True)

    def _apply_polled(self, records: list[Record], publish: bool) -> int:
        if not records:
            return 0
        try:
            self._apply(records, publish)
        except LeaseLost:
            self._stand_by()  # another member decides these records now; nothing was written
            return 0
        except Exception:
            # Nothing of the batch committed: read it again from the stored offsets. If the
            # database is what failed, reading them fails too: then the next step seeks first,
            # or the batch would be skipped.
            self._needs_rewind = True
            with contextlib.suppress(Exception):
                self._rewind()
            raise
        if time.monotonic() - self._last_group_commit >= GROUP_COMMIT_INTERVAL_S:
            self._commit_group()
        return len(records)

    def _commit_group(self) -> None:
        # Advisory (the stored offsets are the truth): it shows lag to the bus's tools, so once
        # a second is enough and spares the bus a write per batch. Not at close: a commit to a
        # broker that is down can block, and the next member seeks to the stored offsets anyway.
        self._last_group_commit = time.monotonic()
        try:
            self.consumer.commit()
        except BusError as error:
            log.warning("%s: group commit failed (%s); stored offsets remain", self.group, error)

    def _apply(self, records: Sequence[Record], publish: bool = True) -> None:
        out = BatchOutput()
        with write_transaction(self.engine) as tx:
            if self.lease is not None:
                # First: a superseded member writes and publishes nothing.
                out.epoch = self.lease.fence(tx)
            self.projection.apply_batch(records, tx, out)
            fresh = [m for m in out.messages if m not in self._sent_uncommitted]
            if fresh and publish:
                with self.bus.batch():
                    for message in fresh:
                        self.bus.publish(*message)
                self.bus.flush()
                self._sent_uncommitted.update(fresh)
            stored = self._store_offsets(tx, records)
        self._sent_uncommitted.clear()
        self._committed_here.update(stored)

    def _rewind(self) -> None:
        stored = self.stored_offsets()
        for tp in self.consumer.assignment():
            self.consumer.seek(tp, stored.get(tp, 0))
        self._needs_rewind = False

    def run(self, stop: Callable[[], bool] = lambda: False, *, max_backoff: float = 30.0) -> None:
        """Apply batches until ``stop()``; database or bus outages are waited out with backoff."""
        backoff = 0.5
        while not stop():
            try:
                started = time.monotonic()
                count = self.step()
                backoff = 0.5
                if 0 < count < self.max_records and self.batch_interval:
                    time.sleep(max(self.batch_interval - (time.monotonic() - started), 0.0))
            except Exception as error:
                if not is_outage(error):
                    raise
                log.warning("%s: %s; retrying in %.1fs", self.group, error, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, max_backoff)

    def caught_up(self, ends: dict[TopicPartition, int]) -> bool:
        known = self._committed_here
        if all(known.get(tp, -1) >= end for tp, end in ends.items()):
            return True
        stored = self.stored_offsets({tp.topic for tp in ends})
        return all(stored.get(tp, 0) >= end for tp, end in ends.items())

    def run_until(
        self,
        ends: dict[TopicPartition, int],
        *,
        timeout: float = 600.0,
        progress: Callable[[int], Any] | None = None,
        publish: bool = True,
    ) -> int:
        """Apply batches until the stored offsets reach ``ends``; returns records applied."""
        applied = 0
        deadline = time.monotonic() + timeout
        while not self.caught_up(ends):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.group} did not reach {ends} in {timeout}s")
            count = self.step(publish=publish)
            applied += count
            if progress and count:
                progress(count)
        return applied

    def reset(self) -> None:
        """Drop the projection's rows and offsets, so it rebuilds from offset 0."""
        with self.engine.begin() as tx:
            for table in self.projection.tables:
                tx.execute(delete(table))
            for table in (offsets_table, failures_table, applied_table, case_events_table):
                tx.execute(delete(table).where(table.c.projection == self.projection.name))
        self._committed_here.clear()
        if self._consumer is not None:
            # A live member keeps its position: send it back to the (now empty) stored offsets.
            self._rewind()

    def close_consumer(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None

    def close(self) -> None:
        self.close_consumer()
        if self.lease is not None and self.lease.held:
            try:
                self.lease.release()  # a standby takes over now, not when the lease expires
            except Exception as error:  # the database is down: the lease expires by itself
                log.warning("%s: could not release the lease (%s)", self.group, error)


def next_offsets(records: Iterable[Record]) -> dict[TopicPartition, int]:
    """The next offset to read on each partition ``records`` (in log order) came from."""
    latest: dict[tuple[str, int], int] = {}
    for record in records:
        latest[record.topic, record.partition] = record.offset + 1
    return {TopicPartition(*place): offset for place, offset in latest.items()}


def store_offsets(tx: Connection, projection: str, latest: Mapping[TopicPartition, int]) -> None:
    """Store, with the rows, the next offset to read on each partition (``next_offsets``)."""
    rows = [
        {"projection": projection, "topic": tp.topic, "partition": tp.partition,
         "next_offset": offset}
        for tp, offset in latest.items()
    ]  # fmt: skip
    if rows:
        tx.execute(_upsert_offsets(tx.dialect.name), rows)


@functools.cache
def _upsert_offsets(dialect_name: str) -> Any:
    """One statement for every partition of a batch (INSERT … ON CONFLICT DO UPDATE), built
    once per dialect: it is run at every batch of every projection."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(offsets_table)
    return statement.on_conflict_do_update(
        index_elements=["projection", "topic", "partition"],
        set_={"next_offset": statement.excluded.next_offset},
    )


def record_failure(projection: str, record: Record, error: BaseException, tx: Connection) -> None:
    """Keep a record a projection could not apply, with the reason: nothing is lost silently."""
    log.error(
        "%s: cannot apply %s/%s@%s: %s",
        projection,
        record.topic,
        record.partition,
        record.offset,
        type(error).__name__,
    )
    tx.execute(
        delete(failures_table)
        .where(failures_table.c.projection == projection)
        .where(failures_table.c.topic == record.topic)
        .where(failures_table.c.partition == record.partition)
        .where(failures_table.c.offset == record.offset)
    )
    tx.execute(
        insert(failures_table).values(
            projection=projection,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            error=f"{type(error).__name__}: {error}",
            value=record.value,
        )
    )
