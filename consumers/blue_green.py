"""Blue/green rebuilds: a projection whose version changed is rebuilt beside the old one.

When a runner starts and finds its projection's stored rows built by another version
(``consumers.versions``), it rebuilds the projection from offset 0 beside the live database
while the old tables keep answering readers (as they were: the old version's rows are not
written to meanwhile), then switches in one transaction and records the new version. The live
runner then goes on from the switched offsets. As in Marten's projection versions, nothing is
migrated by hand.

- **SQLite**: the new version is built in a new file next to the live one; the switch attaches
  it and copies its tables and the projection's stored offsets into the live database. Readers of
  the write-ahead log see the old tables or the new ones, never a half-built table.
- **PostgreSQL**: the new version is built in a schema of its own (its connections'
  ``search_path``); the switch drops the old tables and moves the new ones into the live schema
  (``ALTER TABLE … SET SCHEMA``). A reader waits for the switch's lock, then reads the new table.

Only the member holding the projection's lease rebuilds at start (``consumers.lease``); it renews
the lease while it builds and fences the switch, so a member that lost the lease switches
nothing. ``povezimo replay`` switches without holding it: the switch takes the lease, and the live
runner stands by, takes it again and reads on from the new offsets.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, text, update

from consumers.event_projection import EventProjection
from consumers.lease import Lease, LeaseLost, leases_table
from consumers.pipeline import partitions_of
from consumers.runner import (
    Projection,
    ProjectionRunner,
    applied_table,
    case_events_table,
    failures_table,
    is_outage,
    offsets_table,
    projection_version,
    version_changed,
)
from consumers.versions import record_version
from services.bus import Bus, TopicPartition
from services.platform.sql import sql_engine, write_transaction

log = logging.getLogger(__name__)

# The runner's rows that belong to one projection; they move with its tables.
_RUNNER_TABLES = (offsets_table, applied_table, case_events_table, failures_table)
_BUILD = "povezimo_build"  # the schema name the new file is attached under for the switch


def rebuild_if_changed(runner: ProjectionRunner, stop: Callable[[], bool] = lambda: False) -> bool:
    """Rebuild ``runner``'s projection if its stored version is not its code's; True if done.

    Call it before ``runner.run``: the live runner must not write the old tables meanwhile.
    Returns False at once when the version is current, and when ``stop()`` comes first.
    """
    projection = runner.projection
    if not projection.replayable or not version_changed(projection, runner.engine):
        return False
    lease = runner.lease
    while lease is not None and not lease.try_acquire():
        if stop():
            return False
        time.sleep(lease.retry_interval_s)
        if not version_changed(projection, runner.engine):
            return False  # the member that held the lease rebuilt it
    version = projection_version(projection)
    log.warning(
        "%s: stored rows are of another version; rebuilding version %s", runner.group, version[:12]
    )
    backoff = 0.5
    while True:
        try:
            return _rebuild_beside(runner, version, stop)
        except LeaseLost:
            return False  # the member that took the lease rebuilds; this one stands by
        except Exception as error:
            if not is_outage(error):
                raise
            # The database or the bus went away: the build starts over once they are back.
            log.warning("%s: rebuild stopped (%s); again in %.1fs", runner.group, error, backoff)
            time.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            if stop():
                return False


@dataclass(frozen=True)
class BuildPlace:
    """Where a new version is built beside the live database: a SQLite file next to it, or a
    PostgreSQL schema of the live database (its connections' ``search_path``)."""

    url: str
    file: Path | None = None
    schema: str | None = None

    def prepare(self, live: Engine) -> None:
        """Empty: what an interrupted build left is thrown away, and the build starts over."""
        self.discard(live)
        if self.schema is not None:
            with write_transaction(live) as tx:
                tx.execute(text(f"CREATE SCHEMA {_quoted(live, self.schema)}"))

    def discard(self, live: Engine) -> None:
        if self.file is not None:
            remove_build(self.file)
        if self.schema is not None:
            with write_transaction(live) as tx:
                tx.execute(text(f"DROP SCHEMA IF EXISTS {_quoted(live, self.schema)} CASCADE"))


def build_place(live: Engine, name: str, tag: str) -> BuildPlace:
    """The place to build ``name`` (a projection, or several: ``replay``) tagged ``tag``."""
    if live.dialect.name == "postgresql":
        schema = f"pvz_build_{name}_{tag}"[:63].lower()
        url = live.url.update_query_dict({"options": f"-csearch_path={schema}"})
        return BuildPlace(url.render_as_string(hide_password=False), schema=schema)
    database = live.url.database
    if live.dialect.name != "sqlite" or not database or database == ":memory:":
        raise ValueError(f"no blue/green rebuild on {live.url.render_as_string()}")
    path = Path(database)
    file = path.with_name(f"{path.stem}.{name}-{tag}.build{path.suffix}")
    return BuildPlace(f"sqlite:///{file}", file=file)


def _rebuild_beside(runner: ProjectionRunner, version: str, stop: Callable[[], bool]) -> bool:
    place = build_place(runner.engine, runner.projection.name, version[:12])
    place.prepare(runner.engine)
    try:
        return build_and_switch(
            runner.projection,
            runner.engine,
            place,
            runner.bus,
            lease=runner.lease,
            session_timeout_ms=runner.session_timeout_ms,
            max_records=runner.max_records,
            stop=stop,
        )
    finally:
        place.discard(runner.engine)


def build_and_switch(
    projection: Projection,
    live: Engine,
    place: BuildPlace,
    bus: Bus,
    *,
    lease: Lease | None = None,
    session_timeout_ms: int | None = None,
    max_records: int = 500,
    stop: Callable[[], bool] = lambda: False,
) -> bool:
    """Bring ``projection`` at ``place`` to the log's end from its stored offsets there (0 in a
    new place), then switch the live database to it; False if ``stop()`` came first.

    With ``lease`` (held: the caller is the live runner) the switch is fenced by it; without,
    the switch takes the lease from whoever holds it, so a live runner elsewhere (``serve``
    while ``povezimo replay`` runs) stands by and goes on from the new stored offsets.
    """
    version = projection_version(projection)
    build = sql_engine(place.url)
    publishing = getattr(projection, "publishing", None)
    if isinstance(projection, EventProjection):
        projection.publishing = False  # a rebuild pushes no message a second time
    try:
        builder = ProjectionRunner(
            projection,
            bus,
            build,
            session_timeout_ms=session_timeout_ms,
            max_records=max_records,
            group=f"projection.{projection.name}.build-{version[:12]}",
        )
        try:
            # To the log's end, then to the end of what came meanwhile; the live runner
            # applies what comes after the switch, from the offsets the switch stores.
            for _pass in range(2):
                ends = bus.end_offsets(partitions_of(bus, projection.topics))
                if not _catch_up(builder, ends, lease, stop):
                    return False
        finally:
            builder.close_consumer()
    finally:
        build.dispose()
        if isinstance(projection, EventProjection):
            projection.publishing = bool(publishing)
            projection.forget_rows()  # rows read from the new file; the live one is read next
    if place.schema is not None:
        _switch_schema(live, place.schema, projection, version, lease)
    else:
        assert place.file is not None
        _switch(live, place.file, projection, version, lease)
    log.warning("projection.%s: switched to version %s", projection.name, version[:12])
    return True


def _catch_up(
    builder: ProjectionRunner,
    ends: dict[TopicPartition, int],
    lease: Lease | None,
    stop: Callable[[], bool],
) -> bool:
    while not builder.caught_up(ends):
        if stop():
            return False
        builder.step(publish=False)
        if lease is not None and lease.due() and not lease.try_acquire():
            raise LeaseLost(f"{builder.group}: the lease went to another member mid-rebuild")
    return True


def _switch(
    live: Engine, path: Path, projection: Projection, version: str, lease: Lease | None
) -> None:
    """Replace the live tables and stored offsets with the new file's, in one transaction."""
    # SQLite attaches a file only outside a transaction: the connection begins its own.
    with live.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"ATTACH DATABASE ? AS {_BUILD}", (str(path),))
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                if lease is not None:
                    lease.fence(conn)  # a member that lost the lease switches nothing
                else:
                    _vacate_lease(conn, projection.name)
                _copy_projection(conn, projection, version)
            except BaseException:
                conn.exec_driver_sql("ROLLBACK")
                raise
            conn.exec_driver_sql("COMMIT")
        finally:
            conn.exec_driver_sql(f"DETACH DATABASE {_BUILD}")


