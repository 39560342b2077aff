"""One event a projection cannot apply never stops the others, in any position of a batch.

The base applies a batch under one savepoint and falls back to one savepoint per event only when
an event fails; these scenarios prove the fallback leaves exactly what per-event savepoints
would: the good events' rows and outputs, none of the failing event's, and the failure noted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, Connection, MetaData, String, Table, select

from consumers.event_projection import CaseEvent, EventProjection
from consumers.runner import BatchOutput, case_events_table, failures_table
from consumers.runner import metadata as runner_metadata
from schemas import Codec, open_registry
from services.bench.sample_events import EventSet
from services.bus import Record
from services.platform.sql import sql_engine

metadata = MetaData()
seen = Table("test_seen", metadata, Column("event_id", String(36), primary_key=True))


class Noting(EventProjection):
    """Notes every event and announces it; fails (after writing) on the ids it is told to."""

    name = "noting"
    tables = (seen,)

    def __init__(self, codec: Codec, failing: set[str]) -> None:
        super().__init__(codec)
        self.failing = failing

    def apply(self, event: CaseEvent, tx: Connection, out: BatchOutput) -> None:
        tx.execute(seen.insert().values(event_id=event.event_id))
        out.publish("announced", None, event.event_id.encode())
        if event.event_id in self.failing:
            raise ValueError("this one cannot be applied")


@pytest.mark.parametrize("failing_at", [[], [0], [4], [9], [2, 7]])
def test_a_failing_event_leaves_the_rest_of_its_batch_applied(
    tmp_path: Path, failing_at: list[int]
) -> None:
    codec = Codec(open_registry(f"sqlite:///{tmp_path / 'registry.db'}"))
    events = EventSet.build(10, seed=3, codec=codec)
    records = [
        Record("case-events", 0, offset, key, value)
        for offset, (key, value) in enumerate(zip(events.keys, events.values, strict=True))
    ]
    failing = {events.event_ids[i] for i in failing_at}
    engine = sql_engine(f"sqlite:///{tmp_path / 'views.db'}")
    runner_metadata.create_all(engine)
    metadata.create_all(engine)
    out = BatchOutput()
    with engine.begin() as tx:
        Noting(codec, failing).apply_batch(records, tx, out)
    good = [e for e in events.event_ids if e not in failing]
    with engine.connect() as conn:
        assert sorted(conn.execute(select(seen.c.event_id)).scalars()) == sorted(good)
        failed = conn.execute(select(failures_table.c.offset)).scalars().all()
        applied = {
            event_id
            for text in conn.execute(select(case_events_table.c.event_ids)).scalars()
            for event_id in text.split(",")
        }
    assert sorted(failed) == sorted(failing_at)
    # Outputs of the good events only, in log order: a failed event announces nothing.
    assert [m[2] for m in out.messages] == [e.encode() for e in good]
    assert applied == set(events.event_ids)  # a failed event is noted, not retried forever
    engine.dispose()
