"""The embedded engine: an append-only SQL log table with Kafka's topic/partition/offset semantics.

It serves one municipality on one machine with no broker to run (SQLite), or a region that prefers
its PostgreSQL to a Kafka cluster. Offsets are handed out by a per-partition counter row that the
writer locks until it commits, so records become visible in offset order and a consumer can never
skip past a record that is still being written.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
import time
import uuid
from base64 import b64decode, b64encode
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

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
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from services.bus.partitioning import new_topic_partitions, partition_for
from services.bus.port import (
    AssignCallback,
    BusError,
    CommitFailed,
    Headers,
    Outgoing,
    Record,
    TopicPartition,
)
from services.platform.sql import create_schema, given_or_own, sql_engine, write_transaction

metadata = MetaData()

partitions_table = Table(
    "bus_partitions",
    metadata,
    Column("topic", String(249), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", BigInteger, nullable=False),
)

records_table = Table(
    "bus_records",
    metadata,
    Column("topic", String(249), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("offset", BigInteger, primary_key=True, autoincrement=False),
    Column("key", LargeBinary, nullable=True),
    Column("value", LargeBinary, nullable=True),
    Column("headers", Text, nullable=True),
    Column("timestamp_ms", BigInteger, nullable=False),
)

groups_table = Table(
    "bus_groups",
    metadata,
    Column("group_id", String(255), primary_key=True),
    Column("generation", BigInteger, nullable=False),
)

members_table = Table(
    "bus_group_members",
    metadata,
    Column("group_id", String(255), primary_key=True),
    Column("member_id", String(64), primary_key=True),
    Column("subscription", Text, nullable=False),
    Column("heartbeat_ms", BigInteger, nullable=False),
    Column("session_timeout_ms", BigInteger, nullable=False),
)

offsets_table = Table(
    "bus_group_offsets",
    metadata,
    Column("group_id", String(255), primary_key=True),
    Column("topic", String(249), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("offset", BigInteger, nullable=False),
)

DEFAULT_SESSION_TIMEOUT_MS = 10_000
POLL_INTERVAL_S = 0.02
# An idle poller looks again this often even when no change was seen: a safety net only, since
# every commit to the file (another process's too) wakes it within ``POLL_INTERVAL_S``.
RECHECK_S = 2.0
WATCH_LINGER_S = 5.0  # a file's watcher stops after this long with nobody waiting
# A record handed to ``publish``: topic, key, value, headers, timestamp (None: now).
_Item = tuple[str, bytes | None, bytes | None, Headers, int | None]


# Reserves ``n`` offsets of a partition; built once (statement construction is not free).
_TAKE_OFFSETS = (
    update(partitions_table)
    .where(partitions_table.c.topic == bindparam("t"))
    .where(partitions_table.c.partition == bindparam("p"))
    .values(next_offset=partitions_table.c.next_offset + bindparam("n"))
    .returning(partitions_table.c.next_offset)
)
_ENDS_OF_TOPICS = select(partitions_table).where(
    partitions_table.c.topic.in_(bindparam("topics", expanding=True))
)


_INSERT = insert(records_table)

_READ = (
    select(records_table)
    .where(records_table.c.topic == bindparam("t"))
    .where(records_table.c.partition == bindparam("p"))
    .where(records_table.c.offset >= bindparam("o"))
    .order_by(records_table.c.offset)
    .limit(bindparam("l"))
)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _encode_headers(headers: Headers) -> str | None:
    try:
        return _encode_header_set(headers)  # type: ignore[arg-type]
    except TypeError:  # a header given as a list is not hashable
        return _encode_header_set.__wrapped__(headers)  # type: ignore[arg-type]


@lru_cache(maxsize=4096)  # the same few hundred header sets as below, on the way in
def _encode_header_set(headers: tuple[tuple[str, bytes], ...]) -> str | None:
    if not headers:
        return None
    return json.dumps([[k, b64encode(v).decode()] for k, v in headers])


@lru_cache(maxsize=4096)  # most records carry one of a few hundred header sets
def _decode_headers(text: str | None) -> tuple[tuple[str, bytes], ...]:
    if not text:
        return ()
    return tuple((k, b64decode(v)) for k, v in json.loads(text))


class SqlLogBus:
    """The :class:`~services.bus.port.Bus` port over a SQL table (SQLite or PostgreSQL)."""

    def __init__(
        self,
        engine: Engine,
        *,
        default_partitions: int = 3,
        partitions_by_prefix: Mapping[str, int] | None = None,
        url: str = "",
    ) -> None:
        self.engine = engine
        self.url = url or engine.url.render_as_string(hide_password=True)
        self.default_partitions = default_partitions
        self.partitions_by_prefix = dict(partitions_by_prefix or {})
        self._partition_counts: dict[str, int] = {}
        # A batch belongs to the thread that opened it: projections running side by side in one
        # process publish through the same bus, each inside its own block.
        self._batches = threading.local()
        self._round_robin = 0
        self.changes = file_changes(engine)
        create_schema(engine, metadata)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        default_partitions: int = 3,
        partitions_by_prefix: Mapping[str, int] | None = None,
    ) -> SqlLogBus:
        return cls(
            sql_engine(url),
            default_partitions=default_partitions,
            partitions_by_prefix=partitions_by_prefix,
            url=url,
        )

    # -- producing ---------------------------------------------------------------------------

    def publish(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: Headers = (),
        *,
        timestamp_ms: int | None = None,
    ) -> None:
        item = (topic, key, value, tuple(headers), timestamp_ms)
        pending = self._open_batch()
        if pending is not None:
            pending.append(item)
            return
        self._append([item])

    def publish_all(self, records: Iterable[Outgoing]) -> None:
        """One transaction for all of them (or the open batch's, inside ``batch``)."""
        items: list[_Item] = [
            (topic, key, value, tuple(headers), None) for topic, key, value, headers in records
        ]
        pending = self._open_batch()
        if pending is not None:
            pending.extend(items)
            return
        if items:
            self._append(items)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """This thread's publishes inside the block are written in one transaction when it ends."""
        if self._open_batch() is not None:
            raise BusError("batches do not nest")
        pending: list[_Item] = []
        self._batches.pending = pending
        try:
            yield
        finally:
            self._batches.pending = None
        if pending:
            self._append(pending)

    def _open_batch(self) -> list[_Item] | None:
        pending: list[_Item] | None = getattr(self._batches, "pending", None)
        return pending

    def flush(self, timeout: float | None = None) -> None:
        """Every publish outside a batch is already durable when it returns."""

    def _append(self, items: Sequence[_Item]) -> None:
        by_partition: dict[TopicPartition, list[int]] = defaultdict(list)
        for index, (topic, key, *_rest) in enumerate(items):
            by_partition[TopicPartition(topic, self._choose_partition(topic, key))].append(index)
        stamp = _now_ms()
        rows: list[dict[str, Any]] = []
        with self._writer() as conn:
            for tp, indexes in sorted(by_partition.items()):
                last = conn.execute(
                    _TAKE_OFFSETS, {"t": tp.topic, "p": tp.partition, "n": len(indexes)}
                ).scalar_one()
                first = last - len(indexes)
                rows.extend(
                    {
                        "topic": tp.topic,
                        "partition": tp.partition,
                        "offset": first + n,
                        "key": items[i][1],
                        "value": items[i][2],
                        "headers": _encode_headers(items[i][3]),
                        "timestamp_ms": stamp if items[i][4] is None else items[i][4],
                    }
                    for n, i in enumerate(indexes)
                )
            # One statement for the whole batch, whatever the number of partitions.
            conn.execute(_INSERT, rows)
        if self.changes is not None:
            self.changes.bump()  # this process's pollers need not wait for the watcher

    def _choose_partition(self, topic: str, key: bytes | None) -> int:
        count = self.partitions_for(topic, create=True)
        if key is None:
            self._round_robin += 1
            return self._round_robin % count
        return partition_for(key, count)

    @contextlib.contextmanager
    def _writer(self) -> Iterator[Connection]:
        try:
            with write_transaction(self.engine) as conn:
                yield conn
        except OperationalError as error:
            raise BusError(f"SQL log unavailable: {error.orig}") from error

    # -- topics ------------------------------------------------------------------------------

    def create_topic(self, topic: str, partitions: int | None = None) -> None:
        _validate_topic_name(topic)
        count = partitions or new_topic_partitions(
            topic, self.default_partitions, self.partitions_by_prefix
        )
        with contextlib.suppress(IntegrityError), self._writer() as conn:
            exists = conn.execute(
                select(func.count()).where(partitions_table.c.topic == topic)
            ).scalar_one()
            if not exists:
                conn.execute(
                    insert(partitions_table),
                    [{"topic": topic, "partition": p, "next_offset": 0} for p in range(count)],
                )
        self._partition_counts.pop(topic, None)

    def list_topics(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(select(partitions_table.c.topic).distinct()).scalars())

    def partitions_for(self, topic: str, *, create: bool = False) -> int:
        count = self._partition_counts.get(topic)
        if count:
            return count
        with self.engine.connect() as conn:
            count = conn.execute(
                select(func.count()).where(partitions_table.c.topic == topic)
            ).scalar_one()
        if not count:
            if not create:
                return 0
            self.create_topic(topic)
            return self.partitions_for(topic)
        self._partition_counts[topic] = count
        return count

    def partition_counts(self, topics: Iterable[str]) -> dict[str, int]:
        return {topic: self.partitions_for(topic) for topic in topics}

    def end_offsets(
        self, partitions: Iterable[TopicPartition], *, conn: Connection | None = None
    ) -> dict[TopicPartition, int]:
        wanted = set(partitions)
        topics = {tp.topic for tp in wanted}
        with given_or_own(conn, self.engine.connect) as reader:
            rows = reader.execute(_ENDS_OF_TOPICS, {"topics": list(topics)}).all()
        found = {TopicPartition(r.topic, r.partition): r.next_offset for r in rows}
        return {tp: found.get(tp, 0) for tp in wanted}

    # -- consuming ---------------------------------------------------------------------------

    def consumer(
        self,
        group: str,
        topics: Sequence[str] | re.Pattern[str],
        *,
        on_assign: AssignCallback | None = None,
        from_beginning: bool = True,
        session_timeout_ms: int | None = None,
    ) -> SqlLogConsumer:
        return SqlLogConsumer(
            self,
            group,
            topics,
            on_assign=on_assign,
            from_beginning=from_beginning,
            session_timeout_ms=session_timeout_ms or DEFAULT_SESSION_TIMEOUT_MS,
        )

    def reader(self, start: Mapping[TopicPartition, int]) -> SqlLogReader:
        return SqlLogReader(self, start)

    def read(
        self, tp: TopicPartition, offset: int, limit: int, *, conn: Connection | None = None
    ) -> list[Record]:
        """Records of one partition from ``offset`` on, at most ``limit`` of them."""
        params = {"t": tp.topic, "p": tp.partition, "o": offset, "l": limit}
        with given_or_own(conn, self.engine.connect) as reader:
            rows = reader.execute(_READ, params).all()
        return [
            Record(
                topic=r.topic,
                partition=r.partition,
                offset=r.offset,
                key=r.key,
                value=r.value,
                headers=_decode_headers(r.headers),
                timestamp_ms=r.timestamp_ms,
            )
            for r in rows
        ]

    def upsert(
        self, table: Table, keys: dict[str, Any], values: dict[str, Any], **defaults: Any
    ) -> Any:
        """INSERT … ON CONFLICT: update ``values`` (nothing if empty) in this engine's dialect."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(table).values(**keys, **values, **defaults)
        if not values:
            return statement.on_conflict_do_nothing(index_elements=list(keys))
        return statement.on_conflict_do_update(index_elements=list(keys), set_=values)

    def upsert_many(self, table: Table, update: Sequence[str]) -> Any:
        """INSERT … ON CONFLICT (primary key) DO UPDATE ``update``, for executemany."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(table)
        return statement.on_conflict_do_update(
            index_elements=[c.name for c in table.primary_key.columns],
            set_={name: statement.excluded[name] for name in update},
        )

    def close(self) -> None:
        self.engine.dispose()


def _validate_topic_name(topic: str) -> None:
    # Kafka's own rule, so that a topic created here can move to a cluster unchanged.
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,249}", topic) or topic in {".", ".."}:
        raise BusError(f"invalid topic name {topic!r}: use letters, digits, '.', '_' and '-'")


