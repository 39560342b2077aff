"""The platform's numbers for Prometheus, read at scrape time from where the truth lives (the
exchange's table of outcomes, the projections' stored offsets, the topics' end offsets), so they
survive restarts and agree with every other process; only the HTTP ingest counters are this
process's own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client import Counter as PrometheusCounter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import select

from consumers.decisions import counts_by_status, rejections_by_code
from consumers.lease import read_lease, wall_ms
from consumers.pipeline import partitions_of
from consumers.runner import offsets_table
from schemas.topics import ACCESS_LOG, CASE_EVENTS, is_submissions, topic_family
from services.bootstrap import Platform


class PlatformCollector:
    """Collects the platform's numbers when Prometheus scrapes.

    Not ``detailed``, an institution's own topics are counted in their family (``submissions.*``)
    and never named: who submitted how much is the institutions' business, not everyone's."""

    def __init__(self, platform: Platform, *, detailed: bool) -> None:
        self.platform = platform
        self.detailed = detailed
        self.label = (lambda topic: topic) if detailed else topic_family

    def collect(self) -> Iterator[Metric]:
        yield from self._exchange()
        yield from self._topics()
        yield from self._projections()
        yield from self._leases()

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
        counted: Counter[str] = Counter()
        for tp, end in ends.items():
            counted[self.label(tp.topic)] += end
        for label, count in sorted(counted.items()):
            records.add_metric([label], count)
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
            positions: Counter[tuple[str, str]] = Counter()
            for row in stored:
                label = self.label(row.topic)
                partition = str(row.partition) if label == row.topic else "*"
                positions[label, partition] += row.next_offset
            for (label, partition), next_offset in sorted(positions.items()):
                position.add_metric([name, label, partition], next_offset)
            ends = bus.end_offsets(partitions_of(bus, projection.topics))
            behind = sum(
                max(end - read.get((tp.topic, tp.partition), 0), 0) for tp, end in ends.items()
            )
            lag.add_metric([name], behind)
        yield position
        yield lag

    def _leases(self) -> Iterator[Metric]:
        # The holder (host and process) is named only to an operator's token, as topics are.
        labels = ["projection", "holder"] if self.detailed else ["projection"]
        epoch = GaugeMetricFamily(
            "povezimo_projection_lease_epoch",
            "Epoch of the lease of a projection's active member (it grows at each takeover).",
            labels=labels,
        )
        since = GaugeMetricFamily(
            "povezimo_projection_lease_acquired_timestamp_seconds",
            "When the active member of a projection took its lease (Unix time).",
            labels=labels,
        )
        live = GaugeMetricFamily(
            "povezimo_projection_lease_live",
            "1 while a member holds a projection's lease, 0 once it expired with no successor.",
            labels=["projection"],
        )
        now = wall_ms()
        for name, projection in self.platform.projections().items():
            held = read_lease(self.platform.engine_for(projection), name)
            live.add_metric([name], 1 if held and held.live(now) else 0)
            if held is None:
                continue
            values = [name, held.holder] if self.detailed else [name]
            epoch.add_metric(values, held.epoch)
            since.add_metric(values, held.acquired_at_ms / 1000)
        yield epoch
        yield since
        yield live


class Metrics:
    """The application's registries: platform numbers plus this process's ingest counters, as
    anyone may read them (``registry``) and as an operator's token does (``detailed``)."""

    def __init__(self, platform: Platform) -> None:
        self.submitted = PrometheusCounter(
            "povezimo_api_events_submitted",
            "Events accepted for publication by the HTTP ingest, by event type.",
            ["event_type"],
            registry=None,
        )
        self.refused = PrometheusCounter(
            "povezimo_api_events_refused",
            "Events the HTTP ingest refused before publication, by code.",
            ["code"],
            registry=None,
        )
        self.registry = self._registry(PlatformCollector(platform, detailed=False))
        self.detailed = self._registry(PlatformCollector(platform, detailed=True))

    def _registry(self, platform_numbers: PlatformCollector) -> CollectorRegistry:
        registry = CollectorRegistry()
        registry.register(platform_numbers)  # type: ignore[arg-type]
        registry.register(self.submitted)
        registry.register(self.refused)
        return registry
