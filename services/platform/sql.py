"""SQL engines for every part that stores rows: the SQL log, the embedded registry, the views.

SQLite is the embedded default and PostgreSQL the production engine; both go through SQLAlchemy.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import operator
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Index,
    LargeBinary,
    MetaData,
    Table,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator

from services.platform.logredact import redact_library_logs

IMMEDIATE = "immediate"
"""Execution option: begin the SQLite transaction as a writer right away."""


def normalise_url(url: str) -> str:
    """Pick the driver we ship (psycopg 3) for a bare ``postgresql://`` URL."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def sql_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite files get WAL and writers that queue instead of failing."""
    url = normalise_url(url)
    parsed = make_url(url)
    # Parameters are event bytes, sealed fields, vault keys: never in a log or an error message.
    kwargs.setdefault("hide_parameters", True)
    redact_library_logs()
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so that BEGIN IMMEDIATE is possible.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return  # every statement its own transaction (see ``short_reads``)
        # A writer that began deferred can fail with SQLITE_BUSY when it upgrades its lock (the
        # busy handler does not apply then); beginning IMMEDIATE makes writers queue instead.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(IMMEDIATE, False) else "BEGIN")


@contextlib.contextmanager
def short_reads(engine: Engine) -> Iterator[Connection]:
    """A connection whose every statement is a transaction of its own.

    For a reader that only needs rows nobody else changes (a rebuild reading back its own
    partitions' rows): on SQLite a read transaction held open keeps the write-ahead log from
    being checkpointed, and readers taking turns without pause (several rebuild processes) let it
    grow without end.
    """
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        yield conn


# SQLite checkpoints its write-ahead log into the database once a commit leaves it this long
# (its default is 1,000 pages). A rebuild commits every few thousand events, each commit touching
# pages all over tables keyed by random ids: with the default, every few commits copied most of
# those pages back into the database, and the same pages again a few commits later.
BULK_CHECKPOINT_PAGES = 10_000  # 40 MB of log at 4 KiB pages; the default comes back after


@contextlib.contextmanager
def bulk_writes(engine: Engine) -> Iterator[None]:
    """While the block runs, this process's connections to ``engine`` suit a rebuild.

    A rebuild writes far more than it reads back, and reads back by lists of keys. On SQLite the
    connections checkpoint less often. Durability is untouched: every commit is in the
    write-ahead log as before (``synchronous=NORMAL``); only the copying of the log into the
    database waits longer. On PostgreSQL statements are not prepared on the server: a prepared
    ``key IN (…500 keys…)`` soon runs a generic plan, which compares every row with every key in
    turn (no hashing of parameters), and a rebuild's tables grow under it (at 1 M, reading the
    aggregate's cases that way took a third of a process's time). Each connection gets the
    setting when it is checked out and the default back when it is returned, so nothing
    outlives the block.
    """
    if engine.dialect.name == "postgresql":
        with _on_checkout(engine, _unprepared, _prepared):
            yield
        return
    if engine.dialect.name != "sqlite":
        yield
        return
    with _on_checkout(engine, _checkpoint_seldom, _checkpoint_usually):
        yield


