"""A peer side by side: the same events projected into the same case-count view two ways.

Ours: a ``CaseCounts`` projection on the ``EventProjection`` base and the ``ProjectionRunner``,
reading ``case-events`` from the embedded SQLite bus into SQLite, rebuilt from offset 0.

The peer: pyeventsourcing (``eventsourcing``) with its SQLite persistence. The events are stored
in its application recorder (its JSON transcoder, one ``CaseEventRecorded`` per event of the
log, every field kept), and a ``Projection`` writes the same two tables through a
``SQLiteTrackingRecorder``, tracking each notification with the rows it changed, as the
library's own examples do. Its SQLite recorder offers no subscriptions, so the loop that a
subscription would run (select notifications in order, map them to domain events, hand them to
the projection) is written here with the library's own calls.

Both count cases opened and closed per municipality and keep one row per case; the ratio
ours ÷ peer compares the machinery around the same SQL, not the view.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, select

from consumers.event_projection import CaseEvent, EventProjection
from consumers.pipeline import partitions_of
from consumers.rows import TableRows
from consumers.runner import BatchOutput
from schemas import Codec
from services.bench.sample_events import EventSet
from services.bench.workspace import platform_of

metadata = MetaData()
case_municipality = Table(
    "bench_case_municipality",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("municipality", String(60), nullable=False),
)
case_counts = Table(
    "bench_case_counts",
    metadata,
    Column("municipality", String(60), primary_key=True),
    Column("opened", Integer, nullable=False),
    Column("closed", Integer, nullable=False),
)


class CaseCounts(EventProjection):
    """Cases opened and closed per municipality (the view both sides build), written as every
    projection of ours is: rows held in memory for a batch, written back once."""

    name = "bench-case-counts"
    tables = (case_municipality, case_counts)

    def __init__(self, codec: Codec) -> None:
        self.municipalities = TableRows(case_municipality)
        self.counts = TableRows(case_counts)
        super().__init__(codec, self.municipalities, self.counts)

    def prepare(self, events: Sequence[CaseEvent]) -> None:
        super().prepare(events)
        self.municipalities.prefetch(e.case_id for e in events if e.event_type in _CLOSING)

    def apply(self, event: CaseEvent, tx: Connection, out: BatchOutput) -> None:
        kind = event.event_type
        if kind == "CaseOpened":
            municipality = event["municipality"]
            self.municipalities.add({"case_id": event.case_id, "municipality": municipality})
            self._count(municipality, opened=1)
        elif kind in _CLOSING:
            case = self.municipalities.get(event.case_id)
            if case is None:
                raise LookupError("a case closed before it was opened")
            self._count(case["municipality"], closed=1 if kind == "CaseClosed" else -1)

    def _count(self, municipality: str, *, opened: int = 0, closed: int = 0) -> None:
        row = self.counts.get(municipality)
        if row is None:
            self.counts.add({"municipality": municipality, "opened": opened, "closed": closed})
        else:
            self.counts.update(
                municipality, opened=row["opened"] + opened, closed=row["closed"] + closed
            )


_CLOSING = frozenset({"CaseClosed", "CaseReopened"})


@dataclass
class PeerRun:
    events: int
    ours_seconds: float
    peer_seconds: float
    ours_counts: dict[str, tuple[int, int]]
    peer_counts: dict[str, tuple[int, int]]
    synchronous: str

    @property
    def ours_rate(self) -> float:
        return self.events / self.ours_seconds if self.ours_seconds else 0.0

    @property
    def peer_rate(self) -> float:
        return self.events / self.peer_seconds if self.peer_seconds else 0.0

    @property
    def ratio(self) -> float:
        return self.ours_rate / self.peer_rate if self.peer_rate else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "ours_rate": round(self.ours_rate),
            "peer_rate": round(self.peer_rate),
            "ratio": round(self.ratio, 3),
            "same_view": self.ours_counts == self.peer_counts,
            "peer_synchronous": self.synchronous,
        }


# -- ours --------------------------------------------------------------------------------------


def ours_case_counts(settings: dict[str, str], events: int) -> tuple[float, dict[str, Any]]:
    """Rebuild ``CaseCounts`` from offset 0; seconds and the resulting counts."""
    system = platform_of(settings)
    runner = system.runner(CaseCounts(system.codec))
    runner.reset()

    ends = system.bus.end_offsets(partitions_of(system.bus, runner.projection.topics))
    # Join the group before the clock starts: the peer has no group to join.
    runner.consumer.assignment()
    started = time.perf_counter()
    applied = runner.run_until(ends, timeout=24 * 3600, publish=False)
    seconds = time.perf_counter() - started
    runner.close()
    with system.views_engine.connect() as conn:
        counts = {r.municipality: (r.opened, r.closed) for r in conn.execute(select(case_counts))}
    system.close()
    if applied < events:
        raise RuntimeError(f"case counts applied {applied} of {events} events")
    return seconds, counts


# -- the peer ----------------------------------------------------------------------------------


def _peer_classes() -> Any:
    """The peer's classes; imported on first use so ``eventsourcing`` stays a bench-only need."""
    from services.bench import peer_eventsourcing as es

    return es.CaseEventRecorded, es.CaseLog, es.CaseCountsView, es.CaseCountsProjection


