"""One active member per projection: a lease with an epoch, kept in the projection's own database.

Every process that runs a projection competes for its lease; only the holder reads the bus. The
holder renews it (every batch renews it too); when it stops renewing (killed, paused, cut off),
the lease expires and a standby takes it over with the next epoch. Safety rests on the epoch, not
on clocks: each batch's transaction begins by renewing the lease *under the epoch its writer
holds* (``fence``), and a writer whose epoch was superseded finds no row to renew, so its
transaction stops before it writes a row or publishes a record. The renewal takes the database's
write lock (SQLite) or the lease row's lock (PostgreSQL) until the batch commits, so a takeover
is ordered after a batch or before it, never in the middle. Clocks only decide when a standby may
try: a skewed clock delays a takeover or hastens one, it never lets two writers commit.

A writer paused in the middle of a transaction still holds that lock: on SQLite the standby waits
for it (the file lock is the order); on PostgreSQL the server ends the paused transaction after
the lease's duration (``idle_in_transaction_session_timeout``), which lets the standby go on. That
timer starts only while the server waits for a new command; a writer paused inside a pipeline
(psycopg sends ``executemany`` as one) leaves its session *active*, so a standby that finds the
row still locked a whole lease after it expired ends that session itself
(``end_stalled_holder``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from services.platform.sql import write_transaction

log = logging.getLogger(__name__)

DEFAULT_LEASE_MS = 10_000
metadata = MetaData()  # created in each projection's database beside its offsets

leases_table = Table(
    "projection_leases",
    metadata,
    Column("projection", String(100), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("epoch", BigInteger, nullable=False),
    Column("acquired_at_ms", BigInteger, nullable=False),
    Column("renewed_at_ms", BigInteger, nullable=False),
    Column("expires_at_ms", BigInteger, nullable=False),
)


class LeaseLost(Exception):
    """This member's epoch was superseded: it must stop writing and stand by."""


@dataclass(frozen=True)
class LeaseState:
    """Who holds a projection's lease, as its table says."""

    projection: str
    holder: str
    epoch: int
    acquired_at_ms: int
    expires_at_ms: int

    def live(self, now_ms: int) -> bool:
        return bool(self.holder) and self.expires_at_ms >= now_ms

    @property
    def held_here(self) -> bool:
        """Whether a runner of this process holds it."""
        return self.holder.rsplit(":", 1)[0] == this_process()

    def summary(self, now_ms: int) -> dict[str, object]:
        """What ``/healthz`` says of it: no host name, which only operators need."""
        return {
            "epoch": self.epoch,
            "since": dt.datetime.fromtimestamp(self.acquired_at_ms / 1000, dt.UTC).isoformat(),
            "live": self.live(now_ms),
            "this_process": self.held_here,
        }


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def member_id() -> str:
    """Names a member to operators: the host and process, and which of its runners."""
    return f"{this_process()}:{uuid.uuid4().hex[:6]}"


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class Lease:
    """A projection's lease as one member competes for it."""

    def __init__(
        self,
        engine: Engine,
        projection: str,
        *,
        duration_ms: int = DEFAULT_LEASE_MS,
        holder: str | None = None,
        clock: Callable[[], int] = wall_ms,
    ) -> None:
        self.engine = engine
        self.projection = projection
        self.duration_ms = duration_ms
        self.holder = holder or member_id()
        self.clock = clock
        self.epoch: int | None = None  # set while this member holds the lease
        self._renewed_at = 0.0  # monotonic, for ``due``

    @property
    def held(self) -> bool:
        return self.epoch is not None

    @property
    def retry_interval_s(self) -> float:
        """How often a standby looks, and a holder renews when it writes nothing."""
        return self.duration_ms / 4000

    def due(self) -> bool:
        """Whether to renew (or try to acquire) now."""
        return time.monotonic() - self._renewed_at >= self.retry_interval_s

    def current(self) -> LeaseState | None:
        """The lease as stored (read without a lock)."""
        return read_lease(self.engine, self.projection)

    def try_acquire(self) -> bool:
        """Renew the lease if held, else take it if it is free or expired; ``held`` after."""
        if self.held:
            return self.renew()
        seen = self.current()
        if seen is not None and seen.live(self.clock()):
            return False  # not worth the write lock: a holder renewed it in time
        try:
            return self._take_over()
        except OperationalError as error:
            if not _lock_not_available(error) or seen is None:
                raise
            if self.clock() > seen.expires_at_ms + self.duration_ms:
                end_stalled_holder(self.engine, self.projection, seen)
            return False

    def _take_over(self) -> bool:
        with write_transaction(self.engine) as tx:
            if tx.dialect.name == "postgresql":
                # The row stays locked while a paused writer's transaction is open: wait no
                # longer than a standby's interval, then look again (and maybe end it).
                tx.execute(text(f"SET LOCAL lock_timeout = {int(self.retry_interval_s * 1000)}"))
            tx.execute(_insert_vacant(tx.dialect.name, self.projection))
            row = tx.execute(
                select(leases_table).where(leases_table.c.projection == self.projection)
            ).one()
            now = self.clock()
            if row.holder and row.expires_at_ms >= now:
                return False
            # Compare-and-set on the epoch and the expiry read: a renewal that commits first
            # (PostgreSQL re-checks the condition once the row's lock is free) wins.
            taken = tx.execute(
                update(leases_table)
                .where(leases_table.c.projection == self.projection)
                .where(leases_table.c.epoch == row.epoch)
                .where(leases_table.c.expires_at_ms < now)
                .values(
                    holder=self.holder,
                    epoch=row.epoch + 1,
                    acquired_at_ms=now,
                    renewed_at_ms=now,
                    expires_at_ms=now + self.duration_ms,
                )
            )
            if taken.rowcount != 1:
                return False
        self.epoch = row.epoch + 1
        self._renewed_at = time.monotonic()
        before = f"from {row.holder} (epoch {row.epoch})" if row.holder else "vacant"
        log.warning(
            "%s: %s took the lease at epoch %d, %s",
            self.projection,
            self.holder,
            self.epoch,
            before,
        )
        return True

    def renew(self) -> bool:
        """Extend the lease this member holds; False (and a standby) when it was taken."""
        try:
            with write_transaction(self.engine) as tx:
                self.fence(tx)
        except LeaseLost:
            return False
        return True

    def fence(self, tx: Connection) -> int:
        """First statement of a writer's transaction: renew under this member's epoch, or raise.

        Returns the epoch, which the transaction's rows may carry.
        """
        if self.epoch is None:
            raise LeaseLost(f"{self.projection}: {self.holder} holds no lease")
        if tx.dialect.name == "postgresql":
            # A transaction left open by a paused writer would hold the lease row's lock for
            # as long as the pause: the server ends it once a lease has passed.
            tx.execute(text(f"SET LOCAL idle_in_transaction_session_timeout = {self.duration_ms}"))
        now = self.clock()
        renewed = tx.execute(
            update(leases_table)
            .where(leases_table.c.projection == self.projection)
            .where(leases_table.c.holder == self.holder)
            .where(leases_table.c.epoch == self.epoch)
            .values(renewed_at_ms=now, expires_at_ms=now + self.duration_ms)
        )
        if renewed.rowcount != 1:
            lost = self.epoch
            self.epoch = None
            log.warning(
                "%s: %s lost the lease of epoch %d to another member; standing by",
                self.projection,
                self.holder,
                lost,
            )
            raise LeaseLost(f"{self.projection}: the lease of epoch {lost} was taken over")
        self._renewed_at = time.monotonic()
        return self.epoch

    def release(self) -> None:
        """Give the lease up (a clean stop), so a standby need not wait for it to expire."""
        if self.epoch is None:
            return
        with write_transaction(self.engine) as tx:
            tx.execute(
                update(leases_table)
                .where(leases_table.c.projection == self.projection)
                .where(leases_table.c.holder == self.holder)
                .where(leases_table.c.epoch == self.epoch)
                .values(expires_at_ms=0)
            )
        log.info("%s: %s released the lease of epoch %d", self.projection, self.holder, self.epoch)
        self.epoch = None