def _checkpoint_seldom(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={BULK_CHECKPOINT_PAGES}")


def _checkpoint_usually(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=1000")


def _unprepared(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    # psycopg's own setting (no statement, no transaction): None never prepares.
    dbapi_connection.prepare_threshold = None


def _prepared(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.prepare_threshold = PSYCOPG_PREPARE_THRESHOLD


PSYCOPG_PREPARE_THRESHOLD = 5  # psycopg's default: prepared from a statement's fifth run


@contextlib.contextmanager
def _on_checkout(
    engine: Engine,
    checkout: Callable[[Any, Any, Any], None],
    checkin: Callable[[Any, Any], None],
) -> Iterator[None]:
    """``checkout`` for each connection taken from ``engine``'s pool while the block runs,
    ``checkin`` for each one given back."""
    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    try:
        yield
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "checkin", checkin)


@contextlib.contextmanager
def given_or_own(
    given: Connection | None, own: Callable[[], contextlib.AbstractContextManager[Connection]]
) -> Iterator[Connection]:
    """The caller's connection (it commits or closes it), else one ``own()`` opens for us.

    ``own`` is ``engine.connect`` for reads or ``engine.begin`` for a transaction of our own.
    """
    if given is not None:
        yield given
        return
    with own() as conn:
        yield conn


class _FairLock:
    """A first-come, first-served lock whose holder may be asked for again by its own thread.

    SQLite lets one writer in at a time and makes the others poll, sleeping up to 100 ms between
    tries, so under steady contention a waiter can lose to newcomers for seconds (projections of
    one process sharing ``views.db`` waited up to 2.6 s for a one-record batch). Writers of one
    process queue here instead and are handed the database in arrival order.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._waiting: collections.deque[tuple[int, threading.Event]] = collections.deque()
        self._owner: int | None = None

    def held_by_me(self) -> bool:
        return self._owner == threading.get_ident()

    def acquire(self, timeout: float) -> bool:
        me = threading.get_ident()
        with self._guard:
            if self._owner is None:
                self._owner = me
                return True
            turn = (me, threading.Event())
            self._waiting.append(turn)
        if turn[1].wait(timeout):
            return True  # release() made us the owner
        with self._guard:
            if turn[1].is_set():
                return True
            self._waiting.remove(turn)
            return False

    def release(self) -> None:
        with self._guard:
            if not self._waiting:
                self._owner = None
                return
            # Handed over directly: no window in which a newcomer could jump the queue.
            self._owner, turn = self._waiting.popleft()
            turn.set()


_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, _FairLock] = weakref.WeakKeyDictionary()
_WRITE_LOCKS_GUARD = threading.Lock()
WRITE_QUEUE_TIMEOUT_S = 30.0  # as SQLite's busy timeout: past it, SQLite's own waiting decides


def _write_lock(engine: Engine) -> _FairLock | None:
    if engine.dialect.name != "sqlite":
        return None  # PostgreSQL locks rows, not the database: writers need no queue
    with _WRITE_LOCKS_GUARD:
        lock = _WRITE_LOCKS.get(engine)
        if lock is None:
            lock = _WRITE_LOCKS[engine] = _FairLock()
        return lock


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A writer's transaction (``BEGIN IMMEDIATE`` on SQLite), committed when the block ends.

    Writers of this process wait their turn in a first-come queue rather than in SQLite's busy
    loop; other processes still meet SQLite's busy timeout as before.
    """
    lock = _write_lock(engine)
    queued = lock is not None and not lock.held_by_me() and lock.acquire(WRITE_QUEUE_TIMEOUT_S)
    try:
        with engine.connect().execution_options(**{IMMEDIATE: True}) as conn, conn.begin():
            yield conn
    finally:
        if queued:
            assert lock is not None
            lock.release()


def one_writer_at_a_time(tx: Connection, name: str) -> None:
    """Wait until no other transaction holds ``name``; held until ``tx`` ends.

    PostgreSQL locks rows, so writers in parallel can deadlock when each changes a row the other
    has written; writers that take this first take turns, as SQLite's one writer does already
    (there it does nothing). A transaction-scoped advisory lock: a crashed writer lets go.
    """
    if tx.dialect.name == "postgresql":
        tx.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})


def create_schema(engine: Engine, *schemas: MetaData) -> None:
    """``create_all`` of each of ``schemas``, as a writer (``BEGIN IMMEDIATE`` on SQLite).

    Its existence checks read before it creates: begun as a reader, a second process starting
    at the same moment on a new file failed at once with "database is locked" (SQLite cannot
    upgrade such a transaction once the other created a table); as a writer it waits its turn.
    """
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
    if all(name in present for schema in schemas for name in schema.tables):
        return  # nothing to create (as create_all would find): no writer's lock taken
    with write_transaction(engine) as conn:
        for schema in schemas:
            schema.create_all(conn)


def add_missing_columns(conn: Connection, table: Table, *, required: bool = True) -> None:
    """Add the nullable columns ``table`` gained since its stored copy was created.

    The one change a store made by an earlier release needs in place (a column that older rows
    simply lack); anything else about a table's shape is a rebuild or a real migration. A new
    required column raises, unless ``required`` is False: then it is left out (a projection's
    old table that keeps serving while its rebuild brings the new shape).
    """
    existing = {column["name"] for column in inspect(conn).get_columns(table.name)}
    for column in (c for c in table.columns if c.name not in existing):
        if not column.nullable:
            if not required:
                continue
            raise RuntimeError(f"{table.name}.{column.name} is new and required: migrate it")
        kind = column.type.compile(dialect=conn.dialect)
        name = conn.dialect.identifier_preparer.quote(column.name)
        conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}"))


_FOR_READERS = "povezimo_for_readers"


def reader_index(name: str, *columns: str, unique: bool = False) -> Index:
    """An index only the readers of a table use (the API's queries), never the projection that
    writes it. A rebuild drops such indexes and builds each once at its end (``reader_indexes``):
    one sort instead of a random insert into the index for every row the rebuild writes."""
    return Index(name, *columns, unique=unique, info={_FOR_READERS: True})


def reader_indexes(tables: Iterable[Table]) -> list[Index]:
    return [index for table in tables for index in table.indexes if index.info.get(_FOR_READERS)]


