"""``TableRows``: a batch's rows in memory, written back once, on every SQL engine we ship.

Each test works a small table through the identity map and then reads the table back with plain
SQLAlchemy: what is in the database must be exactly what the same changes made statement by
statement would have left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from consumers.rows import DuplicateRow, RowsToInsert, RowStore, TableRows
from services.platform.sql import UtcDateTime, execute_many, insert_many, sql_engine

metadata = MetaData()
measures = Table(
    "test_measures",
    metadata,
    Column("measure_id", String(36), primary_key=True),
    Column("case_id", String(36), nullable=False),
    Column("served_at", UtcDateTime),
    Column("granted", Boolean),
    Column("breaches", Integer, nullable=False, default=0),
    Column("repeat", Boolean, nullable=False, default=False),
)
members = Table(
    "test_members",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("institution", String(60), primary_key=True),
    Column("role", String(30), primary_key=True),
)
SERVED = dt.datetime(2025, 3, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)


@pytest.fixture
def engine(sql_url: str) -> Iterator[Engine]:
    url = sql_url
    engine = sql_engine(url)
    metadata.create_all(engine)
    yield engine
    metadata.drop_all(engine)
    engine.dispose()


def stored(engine: Engine, table: Table) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        key = [c for c in table.primary_key.columns]
        return [dict(r._mapping) for r in conn.execute(select(table).order_by(*key))]


def write(engine: Engine, *tables: TableRows | RowsToInsert) -> None:
    with engine.begin() as tx:
        RowStore(*tables).flush(tx)


def test_changes_in_memory_reach_the_table_once_flushed(engine: Engine) -> None:
    rows = TableRows(measures)
    with engine.begin() as tx:
        rows.conn = tx
        rows.add({"measure_id": "m1", "case_id": "c1"})  # defaults fill what is left out
        rows.add({"measure_id": "m2", "case_id": "c1", "breaches": 2})
        rows.update("m1", served_at=SERVED, granted=True)
        rows.remove("m2")  # added and removed in the same batch: never written
        assert rows.flush(tx) == 1
    assert stored(engine, measures) == [
        {"measure_id": "m1", "case_id": "c1", "served_at": SERVED, "granted": True,
         "breaches": 0, "repeat": False},
    ]  # fmt: skip


def test_a_row_is_read_once_and_its_absence_remembered(engine: Engine) -> None:
    write_one(engine, "m1")
    rows = TableRows(measures)
    queries: list[str] = []
    with engine.connect() as conn:
        rows.conn = counting(conn, queries)
        assert rows.get("m1") == {
            "measure_id": "m1", "case_id": "c1", "served_at": None, "granted": None,
            "breaches": 0, "repeat": False,
        }  # fmt: skip
        assert rows.get("m1") is not None
        assert rows.get("nobody") is None and rows.get("nobody") is None
    assert len(queries) == 2


def test_an_update_writes_only_the_columns_it_names(engine: Engine) -> None:
    """Another writer's column (the aggregate's repeat flag, set across cases) survives a stale
    copy in memory."""
    write_one(engine, "m1")
    rows = TableRows(measures)
    with engine.begin() as tx:
        rows.conn = tx
        rows.get("m1")  # read while repeat is still False
        tx.execute(update(measures).values(repeat=True))  # someone else sets it
        rows.update("m1", breaches=3)
        rows.flush(tx)
    (row,) = stored(engine, measures)
    assert (row["breaches"], row["repeat"]) == (3, True)


def write_members(engine: Engine, *cases: str) -> None:
    """Case c1's two participants, and an opener of each other case."""
    rows = [
        {"case_id": "c1", "institution": "csr.lazarevac", "role": "opener"},
        {"case_id": "c1", "institution": "ngo.azc", "role": "referral_recipient"},
        *({"case_id": case, "institution": "csr.palilula", "role": "opener"} for case in cases),
    ]
    with engine.begin() as tx:
        execute_many(tx, members.insert(), rows)


