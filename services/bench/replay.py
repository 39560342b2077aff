"""Replay: every replayable projection rebuilt from offset 0 of ``case-events``, and its ceiling.

The replay is ``povezimo replay --all``'s rebuild (``services.operations.replay.rebuild``): every
record read and decoded once for all projections, in processes reading partitions side by side,
into freshly reset stores. The command then switches the rebuilt tables in while the old ones
serve (``rebuild_online``: a copy in one transaction on SQLite, a schema move on PostgreSQL);
that last step is not timed here. Each repetition
starts from a fresh (spawned) process, so one measurement's caches and memory do not flatter the
next; every rebuild process reports its CPU time and peak RSS. The ceiling is measured in that first
process right after the replay: bare fastavro decoding (``schemaless_reader`` with the parsed writer
schema, the 5-byte Confluent frame stripped) of the very records the replay read.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from fastavro import schemaless_reader
from fastavro.schema import parse_schema

from consumers.pipeline import partitions_of
from schemas.topics import CASE_EVENTS
from services.bench.workspace import platform_of
from services.bus import Bus
from services.operations.replay import ShareDone, rebuild


@dataclass
class ReplayRun:
    """One rebuild of every replayable projection, and the bare decoding of the same records."""

    bus: str
    events: int
    workers: int  # processes reading partitions side by side
    seconds: float  # reset to caught up, wall clock
    cpu_seconds: float  # of every process in that time: steadier than wall time when busy
    join_seconds: float  # of which: starting processes and joining groups (not the log's work)
    decode_seconds: float
    decode_cpu_seconds: float
    peak_rss_mb: float  # the largest of the rebuild processes
    total_rss_mb: float  # their peaks added up (what the machine had to hold at worst)
    write_seconds: float = 0.0  # the processes' time writing chunks, added up
    wait_seconds: float = 0.0  # the processes' time waiting for the writer lock, added up
    # What they held together: their PSS peaks (from above) and the fork server's, added up. An
    # RSS counts the pages the processes share (the imports) once in each.
    total_pss_mb: float = 0.0

    @property
    def rate(self) -> float:
        """Events of the log per second, all projections rebuilt."""
        return self.events / self.seconds if self.seconds else 0.0

    @property
    def steady_rate(self) -> float:
        """The same, without starting processes and joining groups (they do not grow with the
        log)."""
        working = self.seconds - self.join_seconds
        return self.events / working if working > 0 else 0.0

    @property
    def cpu_rate(self) -> float:
        """Events per CPU-second of all the rebuild's processes (what one core would do)."""
        return self.events / self.cpu_seconds if self.cpu_seconds else 0.0

    @property
    def decode_rate(self) -> float:
        return self.events / self.decode_seconds if self.decode_seconds else 0.0

    @property
    def cpu_ratio(self) -> float:
        """Replay ÷ bare decode per CPU-second: the work per event, whatever the parallelism."""
        cpu_decode = self.events / self.decode_cpu_seconds if self.decode_cpu_seconds else 0.0
        return self.cpu_rate / cpu_decode if cpu_decode else 0.0

    @property
    def ratio(self) -> float:
        """The headline: replay ÷ bare decode, wall clock, the whole call (reset, processes,
        imports, group joins and all); 1.0 would be decoding-bound."""
        return self.rate / self.decode_rate if self.decode_rate else 0.0

    @property
    def steady_ratio(self) -> float:
        """The same without starting processes and joining groups, shown beside it."""
        return self.steady_rate / self.decode_rate if self.decode_rate else 0.0

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found |= {
            "rate": round(self.rate),
            "steady_rate": round(self.steady_rate),
            "cpu_rate": round(self.cpu_rate),
            "decode_rate": round(self.decode_rate),
            "ratio": round(self.ratio, 3),
            "steady_ratio": round(self.steady_ratio, 3),
            "cpu_ratio": round(self.cpu_ratio, 3),
        }
        return found


