"""Referral latency: ``ReferralSent`` submitted → the referral in the recipient's inbox topic.

The exchange and every projection run as ``povezimo run`` runs them (one thread per group member
on one platform), institutions submit the generated cases at a steady background load, and the
recipient's system reads ``inbox.<institution>`` as a consumer of its own. The clock starts just
before the sender's publish call and stops when the recipient's poll returns the referral, so the
figure is what an institution waits: submission, exchange, canonical log, inbox projection, inbox.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from schemas.institutions import PLATFORM_INSTITUTION
from schemas.topics import CASE_EVENTS, EVENT_ID, INBOX_REASON, inbox_topic, submissions_topic
from services.bench.sample_events import EventSet
from services.bench.workspace import SESSION_TIMEOUT_MS, Workspace, platform_of
from services.bus import Bus, BusError, open_bus

REFERRAL = "ReferralSent"
# Events sent before this share of the run are a warm-up: groups settle, caches fill.
WARM_UP_SHARE = 0.1


@dataclass
class LatencyResult:
    bus: str
    offered_rate: float
    achieved_rate: float
    seconds: float
    latencies: list[float] = field(default_factory=list)
    referrals_sent: int = 0
    lost: int = 0

    @property
    def samples(self) -> int:
        return len(self.latencies)

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile, in seconds (NaN without samples)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, round(p / 100 * len(ordered) + 0.5))
        return ordered[min(rank, len(ordered)) - 1]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.latencies) if self.latencies else float("nan")

    def as_dict(self) -> dict[str, object]:
        return {
            "bus": self.bus,
            "offered_rate": self.offered_rate,
            "achieved_rate": round(self.achieved_rate, 1),
            "seconds": round(self.seconds, 1),
            "referrals_sent": self.referrals_sent,
            "samples": self.samples,
            "lost": self.lost,
            "p50_ms": round(self.p50 * 1000, 1),
            "p99_ms": round(self.p99 * 1000, 1),
            "mean_ms": round(self.mean * 1000, 1),
        }


class _Recipient:
    """The recipient institution's own system: reads its inbox, notes when each referral lands."""

    def __init__(self, bus: Bus, institution: str, sent: dict[str, float]) -> None:
        self.consumer = bus.consumer(
            f"bench.recipient.{institution}",
            [inbox_topic(institution)],
            session_timeout_ms=SESSION_TIMEOUT_MS,
        )
        self.sent = sent
        self.arrived: dict[str, float] = {}

    def run(self, stop: Callable[[], bool]) -> None:
        while not stop():
            records = self.consumer.poll(timeout=0.05)
            now = time.perf_counter()
            for record in records:
                if record.header(INBOX_REASON) != b"referral":
                    continue
                event_id = (record.header(EVENT_ID) or b"").decode()
                self.arrived.setdefault(event_id, now)
        self.consumer.close()


def measure_referral_latency(
    workspace: Workspace,
    bus: str,
    events: EventSet,
    *,
    rate: float = 50.0,
    seconds: float = 30.0,
    drain_seconds: float = 10.0,
    progress: Callable[[int], object] | None = None,
) -> LatencyResult:
    """Submit ``events`` at ``rate`` per second for ``seconds`` and time every referral."""
    recipients = {
        str(workspace.codec.decode(events.values[i]).record["to_institution"])
        for i, kind in enumerate(events.event_types)
        if kind == REFERRAL
    }
    with workspace.bus_url(bus) as url:
        system = platform_of(workspace.settings(f"latency-{bus}", url))
        institutions = {*events.institutions, PLATFORM_INSTITUTION}
        for topic in [
            CASE_EVENTS,
            *(submissions_topic(i) for i in sorted(institutions)),
            # A live deployment has every inbox already: creating one costs a broker round
            # trip and a metadata refresh, a start-up cost that is not the latency asked about.
            *(inbox_topic(i) for i in sorted(institutions | recipients)),
        ]:
            system.bus.create_topic(topic)
        runners = [system.runner(p) for p in system.projections().values()]
        stop = threading.Event()
        sent: dict[str, float] = {}
        reader_buses = [open_bus(system.bus.url) for _ in recipients]
        readers = {
            r: _Recipient(b, r, sent) for r, b in zip(sorted(recipients), reader_buses, strict=True)
        }
        threads = [
            threading.Thread(target=r.run, args=(stop.is_set,), name=r.projection.name)
            for r in runners
        ] + [
            threading.Thread(target=reader.run, args=(stop.is_set,), name=inbox_topic(name))
            for name, reader in readers.items()
        ]
        for thread in threads:
            thread.start()
        try:
            # Every group member joins before the clock starts (tansu: ~session timeout / 2).
            time.sleep(max(3.0, SESSION_TIMEOUT_MS / 1000 * 1.5))
            submitter = open_bus(system.bus.url)
            started = time.perf_counter()
            count = _submit_at_rate(submitter, events, rate, seconds, sent, progress)
            elapsed = time.perf_counter() - started
            warm = _warm_up_ids(events, count)
            expected = {e for e in sent if e not in warm}
            deadline = time.perf_counter() + drain_seconds
            while time.perf_counter() < deadline and not _all_arrived(readers, expected):
                time.sleep(0.05)
            submitter.close()
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=15)
            for runner in runners:
                runner.close()
            for reader_bus in reader_buses:
                reader_bus.close()
            system.close()
    arrived: dict[str, float] = {}
    for reader in readers.values():
        arrived |= reader.arrived
    latencies = [arrived[e] - sent[e] for e in sorted(expected) if e in arrived]
    return LatencyResult(
        bus=bus,
        offered_rate=rate,
        achieved_rate=count / elapsed if elapsed else 0.0,
        seconds=elapsed,
        latencies=latencies,
        referrals_sent=len(expected),
        lost=len(expected) - len(latencies),
    )


def _submit_at_rate(
    bus: Bus,
    events: EventSet,
    rate: float,
    seconds: float,
    sent: dict[str, float],
    progress: Callable[[int], object] | None,
) -> int:
    """Each event on its own, durable before the next (as an institution's system sends one)."""
    total = min(len(events), int(rate * seconds))
    start = time.perf_counter()
    for i, (topic, key, value) in enumerate(events.submissions()):
        if i == total:
            break
        due = start + i / rate
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        if events.event_types[i] == REFERRAL:
            sent[events.event_ids[i]] = time.perf_counter()
        try:
            bus.publish(topic, key, value)
            bus.flush()
        except BusError:
            continue  # the load goes on; a lost referral shows up as such
        if progress:
            progress(1)
    return min(total, len(events))


def _warm_up_ids(events: EventSet, count: int) -> set[str]:
    cut = int(count * WARM_UP_SHARE)
    return {events.event_ids[i] for i in range(cut) if events.event_types[i] == REFERRAL}


def _all_arrived(readers: dict[str, _Recipient], expected: set[str]) -> bool:
    arrived: set[str] = set()
    for reader in readers.values():
        arrived |= set(reader.arrived)
    return expected <= arrived
