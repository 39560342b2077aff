"""SQLite's query plans for the statements a piece of code runs (to prove a read uses an index)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, event


def plans_of(engine: Engine, read: Callable[[Connection], object]) -> list[tuple[str, str]]:
    """Every SELECT ``read`` ran on its connection, with SQLite's plan for it (a step a line)."""
    ran: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            ran.append((statement, parameters))

    with engine.connect() as conn:
        event.listen(conn, "before_cursor_execute", capture)
        read(conn)
        event.remove(conn, "before_cursor_execute", capture)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        plans = []
        for statement, parameters in ran:
            steps = cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
            plans.append((statement, " / ".join(str(step[-1]) for step in steps)))
    assert plans, "the read ran no query"
    return plans
