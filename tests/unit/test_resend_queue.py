"""The resend queue puts a case's lost events back in their original order, whatever order the
outboxes send them in, and holds that case's new events behind them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert

from consumers.resend_queue import ResendQueue, metadata, resend_queue_table
from consumers.runner import BatchOutput
from services.platform.sql import sql_engine

CASE, OTHER = "case-1", "case-2"


def test_lost_events_go_back_in_their_original_order_with_new_ones_behind(tmp_path: Path) -> None:
    engine = sql_engine(f"sqlite:///{tmp_path / 'exchange.db'}")
    metadata.create_all(engine)
    with engine.begin() as tx:
        tx.execute(
            insert(resend_queue_table),
            [
                {"event_id": "served", "case_id": CASE, "lost": True, "ordinal": 0},
                {"event_id": "proposed", "case_id": CASE, "lost": True, "ordinal": 1},
                {"event_id": "unseen", "case_id": CASE, "lost": True, "ordinal": None},
            ],
        )
    out = BatchOutput()
    with engine.begin() as tx:
        queue = ResendQueue(tx)
        queue.preload(["proposed", "decided", "other"], [CASE, OTHER])
        assert queue.is_lost("proposed") and not queue.is_lost("decided")
        assert queue.holds(CASE) and not queue.holds(OTHER)

        # The prosecutor's outbox comes back first, then a new event of the case is accepted.
        queue.came_back("proposed", CASE, b"proposed", [("event-type", b"ExtensionProposed")])
        assert queue.release(CASE, out) == 0
        queue.wait("decided", CASE, b"decided", [("event-type", b"ExtensionDecided")])
        queue.came_back("unseen", CASE, b"unseen", ())
        assert queue.release(CASE, out) == 0 and queue.holds(CASE)
        assert not out.messages  # nothing of the case goes out while one lost event is missing

        queue.came_back("served", CASE, b"served", [("event-type", b"UrgentMeasureServed")])
        assert queue.release(CASE, out) == 4
        assert not queue.holds(CASE)
    assert [m[2] for m in out.messages] == [b"served", b"proposed", b"unseen", b"decided"]
    assert {m[0] for m in out.messages} == {"case-events"}
    assert {m[1] for m in out.messages} == {CASE.encode()}
    assert list(out.messages[0][3]) == [("event-type", b"UrgentMeasureServed")]
    with engine.connect() as conn:
        assert conn.execute(resend_queue_table.select()).all() == []
    engine.dispose()
