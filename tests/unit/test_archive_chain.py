"""The archive's encoding is unambiguous, its chain and checkpoints are what verify expects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, update

from consumers.archive import (
    GENESIS,
    Archive,
    archive_checkpoints,
    archive_records,
    bytes_of,
    chain_hash,
    checkpoint_message,
    create_archive_tables,
    decode_headers,
    encode_headers,
)
from consumers.runner import BatchOutput
from services.audit.verify import verify_chain
from services.bus import Record
from services.platform.signing import key_id, signature_valid
from services.platform.sql import sql_engine

headers = st.lists(st.tuples(st.text(max_size=5), st.binary(max_size=5)), max_size=3)
records = st.builds(
    Record,
    topic=st.sampled_from(["case-events", "access-log", "case-events2"]),
    partition=st.integers(0, 3),
    offset=st.integers(0, 3),
    key=st.none() | st.binary(max_size=4),
    value=st.none() | st.binary(max_size=6),
    headers=headers.map(tuple),
    timestamp_ms=st.integers(0, 2),
)


@settings(max_examples=300)
@given(records, records)
def test_different_records_never_encode_alike(first: Record, second: Record) -> None:
    assert (bytes_of(first) == bytes_of(second)) == (first == second)


@given(headers)
def test_headers_read_back_as_written(pairs: list[tuple[str, bytes]]) -> None:
    assert decode_headers(encode_headers(pairs)) == tuple(pairs)


def test_a_missing_value_and_an_empty_one_differ() -> None:
    empty = Record("case-events", 0, 0, None, b"")
    missing = Record("case-events", 0, 0, None, None)
    assert bytes_of(empty) != bytes_of(missing)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The archive on SQLite (the embedded default) and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'archive.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_archive_tables(sql_engine(url))
    yield engine
    engine.dispose()


def batch(topic: str, partition: int, offsets: range) -> list[Record]:
    return [Record(topic, partition, o, b"case", f"event {o}".encode()) for o in offsets]


def test_the_chain_links_records_and_checkpoints_sign_every_nth_and_each_batch_head(
    engine: Engine, tmp_path: Path
) -> None:
    archive = Archive(engine, tmp_path / "keys" / "archive.key", checkpoint_every=4)
    for records in (batch("case-events", 0, range(6)), batch("access-log", 1, range(3))):
        with engine.begin() as tx:
            archive.apply_batch(records, tx, BatchOutput())
    with engine.connect() as conn:
        rows = conn.execute(select(archive_records).order_by(archive_records.c.seq)).all()
        signed = conn.execute(select(archive_checkpoints)).all()
    previous = GENESIS
    for row, record in zip(
        rows, [*batch("case-events", 0, range(6)), *batch("access-log", 1, range(3))], strict=True
    ):
        previous = chain_hash(previous, bytes_of(record))
        assert row.hash == previous
    assert [c.seq for c in signed] == [4, 6, 8, 9]
    public = archive.signing_key.public_key()
    for checkpoint in signed:
        assert checkpoint.key_id == key_id(public)
        message = checkpoint_message(
            checkpoint.seq, checkpoint.head_hash, checkpoint.signed_at, checkpoint.key_id
        )
        assert signature_valid(public, checkpoint.signature, message)
    assert (tmp_path / "keys" / "archive.key").stat().st_mode & 0o777 == 0o600


def test_a_record_delivered_again_is_not_chained_twice(engine: Engine, tmp_path: Path) -> None:
    archive = Archive(engine, tmp_path / "archive.key")
    for records in (batch("case-events", 0, range(3)), batch("case-events", 0, range(1, 5))):
        with engine.begin() as tx:
            archive.apply_batch(records, tx, BatchOutput())
    with engine.connect() as conn:
        offsets = (
            conn.execute(select(archive_records.c.offset).order_by(archive_records.c.seq))
            .scalars()
            .all()
        )
        result = verify_chain(conn, archive.signing_key.public_key())
    assert offsets == [0, 1, 2, 3, 4]
    assert result.intact and result.records == 5


def test_an_empty_archive_verifies(engine: Engine, tmp_path: Path) -> None:
    archive = Archive(engine, tmp_path / "archive.key")
    with engine.connect() as conn:
        result = verify_chain(conn, archive.signing_key.public_key())
    assert result.intact and result.records == 0
    assert result.summary().startswith("archive intact: 0 records")


def test_a_changed_value_is_found_on_either_engine(engine: Engine, tmp_path: Path) -> None:
    archive = Archive(engine, tmp_path / "archive.key", checkpoint_every=2)
    with engine.begin() as tx:
        archive.apply_batch(batch("case-events", 0, range(5)), tx, BatchOutput())
    with engine.begin() as tx:
        tx.execute(
            update(archive_records).where(archive_records.c.seq == 3).values(value=b"event 9")
        )
    with engine.connect() as conn:
        result = verify_chain(conn, archive.signing_key.public_key())
    assert result.breach is not None
    assert (result.breach.position, result.breach.code) == (3, "chain_broken")
