"""A rebuild's writes: SQLite connections checkpoint less often (``bulk_writes``), and writers
on PostgreSQL take turns (``one_writer_at_a_time``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, bindparam, text

from services.platform.sql import (
    BULK_CHECKPOINT_PAGES,
    bulk_writes,
    one_writer_at_a_time,
    sql_engine,
)


def checkpoint_pages(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def test_the_setting_holds_inside_the_block_and_the_default_comes_back(tmp_path: Path) -> None:
    engine = sql_engine(f"sqlite:///{tmp_path / 'views.db'}")
    assert checkpoint_pages(engine) == 1000  # SQLite's default: the pooled connection now
    with bulk_writes(engine):
        assert checkpoint_pages(engine) == BULK_CHECKPOINT_PAGES  # the same connection again
        with engine.connect() as one, engine.connect() as two:  # and a new one
            for conn in (one, two):
                pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
                assert pages == BULK_CHECKPOINT_PAGES
    assert checkpoint_pages(engine) == 1000
    with engine.connect() as conn:  # durability as before: commits still NORMAL
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 1
    engine.dispose()


@pytest.mark.postgres
def test_writers_that_ask_take_turns_on_postgresql_until_the_holder_ends(postgres_url: str) -> None:
    engine = sql_engine(postgres_url)
    name = "povezimo.test.turns"
    try_lock = text("SELECT pg_try_advisory_xact_lock(hashtext(:name))")
    try:
        with engine.connect() as other:
            with engine.begin() as tx:
                one_writer_at_a_time(tx, name)
                with other.begin():
                    assert other.execute(try_lock, {"name": name}).scalar_one() is False
            with other.begin():  # the holder committed: the turn is free
                assert other.execute(try_lock, {"name": name}).scalar_one() is True
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_rebuilds_key_lists_on_postgresql_are_planned_with_their_keys(postgres_url: str) -> None:
    """A statement psycopg prepares (from its fifth run) soon runs PostgreSQL's generic plan,
    which compares every row with every key of ``IN (…)`` in turn: a rebuild reading back its
    growing tables by lists of hundreds of keys got slower with every chunk. Inside the block
    nothing is prepared, so each list is planned with its keys; outside, the default is back."""
    engine = sql_engine(postgres_url)
    keys = [f"case-{i}" for i in range(500)]
    lookup = text("SELECT count(*) FROM (VALUES ('case-1')) AS t(k) WHERE k IN :keys").bindparams(
        bindparam("keys", expanding=True)
    )
    prepared = text("SELECT count(*) FROM pg_prepared_statements")

    def prepared_after_six_lookups() -> int:
        with engine.connect() as conn:
            for _ in range(6):
                assert conn.execute(lookup, {"keys": keys}).scalar_one() == 1
            return int(conn.execute(prepared).scalar_one())

    try:
        with bulk_writes(engine):
            assert prepared_after_six_lookups() == 0
        assert prepared_after_six_lookups() >= 1
    finally:
        engine.dispose()
