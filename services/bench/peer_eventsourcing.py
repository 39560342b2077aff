"""The peer's side in pyeventsourcing: its stored events, its application and its view.

Kept apart from ``peer`` so the ``eventsourcing`` library is imported only when the peer runs.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import singledispatchmethod
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import JSONTranscoder, Tracking, Transcoding
from eventsourcing.projection import Projection
from eventsourcing.sqlite import SQLiteTrackingRecorder


class BytesAsBase64(Transcoding):
    """Sealed identifiers are bytes; the library's JSON transcoder needs to be told how."""

    type = bytes
    name = "bytes_b64"

    def encode(self, obj: bytes) -> str:
        return base64.b64encode(obj).decode()

    def decode(self, data: str) -> bytes:
        return base64.b64decode(data)


class DateAsISO(Transcoding):
    """Avro ``date`` fields (a decision's date, say) arrive as ``datetime.date``."""

    type = dt.date
    name = "date_iso"

    def encode(self, obj: dt.date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> dt.date:
        return dt.date.fromisoformat(data)


class CaseEventRecorded(DomainEvent):
    """One event of the log, every field of it, as the peer stores it."""

    event_type: str
    body: dict[str, Any]


class CaseLog(Application[uuid.UUID]):
    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(BytesAsBase64())
        transcoder.register(DateAsISO())


class CaseCountsView(SQLiteTrackingRecorder):
    """The case-count view; every change commits with the notification it came from.

    The library leaves SQLite at ``synchronous=FULL`` (an fsync per commit, and it commits per
    event); ``synchronous`` set to ``NORMAL`` matches the durability our engines use, so the
    comparison is of the machinery rather than of the disk.
    """

    synchronous: str | None = None
    _tuned: set[int]

    @contextmanager
    def _writing(self) -> Iterator[Any]:
        """``datastore.transaction(commit=True)``, with the durability level applied once."""
        tuned = self.__dict__.setdefault("_tuned", set())
        with self.datastore.get_connection(commit=True) as conn:
            if self.synchronous and id(conn) not in tuned:
                conn._sqlite_conn.execute(f"PRAGMA synchronous={self.synchronous}")
                tuned.add(id(conn))
            with conn.transaction(commit=True) as cursor:
                yield cursor

    def insert_tracking(self, tracking: Tracking) -> None:
        with self._writing() as c:
            self._insert_tracking(c, tracking)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS bench_case_municipality ("
            "case_id TEXT PRIMARY KEY, municipality TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS bench_case_counts (municipality TEXT PRIMARY KEY, "
            "opened INTEGER NOT NULL, closed INTEGER NOT NULL)",
        ]

    def case_opened(self, case_id: str, municipality: str, tracking: Tracking) -> None:
        with self._writing() as c:
            c.execute("INSERT INTO bench_case_municipality VALUES (?, ?)", (case_id, municipality))
            c.execute(
                "INSERT INTO bench_case_counts VALUES (?, 1, 0) "
                "ON CONFLICT (municipality) DO UPDATE SET opened = opened + 1",
                (municipality,),
            )
            self._insert_tracking(c, tracking)

    def case_closed(self, case_id: str, step: int, tracking: Tracking) -> None:
        with self._writing() as c:
            c.execute(
                "UPDATE bench_case_counts SET closed = closed + ? WHERE municipality = ("
                "SELECT municipality FROM bench_case_municipality WHERE case_id = ?)",
                (step, case_id),
            )
            self._insert_tracking(c, tracking)

    def counts(self) -> dict[str, tuple[int, int]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT municipality, opened, closed FROM bench_case_counts")
            return {r["municipality"]: (r["opened"], r["closed"]) for r in c.fetchall()}


class CaseCountsProjection(Projection[CaseCountsView]):
    name = "casecounts"

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register(CaseEventRecorded)
    def _case_event(self, event: CaseEventRecorded, tracking: Tracking) -> None:
        case_id = str(event.originator_id)
        if event.event_type == "CaseOpened":
            self.view.case_opened(case_id, event.body["municipality"], tracking)
        elif event.event_type in {"CaseClosed", "CaseReopened"}:
            step = 1 if event.event_type == "CaseClosed" else -1
            self.view.case_closed(case_id, step, tracking)
        else:
            self.view.insert_tracking(tracking)
