"""The benchmark's events are a log the exchange would write: every one of them is accepted.

The replay benchmark appends the generated submissions to ``case-events`` directly (the exchange
appends an institution's bytes unchanged); this proves that shortcut leaves the same log.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import select

from consumers.exchange import submissions_table
from schemas.topics import CASE_EVENTS
from services.bench.sample_events import CASES_IN_FLIGHT, EventSet, bench_events, network_events
from tests.support.pipeline import pipeline_of, platform_for, read_topic


def test_bench_events_are_a_prefix_of_a_longer_run() -> None:
    short = [s.event_id for s in bench_events(100, seed=7)]
    long = [s.event_id for s in bench_events(300, seed=7)]
    assert short == long[:100]
    assert len(long) == 300


def test_every_bench_event_is_accepted_as_submitted(tmp_path: Path) -> None:
    system = platform_for(tmp_path / "data")
    events = EventSet.build(
        2 * CASES_IN_FLIGHT * 16,
        seed=11,
        codec=system.codec,
        cases_in_flight=CASES_IN_FLIGHT,
        vault=system.vault,
    )
    pipeline = pipeline_of(system, ["exchange"])
    exchange = pipeline.runners[0]
    submissions = list(events.submissions())
    # Institutions act wave by wave (the k-th event of every case in flight), as they would
    # once their inbox told them the case moved on.
    for start in range(0, len(submissions), CASES_IN_FLIGHT):
        with system.bus.batch():
            for topic, key, value in submissions[start : start + CASES_IN_FLIGHT]:
                system.bus.publish(topic, key, value)
        exchange.run_until(pipeline.ends_for(exchange))
    with system.exchange_engine.connect() as conn:
        outcomes = Counter(row.status for row in conn.execute(select(submissions_table.c.status)))
    assert outcomes == {"accepted": len(events)}
    appended = read_topic(system, CASE_EVENTS, settle=0.2)
    assert Counter((r.key, r.value) for r in appended) == Counter(
        zip(events.keys, events.values, strict=True)
    )
    pipeline.close()
    system.close()


def test_network_events_are_the_same_for_a_seed_and_carry_no_deliberate_error() -> None:
    first = list(network_events(1500, seed=7))
    assert [s.event_id for s in network_events(1500, seed=7)] == [s.event_id for s in first]
    assert len(first) == 1500
    assert len({s.case_id for s in first}) > 50  # many cases, interleaved in the order of time
    times = [s.event.header.recorded_at for s in first]  # type: ignore[attr-defined]
    assert times == sorted(times)


def test_network_events_through_the_exchange_are_all_accepted(tmp_path: Path) -> None:
    """The replay loads them straight into case-events: the exchange would have taken each."""
    system = platform_for(tmp_path / "data")
    events = EventSet.build(1500, seed=5, codec=system.codec, vault=system.vault)
    pipeline = pipeline_of(system, ["exchange"])
    exchange = pipeline.runners[0]
    # In the order of time, a batch at a time; a batch ends where a case's next event comes from
    # another institution (two topics are read in no fixed order; it waits for its inbox).
    for batch in _batches(list(events.submissions())):
        with system.bus.batch():
            for topic, key, value in batch:
                system.bus.publish(topic, key, value)
        exchange.run_until(pipeline.ends_for(exchange))
    with system.exchange_engine.connect() as conn:
        outcomes = Counter(row.status for row in conn.execute(select(submissions_table.c.status)))
    assert outcomes == {"accepted": len(events)}
    assert [str(m.event_id) for m in events.models()] == events.event_ids
    pipeline.close()
    system.close()


def _batches(submissions: list[tuple[str, bytes, bytes]]) -> list[list[tuple[str, bytes, bytes]]]:
    batches: list[list[tuple[str, bytes, bytes]]] = [[]]
    writer: dict[bytes, str] = {}
    for topic, key, value in submissions:
        if writer.setdefault(key, topic) != topic:
            batches.append([])
            writer = {key: topic}
        batches[-1].append((topic, key, value))
    return batches
