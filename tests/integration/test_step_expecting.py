"""A caller that has just sent records waits for them as one batch (the demo's exchange)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Connection

from consumers.event_projection import EventProjection
from consumers.runner import BatchOutput, ProjectionRunner
from schemas import Codec, open_registry
from schemas.topics import CASE_EVENTS
from services.bus import Record
from services.bus.sqllog import SqlLogBus
from services.platform.sql import sql_engine
from tests.support.brokers import TEST_SESSION_TIMEOUT_MS


class BatchSizes(EventProjection):
    """Remembers the size of every batch it is given."""

    name = "batch-sizes"
    tables = ()

    def __init__(self, codec: Codec) -> None:
        super().__init__(codec)
        self.sizes: list[int] = []

    def apply_batch(self, records: Sequence[Record], tx: Connection, out: BatchOutput) -> None:
        self.sizes.append(len(records))


def test_records_arriving_in_pieces_are_applied_as_one_batch(tmp_path: Path) -> None:
    bus = SqlLogBus.from_url(f"sqlite:///{tmp_path / 'bus.db'}")
    bus.create_topic(CASE_EVENTS, partitions=3)
    projection = BatchSizes(Codec(open_registry(f"sqlite:///{tmp_path / 'registry.db'}")))
    runner = ProjectionRunner(
        projection,
        bus,
        sql_engine(f"sqlite:///{tmp_path / 'views.db'}"),
        session_timeout_ms=TEST_SESSION_TIMEOUT_MS,
    )

    def publish(first: int) -> None:
        bus.publish_all(
            (CASE_EVENTS, f"case-{n}".encode(), b"x", ()) for n in range(first, first + 5)
        )

    publish(0)
    later = threading.Timer(0.3, publish, args=(5,))  # the rest comes in a second piece
    later.start()
    assert runner.step_expecting(10, timeout=10) == 10
    assert projection.sizes == [10]
    later.join()
    runner.close()
    bus.close()
