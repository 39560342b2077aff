"""The platform wired for a test: its own data directory, a real bus, short group timeouts."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from pathlib import Path

from consumers.pipeline import Pipeline
from producers.scenario import Submission
from schemas.codec import Decoded
from schemas.topics import submissions_topic
from services.bootstrap import Platform
from services.bus import Record
from services.platform.settings import Settings
from tests.support.brokers import TEST_SESSION_TIMEOUT_MS


def platform_for(data_dir: Path, bus_url: str | None = None) -> Platform:
    settings = Settings(data_dir=data_dir, bus_url=bus_url)
    return Platform(settings, session_timeout_ms=TEST_SESSION_TIMEOUT_MS)


def pipeline_of(platform: Platform, names: Iterable[str] | None = None) -> Pipeline:
    projections = platform.projections()
    chosen = list(names) if names is not None else list(projections)
    return Pipeline([platform.runner(projections[n]) for n in chosen], platform.bus)


def submit(platform: Platform, submissions: Iterable[Submission]) -> None:
    """Publish as each institution's system would: to its own submissions topic."""
    with platform.bus.batch():
        for item in submissions:
            platform.bus.publish(
                submissions_topic(item.institution),
                str(item.case_id).encode(),
                platform.codec.encode(item.event_type, item.event.to_avro()),
            )
    platform.bus.flush()


def submit_in_order(
    platform: Platform, pipeline: Pipeline, submissions: Iterable[Submission]
) -> None:
    """Submit each event only once the exchange has decided the one before it.

    Institutions act on what their inbox told them, so in real use a proposal never reaches the
    exchange before the measure it proposes to extend; topics are read in no fixed order, so a
    script must wait as a real institution would.
    """
    exchange = next(r for r in pipeline.runners if r.projection.name == "exchange")
    for item in submissions:
        submit(platform, [item])
        exchange.run_until(pipeline.ends_for(exchange))
    pipeline.drain()


def submit_raw(
    platform: Platform, institution: str, value: bytes | None, key: bytes = b"k"
) -> None:
    platform.bus.publish(submissions_topic(institution), key, value)
    platform.bus.flush()


def read_topic(
    platform: Platform, topic: str, *, settle: float = 1.0, timeout: float = 30
) -> list[Record]:
    """Everything on ``topic`` (read by a fresh group until nothing more arrives)."""
    consumer = platform.bus.consumer(
        f"reader-{time.monotonic_ns()}", [topic], session_timeout_ms=TEST_SESSION_TIMEOUT_MS
    )
    records: list[Record] = []
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    expected = sum(platform.bus.end_offsets(_partitions(platform, topic)).values())
    while time.monotonic() < deadline:
        batch = consumer.poll(timeout=0.3)
        records += batch
        if batch:
            quiet_since = time.monotonic()
        if len(records) >= expected and time.monotonic() - quiet_since > settle:
            break
    consumer.close()
    return records


def decoded(platform: Platform, records: Iterable[Record]) -> list[Decoded]:
    return [platform.codec.decode(r.value or b"") for r in records]


def _partitions(platform: Platform, topic: str):  # type: ignore[no-untyped-def]
    from consumers.pipeline import partitions_of

    return partitions_of(platform.bus, re.compile(re.escape(topic)))
