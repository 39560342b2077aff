"""Rebuilding projections from the log: read once, decode once, apply to all, write by chunks.

A live runner applies one projection batch by batch, reading and writing in one transaction. A
rebuild reads far more than it writes back, so it works differently: the partitions it owns are
read once, each record is decoded once for every projection being rebuilt, and each projection
applies it in memory (its rows stay in memory from chunk to chunk, up to a budget), reading what
it lacks through short reads of its own. Every few chunks the changes are written with the stored
offsets in one transaction per database. Several rebuilders on different partitions then take
turns only for those writes (SQLite lets one writer in at a time), not for their work.

The offsets are stored with the rows exactly as the live runner stores them, so a rebuild that is
stopped halfway is resumed by the live runners, and what they see is consistent chunk by chunk.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine

from consumers.event_projection import CaseEvent, EventProjection
from consumers.runner import BatchOutput, next_offsets, store_offsets
from schemas import Codec, DecodeError
from schemas.topics import CASE_EVENTS
from services.bus import Bus, Consumer, Record, TopicPartition
from services.platform.sql import (
    bulk_writes,
    one_writer_at_a_time,
    short_reads,
    write_transaction,
)

CHUNK_EVENTS = 5_000  # decoded and applied in memory at a time (then the decoded events go)
# Events per write. Random keys spread a chunk's rows over the whole of a table: each write
# puts every page it touches into the write-ahead log, so a page many events change should be
# written once, not once per small chunk (at 1 M events, 5,000 per write logged 5.6 KB an event,
# 20,000 per write 2.5 KB). Only the records are held until then, to redo a write that fails.
WRITE_EVENTS = 20_000
# Per projection: past this many rows (after a write) its rows are aged: those a case used since
# the last ageing stay, the others go at the next (``TableRows.age``). Cases come back within a
# few writes or not for long: at 1 M events, 10,000 kept the time of 25,000 on SQLite and on
# PostgreSQL with a fifth less memory in all three processes (5,000 cost PostgreSQL's re-reads
# 3-7 %, and saved little more; run AE in docs/performance.md).
ROWS_IN_MEMORY = 10_000
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
        write_events: int = WRITE_EVENTS,
        rows_in_memory: int = ROWS_IN_MEMORY,
    ) -> None:
        self.bus = bus
        self.codec = codec
        self.chunk_events = chunk_events
        self.write_events = max(write_events, chunk_events)
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
        self.joined_after = self.write_seconds = self.wait_seconds = 0.0
        # The rows kept in memory are hundreds of thousands of small objects: every automatic
        # collection scanned them all, which doubled the cost of decoding. They hold no cycles;
        # whatever else does is collected between chunks, every few of them.
        collecting = gc.isenabled()
        gc.disable()
        try:
            with contextlib.ExitStack() as writing:
                for engine in self.by_engine:
                    writing.enter_context(bulk_writes(engine))
                return self._read_all(consumer, positions, share.ends, progress)
        finally:
            consumer.close()
            if collecting:
                gc.enable()

    def _read_all(
        self,
        consumer: Consumer,
        positions: dict[TopicPartition, int],
        ends: Mapping[TopicPartition, int],
        progress: Callable[[int], object],
    ) -> int:
        read = 0
        joining = time.perf_counter()
        pending = _Pending()
        while positions:
            chunk = self._next_chunk(consumer, positions, ends)
            if chunk:
                if not read:
                    self.joined_after = time.perf_counter() - joining
                self._stage(chunk, pending)
                read += len(chunk)
            if pending.records and (len(pending.records) >= self.write_events or not positions):
                written = self._write(pending)
                pending = _Pending()
                progress(written)
                if read % COLLECT_EVERY < written:
                    gc.collect()
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

    def _decode(
        self, records: Sequence[Record], pending: _Pending | None = None
    ) -> list[CaseEvent]:
        events: list[CaseEvent] = []
        decode = self.codec.decode
        for record in records:
            try:
                # Ids as text: projections store nothing else, and making a ``uuid.UUID`` to
                # turn it back into text cost a fifth of decoding (60 k events of the bench).
                decoded = decode(record.value or b"", uuids_as_text=True)
            except DecodeError as error:
                if pending is not None:
                    pending.undecodable.append((record, error))
                continue
            events.append(CaseEvent(record, decoded.event_type, decoded.record))
        return events

    def _stage(self, records: Sequence[Record], pending: _Pending) -> None:
        """Apply a chunk in memory, every projection reading what it lacks through a short read
        of its own database (no writer lock); a projection that fails is redone at the write."""
        events = self._decode(records, pending)
        more = bool(pending.records)
        pending.records.extend(records)
        for engine, projections in self.by_engine.items():
            with short_reads(engine) as reads:
                for projection in projections:
                    if projection in pending.failed:
                        continue
                    if not projection.stage(events, reads, pending.out, more=more):
                        pending.failed.add(projection)

    def _write(self, pending: _Pending) -> int:
        """Write what was staged since the last write, with the offsets, a transaction per
        database; returns the records covered."""
        records = pending.records
        latest = next_offsets(records)
        redone: list[CaseEvent] = []

        def staged_events() -> list[CaseEvent]:  # decoded again only for a write to redo
            if not redone:
                redone.extend(self._decode(records))
            return redone

        for engine, projections in self.by_engine.items():
            asked = time.perf_counter()
            with write_transaction(engine) as tx:
                # Rebuilders take turns to write, on PostgreSQL as SQLite makes them: the
                # aggregate flags repeat victims across cases, so two writers at once could
                # each hold a case row the other flags (a deadlock seen at 1 M on PostgreSQL).
                one_writer_at_a_time(tx, "povezimo.rebuild.write")
                writing = time.perf_counter()
                self.wait_seconds += writing - asked  # other processes writing their chunks
                for projection in projections:
                    for record, problem in pending.undecodable:
                        projection.note_failure(record, problem, tx)
                    ok = projection not in pending.failed
                    projection.write(tx, pending.out, staged_events, staged=ok)
                    store_offsets(tx, projection.name, latest)
            self.write_seconds += time.perf_counter() - writing
            for projection in projections:
                if projection.store.size() > self.rows_in_memory:
                    projection.age_rows()
        return len(records)


@dataclass
class _Pending:
    """What was staged since the last write."""

    records: list[Record] = field(default_factory=list)
    undecodable: list[tuple[Record, DecodeError]] = field(default_factory=list)
    failed: set[EventProjection] = field(default_factory=set)  # to redo event by event
    out: BatchOutput = field(
        default_factory=BatchOutput
    )  # nothing is published: projections are told