def replay_in_child(
    bus: str, settings: dict[str, str], events: int, workers: int | None = None
) -> ReplayRun:
    """One repetition from a fresh process (spawned: nothing inherited from the generator)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(replay_all, bus, settings, events, workers).result()


def replay_all(
    bus: str, settings: dict[str, str], events: int, workers: int | None = None
) -> ReplayRun:
    """Rebuild every replayable projection (as ``povezimo replay --all``), then decode bare."""
    system = platform_of(settings)
    system.codec  # noqa: B018  (schemas loaded before the clock starts, as in a running process)
    names = [name for name, p in system.projections().items() if p.replayable]
    shares: list[ShareDone] = []
    timings: dict[str, float] = {}
    started, cpu_started = time.perf_counter(), time.process_time()
    rebuilt = rebuild(
        system, names, lambda _name, _n: None, workers=workers, done=shares, timings=timings
    )
    seconds = time.perf_counter() - started
    own_cpu = time.process_time() - cpu_started
    short = [r.name for r in rebuilt if r.events < events]
    if short:
        raise RuntimeError(f"{', '.join(short)} rebuilt from fewer than {events} events")
    values = case_log_values(system.bus, events)
    decode_seconds, decode_cpu_seconds = bare_decode_times(values, writer_schemas(system))
    system.close()
    in_children = len(shares) > 1  # one share runs in this process: its CPU is ours already
    return ReplayRun(
        bus=bus,
        events=events,
        workers=len(shares),
        seconds=seconds,
        cpu_seconds=own_cpu + (sum(s.cpu_seconds for s in shares) if in_children else 0.0),
        # Each process reads from its first chunk to its last; the slowest one's reading time is
        # the rebuild's work, and so is building the readers' indexes after it; the rest
        # (spawning, imports, group joins) does not grow with the log.
        join_seconds=seconds
        - max(s.seconds - s.join_seconds for s in shares)
        - timings.get("indexes", 0.0),
        decode_seconds=decode_seconds,
        decode_cpu_seconds=decode_cpu_seconds,
        peak_rss_mb=max(s.peak_rss_mb for s in shares),
        total_rss_mb=sum(s.peak_rss_mb for s in shares),
        total_pss_mb=sum(s.peak_pss_mb for s in shares) + max(s.parent_pss_mb for s in shares),
        write_seconds=sum(s.write_seconds for s in shares),
        wait_seconds=sum(s.wait_seconds for s in shares),
    )


def bare_decode_seconds(values: list[bytes], schemas: dict[int, Any]) -> float:
    """Time to decode ``values`` with fastavro alone: the ceiling of any Avro consumer."""
    return bare_decode_times(values, schemas)[0]


def bare_decode_times(values: list[bytes], schemas: dict[int, Any]) -> tuple[float, float]:
    """Wall and CPU seconds to decode ``values`` with fastavro alone."""
    reader = schemaless_reader
    started, cpu_started = time.perf_counter(), time.process_time()
    for value in values:
        reader(io.BytesIO(value[5:]), schemas[int.from_bytes(value[1:5], "big")], None)
    return time.perf_counter() - started, time.process_time() - cpu_started


def writer_schemas(system: Any) -> dict[int, Any]:
    codec = system.codec
    ids = codec.register_all()
    return {
        schema_id: parse_schema(
            json.loads(codec.registry.schema_by_id(schema_id)), named_schemas={}
        )
        for schema_id in set(ids.values())
    }


def case_log_values(bus: Bus, events: int) -> list[bytes]:
    """Every value of ``case-events`` (read untimed, from offset 0 of each partition)."""
    ends = bus.end_offsets(partitions_of(bus, [CASE_EVENTS]))
    reader = bus.reader(dict.fromkeys(ends, 0))
    values: list[bytes] = []
    deadline = time.monotonic() + 600
    try:
        while len(values) < sum(ends.values()) and time.monotonic() < deadline:
            values.extend(r.value or b"" for r in reader.poll(max_records=5000, timeout=1.0))
    finally:
        reader.close()
    if len(values) < events:
        raise RuntimeError(f"read {len(values)} of {events} case events for the ceiling")
    return values
