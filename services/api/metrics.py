"""The platform's numbers for Prometheus, read at scrape time from where the truth lives (the
exchange's table of outcomes, the projections' stored offsets, the topics' end offsets), so they
survive restarts and agree with every other process; only the HTTP ingest counters are this
process's own.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import select

from consumers.decisions import counts_by_status, rejections_by_code
from consumers.pipeline import partitions_of
from consumers.runner import offsets_table
from schemas.topics import ACCESS_LOG, CASE_EVENTS, is_submissions
from services.bootstrap import Platform


class PlatformCollector:
    """Collects the platform's numbers when Prometheus scrapes."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def collect(self) -> Iterator[Metric]:
        yield from self._exchange()
        yield from self._topics()
        yield from self._projections()

    def _exchange(self) -> Iterator[Metric]:
        outcomes = CounterMetricFamily(
            "povezimo_exchange_submissions",
            "Submissions the exchange decided, by outcome.",
            labels=["status"],
        )
        rejections = CounterMetricFamily(
            "povezimo_exchange_rejections", "Rejected submissions, by code.", labels=["code"]
        )
        with self.platform.exchange_engine.connect() as conn:
            counted = counts_by_status(conn)
            by_code = rejections_by_code(conn)
        for status in ("accepted", "rejected"):
            outcomes.add_metric([status], counted.get(status, 0))
        for code, count in by_code.items():
            rejections.add_metric([code or "unknown"], count)
        yield outcomes
        yield rejections

    def _topics(self) -> Iterator[Metric]:
        records = GaugeMetricFamily(
            "povezimo_topic_records",
            "Records ever appended to a topic (its end offsets summed over partitions).",
            labels=["topic"],
        )
        bus = self.platform.bus
        topics = sorted(
            t for t in bus.list_topics() if t in {CASE_EVENTS, ACCESS_LOG} or is_submissions(t)
        )
        ends = bus.end_offsets(partitions_of(bus, topics))
        for topic in topics:
            records.add_metric([topic], sum(n for tp, n in ends.items() if tp.topic == topic))
        yield records

    def _projections(self) -> Iterator[Metric]:
        position = GaugeMetricFamily(
            "povezimo_projection_position",
            "Next offset each projection will read, as stored with its rows.",
            labels=["projection", "topic", "partition"],
        )
        lag = GaugeMetricFamily(
            "povezimo_consumer_lag",
            "Records a projection has yet to read (end offsets minus stored offsets).",
            labels=["projection"],
        )
        bus = self.platform.bus
        for name, projection in self.platform.projections().items():
            # Each projection keeps its offsets in its own database (the aggregate has its own).
            with self.platform.engine_for(projection).connect() as conn:
                stored = conn.execute(
                    select(offsets_table).where(offsets_table.c.projection == name)
                ).all()
            read = {(row.topic, row.partition): row.next_offset for row in stored}
            for row in stored:
                position.add_metric([name, row.topic, str(row.partition)], row.next_offset)
            ends = bus.end_offsets(partitions_of(bus, projection.topics))
            behind = sum(
                max(end - read.get((tp.topic, tp.partition), 0), 0) for tp, end in ends.items()
            )
            lag.add_metric([name], behind)
        yield position
        yield lag


class Metrics:
    """The application's registry: platform numbers plus this process's ingest counters."""

    def __init__(self, platform: Platform) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(PlatformCollector(platform))  # type: ignore[arg-type]
        self.submitted = Counter(
            "povezimo_api_events_submitted",
            "Events accepted for publication by the HTTP ingest, by event type.",
            ["event_type"],
            registry=self.registry,
        )
        self.refused = Counter(
            "povezimo_api_events_refused",
            "Events the HTTP ingest refused before publication, by code.",
            ["code"],
            registry=self.registry,
        )