def _fetch(
    bus: SqlLogBus, positions: dict[TopicPartition, int], max_records: int, turn: int
) -> list[Record]:
    """Records after ``positions`` (moved past them), starting at partition number ``turn``."""
    # One look at the partition counters first, so only partitions with new records are read
    # (a pattern subscription may hold hundreds of partitions, most of them idle).
    # One connection for the look and the reads (a checkout and a BEGIN each cost more
    # than the query when a poll finds a few records).
    with bus.engine.connect() as conn:
        ends = bus.end_offsets(positions, conn=conn)
        partitions = sorted(tp for tp, pos in positions.items() if ends.get(tp, 0) > pos)
        if not partitions:
            return []
        records: list[Record] = []
        # Start from a different partition each poll so that a busy one cannot starve the rest.
        start = turn % len(partitions)
        for tp in partitions[start:] + partitions[:start]:
            if len(records) >= max_records:
                break
            batch = bus.read(tp, positions[tp], max_records - len(records), conn=conn)
            if batch:
                positions[tp] = batch[-1].offset + 1
                records.extend(batch)
        return records


def _poll(
    fetch: Callable[[], list[Record]], timeout: float, changes: FileChanges | None = None
) -> list[Record]:
    """``fetch`` until it finds records or ``timeout`` passes.

    On a SQLite file it looks again when the file changed (``changes``), at the latest after
    ``RECHECK_S``; elsewhere it looks every ``POLL_INTERVAL_S``.
    """
    deadline = time.monotonic() + timeout
    while True:
        seen = changes.generation if changes is not None else 0  # before the look: no miss
        records = fetch()
        left = deadline - time.monotonic()
        if records or left <= 0:
            return records
        if changes is not None:
            changes.wait_past(seen, min(left, RECHECK_S))
        else:
            time.sleep(min(POLL_INTERVAL_S, left))