def test_a_group_is_read_whole_and_kept_complete_in_memory(engine: Engine) -> None:
    write_members(engine, "c2")
    rows = TableRows(members, groups=("case_id",))
    queries: list[str] = []
    with engine.begin() as tx:
        rows.conn = counting(tx, queries)
        rows.prefetch_groups("case_id", ["c1", "c3"])
        rows.add({"case_id": "c1", "institution": "court.os-lazarevac", "role": "court"})
        rows.remove(("c1", "ngo.azc", "referral_recipient"))
        # Keys of a group read whole need no query: absent is absent.
        assert rows.get(("c1", "police.lazarevac", "opener")) is None
        assert rows.get(("c3", "csr.lazarevac", "opener")) is None
        assert sorted(r["institution"] for r in rows.group("case_id", "c1")) == [
            "court.os-lazarevac",
            "csr.lazarevac",
        ]
        rows.flush(tx)
    assert len(queries) == 1
    assert [(r["case_id"], r["institution"]) for r in stored(engine, members)] == [
        ("c1", "court.os-lazarevac"),
        ("c1", "csr.lazarevac"),
        ("c2", "csr.palilula"),
    ]


def test_keys_of_several_columns_are_read_ahead_in_one_query(engine: Engine) -> None:
    """Keys that differ in one column only (the applied ids: one projection, many cases) are read
    as that column's list; keys that differ in more as row values. Either way, exactly the rows
    asked for, and what is not there is remembered absent."""
    write_members(engine, "c2", "c3")
    rows = TableRows(members)
    queries: list[str] = []
    opener = ("csr.palilula", "opener")
    with engine.connect() as conn:
        rows.conn = counting(conn, queries)
        rows.prefetch([("c2", *opener), ("c3", *opener), ("c4", *opener)])  # cases vary
        recipient = ("c1", "ngo.azc", "referral_recipient")
        rows.prefetch([("c1", "csr.lazarevac", "opener"), recipient, ("c2", "ngo.azc", "court")])
        assert len(queries) == 2
        assert rows.get(("c2", *opener)) is not None and rows.get(("c3", *opener)) is not None
        assert rows.get(("c4", *opener)) is None
        assert rows.get(("c1", "csr.lazarevac", "opener")) is not None
        assert rows.get(recipient) is not None
        assert rows.get(("c2", "ngo.azc", "court")) is None
        assert len(queries) == 2


def test_ageing_keeps_what_was_used_since_and_forgets_the_rest_at_the_next(
    engine: Engine,
) -> None:
    """A rebuild past its budget ages its rows instead of forgetting them all: a row used after
    one ageing survives the next without a query; a row unused through two is read again."""
    for measure_id in ("m1", "m2"):
        write_one(engine, measure_id)
    rows = TableRows(measures)
    queries: list[str] = []
    with engine.connect() as conn:
        rows.conn = counting(conn, queries)
        rows.prefetch(["m1", "m2", "nobody"])
        rows.age()
        assert rows.get("m1") is not None and rows.get("nobody") is None  # from memory
        rows.age()
        assert rows.get("m1") is not None and rows.get("nobody") is None  # used since: kept
        assert len(queries) == 1
        assert rows.get("m2") is not None  # unused through two ageings: read again
        assert len(queries) == 2
        assert len(rows) == 3


def test_an_aged_group_comes_back_whole_and_its_changes_are_written(engine: Engine) -> None:
    write_members(engine)
    rows = TableRows(members, groups=("case_id",))
    queries: list[str] = []
    with engine.begin() as tx:
        rows.conn = counting(tx, queries)
        rows.prefetch_groups("case_id", ["c1", "c2"])
        rows.age()
        # One row of the group asked for by key brings the whole group back, still complete.
        assert rows.get(("c1", "csr.lazarevac", "opener")) is not None
        assert rows.get(("c1", "police.lazarevac", "opener")) is None
        assert rows.group("case_id", "c2") == []  # read whole and empty before the ageing
        rows.add({"case_id": "c2", "institution": "police.lazarevac", "role": "opener"})
        assert rows.remove(("c1", "ngo.azc", "referral_recipient"))
        assert [r["institution"] for r in rows.group("case_id", "c1")] == ["csr.lazarevac"]
        rows.flush(tx)
        rows.age()
        rows.age()  # nothing used since: every row goes, and is read again when asked for
        assert [r["institution"] for r in rows.group("case_id", "c2")] == ["police.lazarevac"]
    assert len(queries) == 2
    assert [(r["case_id"], r["institution"]) for r in stored(engine, members)] == [
        ("c1", "csr.lazarevac"),
        ("c2", "police.lazarevac"),
    ]


