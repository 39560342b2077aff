"""Rebuilding projections from the log: read once, decode once, apply to all, write by chunks.

A live runner applies one projection batch by batch, reading and writing in one transaction. A
rebuild reads far more than it writes back, so it works differently: the partitions it owns are
read once, each record is decoded once for every projection being rebuilt, each projection applies
a chunk in memory (its rows stay in memory from chunk to chunk, up to a budget), reading what it
lacks through a connection of its own, and then writes the chunk's changes with its stored offsets
in one short transaction. Several rebuilders on different partitions then take turns only for
those short writes (SQLite lets one writer in at a time), not for the whole chunk.

The offsets are stored with the rows exactly as the live runner stores them, so a rebuild that is
stopped halfway is resumed by the live runners, and what they see is consistent chunk by chunk.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from consumers.events import CASE_EVENTS, CaseEvent, EventProjection
from consumers.runner import Outbox, next_offsets, store_offsets
from schemas import Codec, DecodeError
from services.bus import Bus, Consumer, Record, TopicPartition
from services.sql import short_reads, write_transaction

CHUNK_EVENTS = 5_000  # per write; a chunk's decoded events are held in memory meanwhile
ROWS_IN_MEMORY = 40_000  # per projection: past this its rows are dropped after a write
COLLECT_EVERY = 100_000  # events between two collections of garbage (see ``run``)


@dataclass(frozen=True)
class Share:
    """The partitions one rebuilder owns, and where each ends (what the rebuild covers)."""

    partitions: tuple[TopicPartition, ...]
    ends: Mapping[TopicPartition, int]

    @property
    def events(self) -> int:
        return sum(self.ends.get(tp, 0) for tp in self.partitions)


class Rebuilder:
    """Rebuilds ``projections`` (reset beforehand) from the partitions of a ``Share``."""

    def __init__(
        self,
        projections: Sequence[EventProjection],
        engine_for: Callable[[EventProjection], Engine],
        bus: Bus,
        codec: Codec,
        *,
        chunk_events: int = CHUNK_EVENTS,
        rows_in_memory: int = ROWS_IN_MEMORY,
    ) -> None:
        self.bus = bus
        self.codec = codec
        self.chunk_events = chunk_events
        self.rows_in_memory = rows_in_memory
        self.joined_after = 0.0  # of the last run: seconds until its first chunk (a group join)
        self.write_seconds = 0.0  # of the last run: writing chunks (the commit included)
        self.wait_seconds = 0.0  # of the last run: waiting for the writer lock
        # Projections that share a database are staged together and written in one transaction.
        self.by_engine: dict[Engine, list[EventProjection]] = {}
        for projection in projections:
            projection.store.keep = True
            projection.publishing = False  # a rebuild never pushes a decade of messages again
            self.by_engine.setdefault(engine_for(projection), []).append(projection)

    def run(
        self,
        share: Share,
        group: str,
        progress: Callable[[int], object] = lambda _n: None,
        *,
        session_timeout_ms: int | None = None,
    ) -> int:
        """Apply every record of ``share``; returns how many were read."""
        positions = {tp: 0 for tp in share.partitions if share.ends.get(tp, 0) > 0}
        if not positions:
            return 0

        def seek(consumer: Consumer, assigned: set[TopicPartition]) -> None:
            for tp in assigned:  # what this rebuilder does not own is skipped to its end
                consumer.seek(tp, positions.get(tp, share.ends.get(tp, 0)))

        consumer = self.bus.consumer(
            group, [CASE_EVENTS], on_assign=seek, session_timeout_ms=session_timeout_ms
        )
        read = 0
        self.joined_after = self.write_seconds = self.wait_seconds = 0.0
        joining = time.perf_counter()
        # The rows kept in memory are hundreds of thousands of small objects: every automatic
        # collection scanned them all, which doubled the cost of decoding. They hold no cycles;
        # whatever else does is collected between chunks, every few of them.
        collecting = gc.isenabled()
        gc.disable()
        try:
            while positions:
                chunk = self._next_chunk(consumer, positions, share.ends)
                if chunk:
                    if not read:
                        self.joined_after = time.perf_counter() - joining
                    self._apply(chunk)
                    read += len(chunk)
                    progress(len(chunk))
                    if read % COLLECT_EVERY < len(chunk):
                        gc.collect()
        finally:
            consumer.close()
            if collecting:
                gc.enable()
        return read

    def _next_chunk(
        self,
        consumer: Consumer,
        positions: dict[TopicPartition, int],
        ends: Mapping[TopicPartition, int],
    ) -> list[Record]:
        chunk: list[Record] = []
        deadline = time.monotonic() + 1.0
        while positions and len(chunk) < self.chunk_events and time.monotonic() < deadline:
            for record in consumer.poll(max_records=self.chunk_events - len(chunk), timeout=0.5):
                tp = record.topic_partition
                if tp in positions and record.offset < ends[tp]:
                    chunk.append(record)
                    positions[tp] = record.offset + 1
                    if positions[tp] >= ends[tp]:
                        del positions[tp]
        return chunk

    def _apply(self, records: Sequence[Record]) -> None:
        events: list[CaseEvent] = []
        undecodable: list[tuple[Record, DecodeError]] = []
        decode = self.codec.decode
        for record in records:
            try:
                decoded = decode(record.value or b"")
            except DecodeError as error:
                undecodable.append((record, error))
                continue
            events.append(CaseEvent(record, decoded.event_type, decoded.record))
        latest = next_offsets(records)
        for engine, projections in self.by_engine.items():
            out = Outbox()  # nothing is published: the projections are told not to
            with short_reads(engine) as reads:
                staged = [p.stage(events, reads, out) for p in projections]
            asked = time.perf_counter()
            with write_transaction(engine) as tx:
                writing = time.perf_counter()
                self.wait_seconds += writing - asked  # other processes writing their chunks
                for projection, ok in zip(projections, staged, strict=True):
                    for record, problem in undecodable:
                        projection.note_failure(record, problem, tx)
                    projection.write(events, tx, out, staged=ok)
                    store_offsets(tx, projection.name, latest)
            self.write_seconds += time.perf_counter() - writing
            for projection in projections:
                if projection.store.size() > self.rows_in_memory:
                    projection.forget_rows()