class FileChanges:
    """Wakes the pollers of one SQLite file when any connection commits to it.

    An idle member used to read the log table every ``POLL_INTERVAL_S``: seven members of an idle
    ``serve`` made 350 queries a second. Now one thread per file asks SQLite's
    ``PRAGMA data_version`` (a counter, no table read) that often, only while someone waits, and
    a publish in this process wakes the waiters at once. A change that adds no record (a group's
    heartbeat, an offset commit) wakes nobody.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.generation = 0
        self._changed = threading.Condition()
        self._waiting = 0
        self._watching = False

    def bump(self) -> None:
        with self._changed:
            self.generation += 1
            self._changed.notify_all()

    def wait_past(self, generation: int, timeout: float) -> None:
        with self._changed:
            self._waiting += 1
            if not self._watching:
                self._watching = True
                threading.Thread(target=self._watch, name="sqllog-changes", daemon=True).start()
            try:
                self._changed.wait_for(lambda: self.generation != generation, timeout)
            finally:
                self._waiting -= 1

    def _watch(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            last = connection.execute("PRAGMA data_version").fetchone()[0]
            records = _records_mark(connection)
            # A change committed after a waiter's last look but before this baseline would
            # go unnoticed: wake every waiter once to look again.
            self.bump()
            idle_since = time.monotonic()
            while True:
                time.sleep(POLL_INTERVAL_S)
                version = connection.execute("PRAGMA data_version").fetchone()[0]
                changed = version != last
                if changed:
                    # Heartbeats and offset commits change the file too, several a second on
                    # an idle platform; only new records are worth waking every member for.
                    last, before, records = version, records, _records_mark(connection)
                    changed = records is None or records != before
                with self._changed:
                    if changed:
                        self.generation += 1
                        self._changed.notify_all()
                    if self._waiting:
                        idle_since = time.monotonic()
                    elif time.monotonic() - idle_since > WATCH_LINGER_S:
                        self._watching = False  # nobody polls this file: stop asking
                        return
        except sqlite3.Error:
            with self._changed:
                self._watching = False
                self._changed.notify_all()  # the waiters fall back to looking themselves
        finally:
            connection.close()


def _records_mark(connection: sqlite3.Connection) -> int | None:
    """How many records the file's partitions have taken in all (None before the log exists):
    it grows with every publish, and with nothing else."""
    try:
        row = connection.execute("SELECT coalesce(sum(next_offset), 0) FROM bus_partitions")
    except sqlite3.OperationalError:
        return None
    return int(row.fetchone()[0])


_FILE_CHANGES: dict[str, FileChanges] = {}
_FILE_CHANGES_LOCK = threading.Lock()


def file_changes(engine: Engine) -> FileChanges | None:
    """The change watcher of ``engine``'s SQLite file (one per file in a process); None for
    PostgreSQL or an in-memory database."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        return None
    key = os.path.abspath(path)
    with _FILE_CHANGES_LOCK:
        return _FILE_CHANGES.setdefault(key, FileChanges(key))


