"""Replay: every replayable projection rebuilt from offset 0 of ``case-events``, and its ceiling.

Each repetition runs in a fresh (spawned) process, so one measurement's caches and memory do not
flatter the next, and that process's peak RSS is the replay's. The ceiling is measured in the same
process right after the replay: bare fastavro decoding (``schemaless_reader`` with the parsed
writer schema, the 5-byte Confluent frame stripped) of the very records the replay read.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from fastavro import schemaless_reader
from fastavro.schema import parse_schema

from consumers.events import CASE_EVENTS
from consumers.pipeline import partitions_of
from services.bench.workspace import platform_of
from services.bus import Bus
from services.cli_projections import NOT_REPLAYABLE
from services.memory import peak_rss_mb, rss_mb


@dataclass
class ReplayRun:
    """One rebuild of every replayable projection, and the bare decoding of the same records."""

    bus: str
    events: int
    seconds: float  # reset to caught up, every projection one after the other
    cpu_seconds: float  # of this process in that time: steadier than wall time on a busy machine
    join_seconds: float  # of which: waiting for a group assignment and the first batch
    decode_seconds: float
    decode_cpu_seconds: float
    peak_rss_mb: float
    baseline_rss_mb: float
    per_projection: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Events of the log per second, all projections rebuilt."""
        return self.events / self.seconds if self.seconds else 0.0

    @property
    def steady_rate(self) -> float:
        """The same, without the group joins (they do not grow with the log)."""
        working = self.seconds - self.join_seconds
        return self.events / working if working > 0 else 0.0

    @property
    def cpu_rate(self) -> float:
        """Events per second of this process's CPU time (joins included, so a lower bound)."""
        return self.events / self.cpu_seconds if self.cpu_seconds else 0.0

    @property
    def decode_rate(self) -> float:
        return self.events / self.decode_seconds if self.decode_seconds else 0.0

    @property
    def cpu_ratio(self) -> float:
        """The same ratio in CPU time: what contention on a shared machine does not move."""
        cpu_decode = self.events / self.decode_cpu_seconds if self.decode_cpu_seconds else 0.0
        return self.cpu_rate / cpu_decode if cpu_decode else 0.0

    @property
    def ratio(self) -> float:
        """The headline: replay ÷ bare decode (1.0 would be decoding-bound)."""
        return self.steady_rate / self.decode_rate if self.decode_rate else 0.0

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found |= {
            "rate": round(self.rate),
            "steady_rate": round(self.steady_rate),
            "cpu_rate": round(self.cpu_rate),
            "decode_rate": round(self.decode_rate),
            "ratio": round(self.ratio, 3),
            "cpu_ratio": round(self.cpu_ratio, 3),
        }
        return found


def replay_in_child(bus: str, settings: dict[str, str], events: int) -> ReplayRun:
    """One repetition in a fresh process (spawned: nothing inherited from the generator)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(replay_all, bus, settings, events).result()


def replay_all(bus: str, settings: dict[str, str], events: int) -> ReplayRun:
    """Rebuild every replayable projection (as ``povezimo replay --all``), then decode bare."""
    baseline = rss_mb()
    system = platform_of(settings)
    system.codec  # noqa: B018  (schemas loaded before the clock starts, as in a running process)
    per_projection: dict[str, float] = {}
    joins = 0.0
    cpu_started = time.process_time()
    for name, projection in system.projections().items():
        if name in NOT_REPLAYABLE:
            continue
        runner = system.runner(projection)
        runner.reset()
        ends = system.bus.end_offsets(partitions_of(system.bus, runner.projection.topics))
        first: list[float] = []

        def note_first_batch(_count: int, first: list[float] = first) -> None:
            if not first:
                first.append(time.perf_counter())

        started = time.perf_counter()
        applied = runner.run_until(
            ends, timeout=24 * 3600, publish=False, progress=note_first_batch
        )
        per_projection[name] = time.perf_counter() - started
        joins += (first[0] - started) if first else 0.0
        runner.close()
        if applied < events:
            raise RuntimeError(f"{name} applied {applied} of {events} events")
    cpu_seconds = time.process_time() - cpu_started
    peak = peak_rss_mb()
    values = case_log_values(system.bus, events)
    decode_seconds, decode_cpu_seconds = bare_decode_times(values, writer_schemas(system))
    system.close()
    return ReplayRun(
        bus=bus,
        events=events,
        seconds=sum(per_projection.values()),
        cpu_seconds=cpu_seconds,
        join_seconds=joins,
        decode_seconds=decode_seconds,
        decode_cpu_seconds=decode_cpu_seconds,
        peak_rss_mb=peak,
        baseline_rss_mb=baseline,
        per_projection=per_projection,
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
    """Every value of ``case-events`` (read untimed by a group of its own)."""
    consumer = bus.consumer(f"bench.ceiling.{time.monotonic_ns()}", [CASE_EVENTS])
    ends = bus.end_offsets(partitions_of(bus, [CASE_EVENTS]))
    values: list[bytes] = []
    deadline = time.monotonic() + 600
    while len(values) < sum(ends.values()) and time.monotonic() < deadline:
        values.extend(r.value or b"" for r in consumer.poll(max_records=5000, timeout=1.0))
    consumer.close()
    if len(values) < events:
        raise RuntimeError(f"read {len(values)} of {events} case events for the ceiling")
    return values
