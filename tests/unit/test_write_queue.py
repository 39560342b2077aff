"""SQLite writers of one process take the database in the order they asked for it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from services.platform.sql import _FairLock, sql_engine, write_transaction


def _wait_for_waiters(lock: _FairLock, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(lock._waiting) < count and time.monotonic() < deadline:
        time.sleep(0.001)
    assert len(lock._waiting) == count


def test_waiters_are_served_in_arrival_order() -> None:
    lock = _FairLock()
    assert lock.acquire(1.0)
    order: list[str] = []

    def writer(name: str) -> None:
        assert lock.acquire(5.0)
        order.append(name)
        lock.release()

    threads = []
    for position, name in enumerate(["first", "second", "third"], start=1):
        thread = threading.Thread(target=writer, args=(name,))
        thread.start()
        _wait_for_waiters(lock, position)
        threads.append(thread)
    lock.release()
    for thread in threads:
        thread.join(5)
    assert order == ["first", "second", "third"]


def test_a_waiter_that_gives_up_leaves_the_queue() -> None:
    lock = _FairLock()
    assert lock.acquire(1.0)
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(lock.acquire(0.05)))
    thread.start()
    thread.join(5)
    assert result == [False]
    assert not lock._waiting
    lock.release()
    assert lock.acquire(0.0)  # free again for whoever asks next


def test_concurrent_writers_all_commit(tmp_path: Path) -> None:
    engine = sql_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))

    def bump() -> None:
        for _ in range(50):
            with write_transaction(engine) as tx:
                n = tx.execute(text("SELECT n FROM counter")).scalar_one()
                tx.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 200
    engine.dispose()
