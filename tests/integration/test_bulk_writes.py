"""``bulk_writes``: a rebuild's SQLite connections checkpoint less often, and only meanwhile."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from services.platform.sql import BULK_CHECKPOINT_PAGES, bulk_writes, sql_engine


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