class SqlLogReader:
    """The port's reader on the SQL log: positions kept here, no group."""

    def __init__(self, bus: SqlLogBus, start: Mapping[TopicPartition, int]) -> None:
        self._bus = bus
        self._positions = dict(start)
        self._turn = 0

    def poll(self, max_records: int = 500, timeout: float = 1.0) -> list[Record]:
        def fetch() -> list[Record]:
            self._turn += 1
            return _fetch(self._bus, self._positions, max_records, self._turn)

        return _poll(fetch, timeout, self._bus.changes)

    def close(self) -> None:
        pass


class SqlLogConsumer:
    """A consumer-group member on the SQL log.

    Membership lives in a table with heartbeats; every member computes the same assignment from the
    live members and the topics, so no coordinator is needed. Any change of membership bumps the
    group's generation, and a commit from an older generation is refused (CommitFailed) as in Kafka.
    """

    def __init__(
        self,
        bus: SqlLogBus,
        group: str,
        topics: Sequence[str] | re.Pattern[str],
        *,
        on_assign: AssignCallback | None,
        from_beginning: bool,
        session_timeout_ms: int,
    ) -> None:
        self._bus = bus
        self._group = group
        self._subscription = (
            {"pattern": topics.pattern}
            if isinstance(topics, re.Pattern)
            else {"topics": sorted(topics)}
        )
        self._on_assign = on_assign
        self._from_beginning = from_beginning
        self._session_timeout_ms = session_timeout_ms
        # Heartbeats also discover new topics for pattern subscriptions: at least once a second.
        # A quarter of the session (as Kafka clients do, at most 3 s): each beat is a write that
        # wakes every poller of the file, so an idle platform should not beat every second.
        self._heartbeat_every_ms = max(min(session_timeout_ms // 4, 3000), 50)
        self._member_id = uuid.uuid4().hex
        self._generation = -1
        self._last_heartbeat_ms = 0
        self._positions: dict[TopicPartition, int] = {}
        self._next_partition = 0
        self._committed_here: dict[TopicPartition, tuple[int, int]] = {}
        self._closed = False
        self._join()

    # -- membership --------------------------------------------------------------------------

    @contextlib.contextmanager
    def _group_change(self) -> Iterator[tuple[Connection, int]]:
        """A transaction holding the group's row lock, so membership changes happen one by one."""
        with self._bus._writer() as conn:
            conn.execute(
                self._bus.upsert(groups_table, {"group_id": self._group}, {}, generation=0)
            )
            generation = conn.execute(
                select(groups_table.c.generation)
                .where(groups_table.c.group_id == self._group)
                .with_for_update()
            ).scalar_one()
            yield conn, generation

    def _join(self) -> None:
        with self._group_change() as (conn, _generation):
            self._insert_member(conn, _now_ms())
            self._bump_generation(conn)

    def _insert_member(self, conn: Connection, now: int) -> None:
        conn.execute(
            insert(members_table).values(
                group_id=self._group,
                member_id=self._member_id,
                subscription=json.dumps(self._subscription),
                heartbeat_ms=now,
                session_timeout_ms=self._session_timeout_ms,
            )
        )

    def _bump_generation(self, conn: Connection) -> None:
        conn.execute(
            update(groups_table)
            .where(groups_table.c.group_id == self._group)
            .values(generation=groups_table.c.generation + 1)
        )

    def _heartbeat(self) -> None:
        """Stay a member, expire members that stopped heartbeating, and follow the assignment."""
        now = _now_ms()
        with self._group_change() as (conn, _generation):
            alive = conn.execute(
                update(members_table)
                .where(members_table.c.group_id == self._group)
                .where(members_table.c.member_id == self._member_id)
                .values(heartbeat_ms=now)
            ).rowcount
            if not alive:  # expired by another member while we were away: join again
                self._insert_member(conn, now)
                self._bump_generation(conn)
            expired = conn.execute(
                delete(members_table)
                .where(members_table.c.group_id == self._group)
                .where(members_table.c.heartbeat_ms + members_table.c.session_timeout_ms < now)
            ).rowcount
            if expired:
                self._bump_generation(conn)
            generation = conn.execute(
                select(groups_table.c.generation).where(groups_table.c.group_id == self._group)
            ).scalar_one()
            members = conn.execute(
                select(members_table.c.member_id, members_table.c.subscription)
                .where(members_table.c.group_id == self._group)
                .order_by(members_table.c.member_id)
            ).all()
            committed = dict(self._committed_rows(conn))
        self._last_heartbeat_ms = now
        assignment = self._assignment_from(members)
        self._follow(assignment, generation, committed)

    def _assignment_from(self, members: Sequence[Any]) -> set[TopicPartition]:
        topics = self._bus.list_topics()
        subscribers: dict[str, list[str]] = defaultdict(list)
        for member in members:
            for topic in _matching(json.loads(member.subscription), topics):
                subscribers[topic].append(member.member_id)
        mine: set[TopicPartition] = set()
        for topic, member_ids in subscribers.items():
            for partition in range(self._bus.partitions_for(topic)):
                if member_ids[partition % len(member_ids)] == self._member_id:
                    mine.add(TopicPartition(topic, partition))
        return mine

    def _follow(
        self, assignment: set[TopicPartition], generation: int, committed: dict[TopicPartition, int]
    ) -> None:
        if generation != self._generation:
            # A new generation: restart every partition from the group's committed offset, since
            # another member may have read (and committed) part of it in the meantime.
            self._positions.clear()
            self._generation = generation
        for tp in list(self._positions):
            if tp not in assignment:
                del self._positions[tp]
        added = assignment - set(self._positions)
        if not added:
            return
        ends = self._bus.end_offsets(added) if not self._from_beginning else {}
        for tp in added:
            self._positions[tp] = committed.get(tp, ends.get(tp, 0))
        if self._on_assign:
            self._on_assign(self, set(added))

    def _committed_rows(self, conn: Connection) -> Iterator[tuple[TopicPartition, int]]:
        rows = conn.execute(
            select(offsets_table).where(offsets_table.c.group_id == self._group)
        ).all()
        for row in rows:
            yield TopicPartition(row.topic, row.partition), row.offset

    # -- the Consumer port -------------------------------------------------------------------

    def poll(self, max_records: int = 500, timeout: float = 1.0) -> list[Record]:
        self._check_open()

        def fetch() -> list[Record]:
            if _now_ms() - self._last_heartbeat_ms >= self._heartbeat_every_ms:
                self._heartbeat()
            return self._fetch(max_records)

        return _poll(fetch, timeout, self._bus.changes)

    def _fetch(self, max_records: int) -> list[Record]:
        self._next_partition += 1
        return _fetch(self._bus, self._positions, max_records, self._next_partition - 1)

    def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        self._check_open()
        to_commit = dict(self._positions if offsets is None else offsets)
        if not to_commit:
            return
        with self._group_change() as (conn, generation):
            if generation != self._generation:
                self._last_heartbeat_ms = 0  # rejoin on the next poll
                raise CommitFailed(
                    f"group {self._group!r} rebalanced (generation {self._generation} → "
                    f"{generation}); uncommitted records will be delivered again"
                )
            # Partitions whose offset this member already committed in this generation are
            # skipped: only it may commit them until the next rebalance.
            rows = [
                {"group_id": self._group, "topic": tp.topic, "partition": tp.partition,
                 "offset": offset}
                for tp, offset in to_commit.items()
                if self._committed_here.get(tp) != (generation, offset)
            ]  # fmt: skip
            if rows:
                conn.execute(self._bus.upsert_many(offsets_table, ["offset"]), rows)
        for tp, offset in to_commit.items():
            self._committed_here[tp] = (generation, offset)

    def committed(self, tp: TopicPartition) -> int | None:
        with self._bus.engine.connect() as conn:
            return conn.execute(
                select(offsets_table.c.offset).where(
                    and_(
                        offsets_table.c.group_id == self._group,
                        offsets_table.c.topic == tp.topic,
                        offsets_table.c.partition == tp.partition,
                    )
                )
            ).scalar_one_or_none()

    def assignment(self) -> set[TopicPartition]:
        if self._generation < 0:
            self._heartbeat()
        return set(self._positions)

    def position(self, tp: TopicPartition) -> int:
        return self._positions[tp]

    def seek(self, tp: TopicPartition, offset: int) -> None:
        if tp not in self._positions:
            raise BusError(f"{tp} is not assigned to this member")
        self._positions[tp] = offset

    def seek_to_beginning(self, partitions: Iterable[TopicPartition] | None = None) -> None:
        for tp in list(self._positions) if partitions is None else partitions:
            self.seek(tp, 0)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(BusError), self._group_change() as (conn, _generation):
            conn.execute(
                delete(members_table)
                .where(members_table.c.group_id == self._group)
                .where(members_table.c.member_id == self._member_id)
            )
            self._bump_generation(conn)

    def _check_open(self) -> None:
        if self._closed:
            raise BusError("consumer is closed")


def _matching(subscription: dict[str, Any], topics: set[str]) -> list[str]:
    if "pattern" in subscription:
        pattern = re.compile(subscription["pattern"])
        return sorted(t for t in topics if pattern.fullmatch(t))
    return sorted(t for t in subscription["topics"] if t in topics)
