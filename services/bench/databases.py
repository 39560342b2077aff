"""Where a benchmark puts the projections' stores: SQLite in the data directory, or PostgreSQL.

``povezimo bench --database postgresql://…`` runs the replay a second time with every projection's
store (the views' database and the aggregate's own) in that database. Each run gets fresh schemas
there, named after a random tag, so two runs on one server never meet, and drops them afterwards.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.engine import make_url

from services.platform.sql import normalise_url, sql_engine

# The projections' databases a platform opens (``services.bootstrap.Platform.engine_for``); the
# aggregate never shares the views' database, so each gets a schema of its own.
_STORES = ("views_url", "aggregate_url")


def is_postgresql(url: str) -> bool:
    return make_url(normalise_url(url)).get_backend_name() == "postgresql"


@contextlib.contextmanager
def projection_stores(database: str) -> Iterator[dict[str, str]]:
    """Settings naming a fresh schema of ``database`` for each projection store, dropped after."""
    if not is_postgresql(database):
        raise ValueError(f"{database!r}: the projections' stores go to a postgresql:// database")
    tag = uuid.uuid4().hex[:10]
    schemas = {key: f"povezimo_bench_{tag}_{key.removesuffix('_url')}" for key in _STORES}
    engine = sql_engine(database)
    quote = engine.dialect.identifier_preparer.quote
    try:
        with engine.begin() as conn:
            for schema in schemas.values():
                conn.execute(text(f"CREATE SCHEMA {quote(schema)}"))
        base = make_url(normalise_url(database))
        yield {
            key: base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
                hide_password=False
            )
            for key, schema in schemas.items()
        }
    finally:
        with engine.begin() as conn:
            for schema in schemas.values():
                conn.execute(text(f"DROP SCHEMA IF EXISTS {quote(schema)} CASCADE"))
        engine.dispose()