def _env(db: Path) -> dict[str, str]:
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(db)}


def store_peer_events(db: Path, events: EventSet, codec: Any) -> None:
    """The log in the peer's own store (untimed): one stored event per event, in log order."""
    recorded_cls, log_cls, _view, _projection = _peer_classes()
    db.unlink(missing_ok=True)
    app = log_cls(env=_env(db))
    versions: dict[uuid.UUID, int] = {}
    batch: list[Any] = []
    for value in events.values:
        decoded = codec.decode(value)
        header = decoded.record["header"]
        case_id = uuid.UUID(str(header["case_id"]))
        version = versions.get(case_id, 0) + 1
        versions[case_id] = version
        event = recorded_cls(
            originator_id=case_id,
            originator_version=version,
            timestamp=header["recorded_at"],
            event_type=decoded.event_type,
            body=decoded.record,
        )
        batch.append(app.mapper.to_stored_event(event))
        if len(batch) == 1000:
            app.recorder.insert_events(batch)
            batch = []
    if batch:
        app.recorder.insert_events(batch)
    app.close()


def peer_case_counts(
    store: Path, view: Path, events: int, synchronous: str | None = "NORMAL"
) -> tuple[float, dict[str, Any]]:
    """Rebuild the peer's view from its first notification; seconds and the counts.

    ``synchronous=None`` leaves SQLite as the library leaves it (FULL: an fsync per event).
    """
    _recorded, log_cls, view_cls, projection_cls = _peer_classes()
    from eventsourcing.persistence import InfrastructureFactory, Tracking

    for leftover in (view, view.with_name(view.name + "-wal"), view.with_name(view.name + "-shm")):
        leftover.unlink(missing_ok=True)
    app = log_cls(env=_env(store))
    recorder: Any = InfrastructureFactory.construct(env=_env(view)).tracking_recorder(view_cls)
    recorder.synchronous = synchronous
    projection = projection_cls(view=recorder)
    started = time.perf_counter()
    processed = 0
    last: int | None = None
    while True:
        notifications: Sequence[Any] = app.recorder.select_notifications(
            start=last, limit=500, inclusive_of_start=last is None
        )
        if not notifications:
            break
        for notification in notifications:
            domain_event = app.mapper.to_domain_event(notification)
            projection.process_event(domain_event, Tracking(app.name, notification.id))
        processed += len(notifications)
        last = notifications[-1].id
    seconds = time.perf_counter() - started
    counts = recorder.counts()
    app.close()
    if processed < events:
        raise RuntimeError(f"peer processed {processed} of {events} events")
    return seconds, counts


def _side_by_side(
    settings: dict[str, str], store: str, view: str, events: int, synchronous: str | None
) -> tuple[float, dict[str, Any], float, dict[str, Any]]:
    ours_seconds, ours = ours_case_counts(settings, events)
    peer_seconds, peer = peer_case_counts(Path(store), Path(view), events, synchronous)
    return ours_seconds, ours, peer_seconds, peer


def peer_in_child(
    settings: dict[str, str],
    store: Path,
    view: Path,
    events: int,
    synchronous: str | None = "NORMAL",
) -> PeerRun:
    """One repetition of both sides, one after the other, in one fresh process."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        ours_seconds, ours, peer_seconds, peer = pool.submit(
            _side_by_side, settings, str(store), str(view), events, synchronous
        ).result()
    return PeerRun(
        events=events,
        ours_seconds=ours_seconds,
        peer_seconds=peer_seconds,
        ours_counts={k: tuple(v) for k, v in ours.items()},
        peer_counts={k: tuple(v) for k, v in peer.items()},
        synchronous=synchronous or "FULL (library default)",
    )
