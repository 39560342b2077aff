"""Real migrations (Alembic) for the stores that are not projections: vault, outbox, API, registry.

A projection is rebuilt from the log when its tables change (``consumers.versions``); these stores
hold what no log gives back (data keys, events not yet sent, token hashes, schemas), so each is
changed in place by a chain of revisions of its own, under ``<store>/versions/``, recorded in a
version table of its own (``alembic_version_<store>``): several stores may share one database
(PostgreSQL in production, ``views.db`` for the API's tables).

Nothing here needs ``alembic.ini`` or ``env.py``: the configuration is built in code and the
chain is run on the caller's engine when the store is opened (``upgrade``). A store that
predates Alembic is adopted by its baseline revision, which creates only what the store lacks,
then the later revisions run as for any other store.

A new revision: copy the newest file of the chain, give it a new ``revision`` and set
``down_revision`` to the one it follows; write ``upgrade`` with ``op`` and keep the store's
``Table`` in its module in step (``tests/integration/test_migrations.py`` compares the two).
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from services.platform.sql import write_transaction

STORES = ("vault", "outbox", "api", "registry")
_HERE = Path(__file__).parent


def version_table(store: str) -> str:
    return f"alembic_version_{store}"


def _config(store: str) -> Config:
    if store not in STORES:
        raise ValueError(f"no migrations for store {store!r}; stores: {', '.join(STORES)}")
    config = Config()
    config.set_main_option("script_location", str(_HERE / store))
    return config


def script_directory(store: str) -> ScriptDirectory:
    """The store's chain of revisions, configured in code."""
    return ScriptDirectory.from_config(_config(store))


def head(store: str) -> str:
    revision = script_directory(store).get_current_head()
    assert revision is not None, f"the {store} chain has no revision"
    return revision


def current_revision(conn: Connection, store: str) -> str | None:
    """The revision the store in ``conn``'s database is at (None: not under Alembic yet)."""
    context = MigrationContext.configure(conn, opts={"version_table": version_table(store)})
    return context.get_current_revision()


def upgrade(engine: Engine, store: str) -> None:
    """Bring ``store`` in ``engine``'s database to its newest revision, in one transaction.

    A store already at its head costs one read and takes no writer's lock. Otherwise the chain
    runs as a writer (``BEGIN IMMEDIATE`` on SQLite; an advisory lock per store on PostgreSQL),
    so two processes opening one store at once take turns and the second finds nothing to do.
    """
    config = _config(store)
    script = ScriptDirectory.from_config(config)
    newest = script.get_current_head()
    with engine.connect() as conn:
        if current_revision(conn, store) == newest:
            return
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            key = zlib.crc32(f"povezimo.migrations.{store}".encode())
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        _run(conn, store, config, script)


def _run(conn: Connection, store: str, config: Config, script: ScriptDirectory) -> None:
    def steps(revision: Any, _context: MigrationContext) -> Any:
        return script._upgrade_revs("head", revision)  # what ``alembic upgrade head`` runs

    with EnvironmentContext(config, script, fn=steps, destination_rev="head") as env:
        # The caller's transaction holds every revision: a failure leaves the store as it was.
        env.configure(connection=conn, version_table=version_table(store))
        with env.begin_transaction():
            env.run_migrations()
