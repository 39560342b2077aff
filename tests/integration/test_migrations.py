"""The stores that are not projections change in place, by Alembic, on SQLite and PostgreSQL.

A store made by the previous release (before Alembic, before ``producer_outbox`` kept when an
event was submitted) is opened by the current code: its rows are still there, the new column is
there, and its chain is at the head. Every chain, run on an empty database, gives exactly the
tables the code declares, so a table changed without a revision fails here.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    insert,
    inspect,
    select,
)

from producers.publisher import Publisher, outbox_table, pending, pending_since
from producers.scenario import urgent_measure_case
from schemas import Codec
from schemas.registry import EmbeddedRegistry
from schemas.registry import tables as registry_tables
from services.api import ingest, tokens
from services.api.tokens import Role, TokenStore
from services.platform import migrations, vault
from services.platform.sql import sql_engine
from services.platform.vault import KeyVault

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)


def _previous_release_outbox() -> tuple[MetaData, Table]:
    """``producer_outbox`` as the release before Alembic declared it (no ``submitted_at_ms``)."""
    metadata = MetaData()
    table = Table(
        "producer_outbox",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("institution", String(200), nullable=False, index=True),
        Column("event_type", String(60), nullable=False),
        Column("key", LargeBinary, nullable=False),
        Column("value", LargeBinary, nullable=False),
        Column("sent", Integer, nullable=False, default=0, index=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("sent_at_ms", BigInteger, nullable=True),
    )
    return metadata, table


@pytest.fixture
def engine(sql_url: str) -> Engine:
    engine = sql_engine(sql_url)
    yield engine  # type: ignore[misc]
    engine.dispose()


def test_an_outbox_made_by_the_previous_release_upgrades_in_place(engine: Engine) -> None:
    old_metadata, old_table = _previous_release_outbox()
    old_metadata.create_all(engine)
    waiting = str(uuid.uuid4())
    with engine.begin() as tx:
        tx.execute(
            insert(old_table).values(
                event_id=waiting, institution="csr.lazarevac", event_type="CaseOpened",
                key=b"k", value=b"\x00old bytes", sent=0, attempts=2,
            )
        )  # fmt: skip

    codec = Codec(EmbeddedRegistry(sql_engine("sqlite://")))
    codec.register_all()
    Publisher("csr.lazarevac", codec, engine)  # the current code opens the store

    with engine.connect() as conn:
        assert migrations.current_revision(conn, "outbox") == migrations.head("outbox")
        columns = {c["name"] for c in inspect(conn).get_columns("producer_outbox")}
        row = conn.execute(select(outbox_table).where(outbox_table.c.event_id == waiting)).one()
    assert "submitted_at_ms" in columns
    assert (row.value, row.attempts, row.sent, row.submitted_at_ms) == (
        b"\x00old bytes",
        2,
        0,
        None,
    )
    assert pending_since(engine) is None  # what waits predates the column: no time to give

    police = "police.pu-beograd.lazarevac"
    script = urgent_measure_case(random.Random(1), NOW)
    Publisher(police, codec, engine).submit(
        next(s.event for s in script if s.institution == police)
    )
    assert pending(engine) == 2
    assert pending_since(engine) is not None


def test_stores_from_before_alembic_are_adopted_with_their_rows(engine: Engine) -> None:
    # As the previous release made them: create_all of the code's tables, no version table.
    for metadata in (vault.metadata, tokens.metadata, ingest.metadata, registry_tables.metadata):
        metadata.create_all(engine)
    with engine.begin() as tx:
        tx.execute(
            insert(vault.keys_table).values(
                subject_id="s-1", key_id="k-1", data_key=b"\x01" * 32, created_at=NOW
            )
        )
    with engine.begin() as tx:
        tx.execute(
            insert(tokens.tokens_table).values(
                token_id="t-1", token_hash=tokens.token_hash("pvz_secret"),
                institution="csr.lazarevac", role=Role.INSTITUTION.value, issued_at=NOW,
            )
        )  # fmt: skip

    keys = KeyVault(engine)
    registry = EmbeddedRegistry(engine)
    registry.register("subject-value", {"type": "record", "name": "R", "fields": []})

    assert keys.key_id_of("s-1") == "k-1"
    principal = TokenStore(engine).authenticate("pvz_secret")
    assert principal is not None and principal.institution == "csr.lazarevac"
    with engine.connect() as conn:
        for store in ("vault", "api", "registry"):
            assert migrations.current_revision(conn, store) == migrations.head(store)


@pytest.mark.parametrize(
    ("store", "metadata"),
    [
        ("vault", vault.metadata),
        ("outbox", outbox_table.metadata),
        ("registry", registry_tables.metadata),
        ("api", None),
    ],
)
def test_each_chain_gives_the_tables_the_code_declares(
    engine: Engine, store: str, metadata: MetaData | None
) -> None:
    if metadata is None:  # the API's store holds the tokens and ingest's submissions
        metadata = MetaData()
        tokens.tokens_table.to_metadata(metadata)
        ingest.api_submissions.to_metadata(metadata)
    migrations.upgrade(engine, store)
    with engine.connect() as conn:
        # Only the store's tables: its version table is Alembic's, not the code's.
        declared = set(metadata.tables)
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _parent: kind != "table" or name in declared,
            },
        )
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_a_store_at_its_head_is_left_alone(engine: Engine) -> None:
    migrations.upgrade(engine, "vault")
    migrations.upgrade(engine, "vault")
    with engine.connect() as conn:
        assert migrations.current_revision(conn, "vault") == "vault_0001"
