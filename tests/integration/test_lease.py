"""A projection's lease on SQLite and PostgreSQL: one holder at a time, a superseded holder's
transaction stops at its first statement, and a writer paused inside a transaction cannot keep
the lease from a standby on PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, insert, inspect, text

from consumers.lease import Lease, LeaseLost, metadata, read_lease
from services.platform.sql import add_missing_columns, sql_engine, write_transaction

PROJECTION = "exchange"


class Clock:
    """Milliseconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_000_000

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def engine(sql_url: str) -> Iterator[Engine]:
    url = sql_url
    found = sql_engine(url)
    metadata.create_all(found)
    yield found
    found.dispose()


def member(engine: Engine, name: str, clock: Clock, duration_ms: int = 2000) -> Lease:
    return Lease(engine, PROJECTION, duration_ms=duration_ms, holder=name, clock=clock)


def test_one_holder_until_its_lease_expires_then_the_next_epoch(engine: Engine) -> None:
    clock = Clock()
    first, second = member(engine, "first", clock), member(engine, "second", clock)
    assert first.try_acquire() and first.epoch == 1
    assert not second.try_acquire(), "a live lease was taken"
    clock.now += 1999
    assert not second.try_acquire(), "taken a millisecond early"
    clock.now += 2
    assert second.try_acquire() and second.epoch == 2
    held = read_lease(engine, PROJECTION)
    assert held is not None and (held.holder, held.epoch) == ("second", 2)


def test_a_superseded_holder_is_refused_at_its_first_statement(engine: Engine) -> None:
    clock = Clock()
    first, second = member(engine, "first", clock), member(engine, "second", clock)
    assert first.try_acquire()
    clock.now += 5000  # the first was paused past its lease
    assert second.try_acquire()
    with pytest.raises(LeaseLost), write_transaction(engine) as tx:
        first.fence(tx)
        pytest.fail("the superseded holder went on writing")
    assert not first.held and not first.renew()
    assert not first.try_acquire(), "the old holder took the lease back from a live one"


def test_a_renewal_keeps_a_standby_out_and_a_release_lets_it_in_at_once(engine: Engine) -> None:
    clock = Clock()
    first, second = member(engine, "first", clock), member(engine, "second", clock)
    assert first.try_acquire()
    for _ in range(5):
        clock.now += 1500
        assert first.renew()
        assert not second.try_acquire()
    first.release()
    assert second.try_acquire() and second.epoch == 2


def test_members_racing_for_an_expired_lease_leave_one_holder(engine: Engine) -> None:
    clock = Clock()
    assert member(engine, "gone", clock).try_acquire()
    clock.now += 10_000
    racers = [member(engine, f"racer-{n}", clock) for n in range(6)]
    start = threading.Barrier(len(racers))
    won: list[str] = []

    def race(lease: Lease) -> None:
        start.wait()
        if lease.try_acquire():
            won.append(lease.holder)

    threads = [threading.Thread(target=race, args=(r,)) for r in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(won) == 1, won
    held = read_lease(engine, PROJECTION)
    assert held is not None and held.holder == won[0] and held.epoch == 2


@pytest.mark.postgres
def test_a_writer_paused_inside_a_transaction_loses_the_lease_on_postgresql(
    postgres_url: str,
) -> None:
    """A writer that renewed and then stopped answering (SIGSTOP, a long GC pause) holds the
    lease row's lock: the server ends its transaction after a lease, the standby goes on, and
    the writer's transaction commits nothing."""
    engine = sql_engine(postgres_url)
    metadata.create_all(engine)
    writer = Lease(engine, PROJECTION, duration_ms=1000, holder="writer")
    standby = Lease(engine, PROJECTION, duration_ms=1000, holder="standby")
    assert writer.try_acquire()
    connection = engine.connect()
    transaction = connection.begin()
    writer.fence(connection)  # renewed; then the writer says nothing more
    started = time.monotonic()
    while not standby.try_acquire():
        assert time.monotonic() - started < 30, "the standby never took over"
        time.sleep(0.2)
    assert standby.epoch == 2
    with pytest.raises(Exception):  # noqa: B017 - the server closed the paused session
        connection.execute(text("SELECT 1"))
        transaction.commit()
    connection.close()
    engine.dispose()


@pytest.mark.postgres
def test_a_writer_stalled_inside_a_pipeline_loses_the_lease_on_postgresql(
    postgres_url: str,
) -> None:
    """Found by CI: psycopg sends an ``executemany`` as a pipeline, and a writer paused before the
    pipeline's Sync leaves its session *active*, so the server's idle-in-transaction timer never
    starts and the lease row stays locked for as long as the pause. The standby ends that session
    once the lease has been expired for a whole lease more, then takes over."""
    engine = sql_engine(postgres_url)
    metadata.create_all(engine)
    clock = Clock()
    writer = Lease(engine, PROJECTION, duration_ms=1000, holder="writer", clock=clock)
    standby = Lease(engine, PROJECTION, duration_ms=1000, holder="standby", clock=clock)
    assert writer.try_acquire()
    connection = engine.connect()
    transaction = connection.begin()
    writer.fence(connection)
    driver = connection.connection.driver_connection
    assert driver is not None
    pipeline = driver.pipeline()
    pipeline.__enter__()  # the pipeline is never synced: the writer stopped in the middle of it
    driver.execute("UPDATE projection_leases SET renewed_at_ms = renewed_at_ms")
    clock.now += 1001
    assert not standby.try_acquire(), "taken while the writer's lease had just expired"
    clock.now += 1000
    attempts = 0
    while not standby.try_acquire():
        attempts += 1
        assert attempts < 20, "the standby never took over from the stalled writer"
    assert standby.epoch == 2
    with pytest.raises(Exception):  # noqa: B017 - the standby ended the stalled session
        pipeline.__exit__(None, None, None)
        transaction.commit()
    connection.invalidate()
    engine.dispose()


def test_a_table_made_by_an_earlier_release_gains_its_new_column(tmp_path: Path) -> None:
    engine = sql_engine(f"sqlite:///{tmp_path / 'old.db'}")
    before = Table("decisions", MetaData(), Column("event_id", String(36), primary_key=True))
    before.create(engine)
    with engine.begin() as conn:
        conn.execute(insert(before).values(event_id="kept"))
    now = Table(
        "decisions",
        MetaData(),
        Column("event_id", String(36), primary_key=True),
        Column("epoch", Integer, nullable=True),
    )
    with write_transaction(engine) as conn:
        add_missing_columns(conn, now)
    assert {c["name"] for c in inspect(engine).get_columns("decisions")} == {"event_id", "epoch"}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT event_id, epoch FROM decisions")).all() == [("kept", None)]
    engine.dispose()