def test_adding_a_known_key_is_refused_and_an_unknown_one_is_left_to_the_database(
    engine: Engine,
) -> None:
    write_one(engine, "m1")
    rows = TableRows(measures)
    with engine.connect() as conn:
        rows.conn = conn
        rows.get("m1")
        with pytest.raises(DuplicateRow):
            rows.add({"measure_id": "m1", "case_id": "c1"})
    rows = TableRows(measures)  # never read m1: the add is optimistic
    rows.add({"measure_id": "m1", "case_id": "c9"})
    with pytest.raises(IntegrityError), engine.begin() as tx:
        rows.flush(tx)
    assert stored(engine, measures)[0]["case_id"] == "c1"


def test_put_inserts_or_replaces_without_reading(engine: Engine) -> None:
    write_one(engine, "m1")
    rows = TableRows(measures)
    rows.put({"measure_id": "m1", "case_id": "c1", "breaches": 7})
    rows.put({"measure_id": "m2", "case_id": "c2", "breaches": 1})
    write(engine, rows)
    assert [(r["measure_id"], r["breaches"]) for r in stored(engine, measures)] == [
        ("m1", 7),
        ("m2", 1),
    ]


def test_rows_to_insert_are_written_together_and_forgotten(engine: Engine) -> None:
    rows = RowsToInsert(measures)
    rows.add({"measure_id": "m1", "case_id": "c1", "served_at": SERVED, "granted": False,
              "breaches": 0, "repeat": False})  # fmt: skip
    assert rows.pending
    write(engine, rows)
    assert not rows.pending and len(rows) == 0
    assert stored(engine, measures)[0]["served_at"] == SERVED


def test_execute_many_stores_what_execute_stores(engine: Engine) -> None:
    """The driver-level path converts values with the column types' own processors."""
    local = dt.datetime(2025, 3, 1, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    row = {"measure_id": "m1", "case_id": "c1", "served_at": local, "granted": True,
           "breaches": 4, "repeat": False}  # fmt: skip
    with engine.begin() as tx:
        execute_many(tx, measures.insert(), [row])
        tx.execute(members.insert(), {"case_id": "c1", "institution": "x", "role": "y"})
    fast = stored(engine, measures)[0]
    with engine.begin() as tx:
        tx.execute(measures.delete())
        tx.execute(measures.insert(), row)
    assert stored(engine, measures)[0] == fast
    assert fast["served_at"] == local and fast["served_at"].tzinfo == dt.UTC


def test_insert_many_stores_what_execute_stores_and_refuses_a_known_key_whole(
    engine: Engine,
) -> None:
    """COPY on PostgreSQL, the INSERT elsewhere: the same rows, the same integrity error, and
    nothing of a refused batch kept (its savepoint undone, the transaction goes on)."""
    local = dt.datetime(2025, 3, 1, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    row = {"measure_id": "m1", "case_id": "c1", "served_at": local, "granted": None,
           "breaches": 4, "repeat": True}  # fmt: skip
    other = {**row, "measure_id": "m2", "served_at": None, "granted": False}
    with engine.begin() as tx:
        insert_many(tx, measures, [row, other])
        with pytest.raises(IntegrityError), tx.begin_nested():
            insert_many(tx, measures, [{**row, "measure_id": "m3"}, row])
        insert_many(tx, members, [{"case_id": "c1", "institution": "x", "role": "y"}])
    fast = stored(engine, measures)
    with engine.begin() as tx:
        tx.execute(measures.delete())
        tx.execute(measures.insert(), [row, other])
    assert stored(engine, measures) == fast
    assert [r["measure_id"] for r in fast] == ["m1", "m2"]
    assert fast[0]["served_at"] == local and fast[0]["served_at"].tzinfo == dt.UTC
    assert len(stored(engine, members)) == 1


def write_one(engine: Engine, measure_id: str) -> None:
    with engine.begin() as tx:
        tx.execute(measures.insert(), {"measure_id": measure_id, "case_id": "c1"})


def counting(conn: Connection, queries: list[str]) -> Connection:
    """``conn``, noting every statement the rows send through it."""
    execute = conn.execute

    def noted(statement: Any, *args: Any, **kwargs: Any) -> Any:
        queries.append(str(statement))
        return execute(statement, *args, **kwargs)

    conn.execute = noted  # type: ignore[method-assign]
    return conn