def _lock_not_available(error: OperationalError) -> bool:
    return getattr(error.orig, "sqlstate", None) == "55P03"


# The session whose open transaction holds the lease row: the row's ``xmax`` is the locking
# transaction's id, and that transaction holds the lock on its own id.
_STALLED_HOLDER = text(
    "SELECT l.pid FROM pg_locks l"
    " WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted"
    " AND l.pid <> pg_backend_pid()"
    " AND l.transactionid = (SELECT xmax FROM projection_leases WHERE projection = :projection)"
)


def end_stalled_holder(engine: Engine, projection: str, seen: LeaseState) -> None:
    """End the PostgreSQL session that keeps an expired lease's row locked.

    Only a member whose lease expired a whole lease ago gets here, so its transaction can no
    longer commit a decision under a live epoch; ending it rolls that transaction back. Ending
    another session of the same role needs no superuser (or ``pg_signal_backend`` otherwise).
    """
    with engine.connect() as conn:
        pids = conn.execute(_STALLED_HOLDER, {"projection": projection}).scalars().all()
        for pid in pids:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        conn.commit()
    for pid in pids:
        log.warning(
            "%s: ended database session %d of %s, which held the lease of epoch %d past its "
            "expiry inside a transaction",
            projection,
            pid,
            seen.holder,
            seen.epoch,
        )


def read_lease(conn_or_engine: Engine | Connection, projection: str) -> LeaseState | None:
    query = select(leases_table).where(leases_table.c.projection == projection)
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            row = conn.execute(query).one_or_none()
    else:
        row = conn_or_engine.execute(query).one_or_none()
    if row is None or not row.holder:
        return None
    return LeaseState(
        projection=row.projection,
        holder=row.holder,
        epoch=row.epoch,
        acquired_at_ms=row.acquired_at_ms,
        expires_at_ms=row.expires_at_ms,
    )


def _insert_vacant(dialect_name: str, projection: str) -> Any:
    """The lease row of a projection nobody held yet (epoch 0), unless it exists."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    vacant = {"holder": "", "epoch": 0, "acquired_at_ms": 0, "renewed_at_ms": 0}
    statement = dialect.insert(leases_table).values(
        projection=projection, expires_at_ms=0, **vacant
    )
    return statement.on_conflict_do_nothing(index_elements=["projection"])