class Bytes(LargeBinary):
    """``LargeBinary`` that hands ``bytes`` to SQLite and takes them back as they are.

    SQLAlchemy wraps every bound value in ``sqlite3.Binary`` and copies every fetched one with
    ``bytes()``; sqlite3 takes and returns ``bytes`` itself, so for rows moved by the ten thousand
    (the producer outbox) that per-value Python work is skipped. Other drivers keep the usual
    processing.
    """

    cache_ok = True

    def bind_processor(self, dialect: Any) -> Any:
        return None if dialect.name == "sqlite" else super().bind_processor(dialect)

    def result_processor(self, dialect: Any, coltype: object) -> Any:
        return None if dialect.name == "sqlite" else super().result_processor(dialect, coltype)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """An aware UTC datetime on every engine (SQLite keeps no zone; PostgreSQL converts)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times are stored in UTC and must say so")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class _Compiled:
    """A statement compiled once for a dialect: its SQL, and how to turn a row into parameters."""

    __slots__ = ("converters", "named", "names", "pick", "sql")

    def __init__(self, statement: Any, dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        positional = bool(dialect.positional)
        names = tuple(compiled.positiontup if positional else compiled.binds)
        processors = [compiled.binds[name].type.bind_processor(dialect) for name in names]
        # The values, picked in C; only the few that need converting (times) are touched again.
        self.pick: Callable[[dict[str, Any]], Any] = _picker(names)
        self.converters = tuple((i, p) for i, p in enumerate(processors) if p is not None)
        self.named = None if positional else names
        self.names = names

    def values(self, rows: list[dict[str, Any]]) -> list[Any]:
        """Each row's values in the order of ``names``, converted for the driver."""
        pick, converters = self.pick, self.converters
        if not converters:
            return [pick(row) for row in rows]
        found: list[Any] = []
        for row in rows:
            values = list(pick(row))
            for i, convert in converters:
                values[i] = convert(values[i])
            found.append(values)
        return found

    def parameters(self, rows: list[dict[str, Any]]) -> list[Any]:
        params = self.values(rows)
        if self.named is not None:
            names = self.named
            return [dict(zip(names, values, strict=True)) for values in params]
        return params


def _picker(names: tuple[str, ...]) -> Callable[[dict[str, Any]], Any]:
    """A row's values for ``names`` as a tuple (``itemgetter`` of one name gives no tuple)."""
    if len(names) == 1:
        one = operator.itemgetter(names[0])
        return lambda row: (one(row),)
    many: Callable[[dict[str, Any]], Any] = operator.itemgetter(*names)
    return many


_COMPILED: dict[tuple[int, str], tuple[Any, _Compiled]] = {}


def _compiled(statement: Any, dialect: Any) -> _Compiled:
    cache_key = (id(statement), dialect.name)
    cached = _COMPILED.get(cache_key)
    if cached is None or cached[0] is not statement:
        cached = _COMPILED[cache_key] = (statement, _Compiled(statement, dialect))
    return cached[1]


def execute_many(tx: Connection, statement: Any, rows: list[dict[str, Any]]) -> None:
    """``tx.execute(statement, rows)`` for many rows, without SQLAlchemy's per-row work.

    SQLAlchemy compiles the statement (once per dialect) and converts every value with the
    column type's own bind processor; the rows then go to the driver's ``executemany`` on the
    transaction's connection in one call. Projections write tens of thousands of rows per
    rebuild chunk, where the per-row bookkeeping of ``Connection.execute`` was a third of the
    cost. Driver errors come back as SQLAlchemy's exceptions, as from ``execute``.
    """
    if not rows:
        return
    compiled = _compiled(statement, tx.dialect)
    params = compiled.parameters(rows)
    with _driver_cursor(tx, compiled.sql) as cursor:
        cursor.executemany(compiled.sql, params)


def insert_many(tx: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (every column given) into ``table``: ``COPY … FROM STDIN`` on PostgreSQL,
    ``execute_many`` of its INSERT elsewhere.

    On PostgreSQL an INSERT per row, even pipelined, was most of a rebuild's writing; COPY sends
    the rows as one stream. It refuses a duplicate key as the INSERT does (the same integrity
    error, the whole statement undone), so a caller's way of redoing a batch stays the same.
    """
    if not rows:
        return
    statement = _INSERTS.get(table)
    if statement is None:
        statement = _INSERTS[table] = table.insert()
    if tx.dialect.name != "postgresql":
        execute_many(tx, statement, rows)
        return
    compiled = _compiled(statement, tx.dialect)
    quote = tx.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in compiled.names)
    sql = f"COPY {quote(table.name)} ({columns}) FROM STDIN"
    with _driver_cursor(tx, sql) as cursor, cursor.copy(sql) as copy:
        for values in compiled.values(rows):
            copy.write_row(values)


_INSERTS: dict[Table, Any] = {}  # a table's INSERT, compiled once (see ``_compiled``)


@contextlib.contextmanager
def _driver_cursor(tx: Connection, sql: str) -> Iterator[Any]:
    """A cursor of ``tx``'s driver connection; its errors raised as SQLAlchemy's."""
    dialect = tx.dialect
    connection = tx.connection
    cursor = connection.cursor()
    try:
        yield cursor
    except dialect.loaded_dbapi.Error as error:
        invalidated = dialect.is_disconnect(error, connection, cursor)
        raise DBAPIError.instance(
            sql,
            None,
            error,
            dialect.loaded_dbapi.Error,
            hide_parameters=True,
            dialect=dialect,
            connection_invalidated=invalidated,
        ) from error
    finally:
        cursor.close()