def _switch_schema(
    live: Engine, schema: str, projection: Projection, version: str, lease: Lease | None
) -> None:
    """Move the built tables into the live schema in place of the old ones, in one transaction.

    A reader waits for the moment the old table is dropped (its lock), then reads the new one:
    PostgreSQL looks a name up again once the lock it waited for is granted.
    """
    with write_transaction(live) as tx:
        if lease is not None:
            lease.fence(tx)
        else:
            _vacate_lease(tx, projection.name)
        quote = tx.dialect.identifier_preparer.quote
        here = quote(tx.execute(text("SELECT current_schema()")).scalar_one())
        there = quote(schema)
        for table in projection.tables:
            tx.execute(text(f"DROP TABLE IF EXISTS {here}.{quote(table.name)}"))
        for table in projection.tables:  # its indexes and keys move with it
            tx.execute(text(f"ALTER TABLE {there}.{quote(table.name)} SET SCHEMA {here}"))
        for table in _RUNNER_TABLES:
            tx.execute(delete(table).where(table.c.projection == projection.name))
            columns = ", ".join(quote(c.name) for c in table.columns)
            tx.execute(
                text(
                    f"INSERT INTO {here}.{quote(table.name)} ({columns}) "
                    f"SELECT {columns} FROM {there}.{quote(table.name)} WHERE projection = :name"
                ),
                {"name": projection.name},
            )
        record_version(tx, projection.name, version)


def _quoted(engine: Engine, name: str) -> str:
    return str(engine.dialect.identifier_preparer.quote(name))


def _vacate_lease(conn: Connection, projection: str) -> None:
    """A new epoch with no holder: the member that held the lease fails its next fence, stands
    by, takes the lease again and seeks to the stored offsets the switch wrote."""
    conn.execute(
        update(leases_table)
        .where(leases_table.c.projection == projection)
        .values(holder="", epoch=leases_table.c.epoch + 1, expires_at_ms=0)
    )


def _copy_projection(conn: Connection, projection: Projection, version: str) -> None:
    quote = conn.dialect.identifier_preparer.quote
    for table in projection.tables:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS main.{quote(table.name)}")
    for table in projection.tables:
        table.create(conn)  # the new definition, indexes included, in the live database
        columns = ", ".join(quote(c.name) for c in table.columns)
        conn.exec_driver_sql(
            f"INSERT INTO main.{quote(table.name)} ({columns}) "
            f"SELECT {columns} FROM {_BUILD}.{quote(table.name)}"
        )
    for table in _RUNNER_TABLES:
        conn.execute(delete(table).where(table.c.projection == projection.name))
        columns = ", ".join(quote(c.name) for c in table.columns)
        conn.exec_driver_sql(
            f"INSERT INTO main.{quote(table.name)} ({columns}) "
            f"SELECT {columns} FROM {_BUILD}.{quote(table.name)} WHERE projection = ?",
            (projection.name,),
        )
    record_version(conn, projection.name, version)


def remove_build(path: Path) -> None:
    """A build file and what SQLite keeps beside it."""
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        with contextlib.suppress(FileNotFoundError):
            name.unlink()
