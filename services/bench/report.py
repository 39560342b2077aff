"""The compact table ``povezimo bench`` prints (and the README records), and its JSON."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from pathlib import Path

from rich.table import Table

from services.bench.ingest import IngestRun
from services.bench.longpoll import PATHS as LONGPOLL_PATHS
from services.bench.memory import SizeSummary
from services.bench.suite import BenchResults


def _rate(value: float) -> str:
    return f"{value:,.0f}/s"


def _ratio(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.3f}"


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n >= 1000 else str(n)


_INGEST_ROWS = (
    # (measurement, side, against, target)
    ("ingest: bus port ÷ raw kafka-python (wall; CPU)", "port", "raw", ""),
    ("ingest: hand loop (fastavro + send) ÷ raw kafka-python (wall; CPU)", "hand", "raw", ""),
    (
        "ingest: producer SDK, relay after submitting, one thread ÷ hand loop (wall; CPU)",
        "sdk",
        "hand",
        "≥ 0.9",
    ),
    (
        "ingest: producer SDK, relay in its own thread ÷ hand loop (wall; CPU)",
        "sdk_thread",
        "hand",
        "",
    ),
    (
        "ingest: producer SDK, relay in its own process ÷ hand loop (wall; CPU of both)",
        "sdk_process",
        "hand",
        "",
    ),
    (
        "ingest: producer SDK, one thread ÷ hand loop encoding the batch first (wall; CPU)",
        "sdk",
        "hand_bulk",
        "≥ 0.9",
    ),
    (
        "ingest: producer SDK, one thread ÷ hand loop sending partition by partition (wall; CPU)",
        "sdk",
        "hand_grouped",
        "≥ 0.9",
    ),
    ("ingest: producer SDK, one thread ÷ raw kafka-python (wall; CPU)", "sdk", "raw", ""),
    (
        "ingest: raw kafka-python sent partition by partition ÷ as submitted (wall; CPU)",
        "raw_grouped",
        "raw",
        "",
    ),
)


def _ingest_rows(runs: Sequence[IngestRun]) -> list[tuple[str, str, str, str, str, str]]:
    """Each side against its baseline: wall-clock rates, and both ratios (wall; CPU)."""
    where = f"tansu {_size(runs[0].events)}"
    found = []
    for measurement, side, against, target in _INGEST_ROWS:
        measured = [r for r in runs if r.rate(side) and r.rate(against)]
        if not measured:
            if side == "sdk" and against == "hand":
                found.append((measurement, where, "not in this tree", "", "", target))
            continue
        wall = _median([r.ratio(side, against) or 0.0 for r in measured])
        cpu = _median([r.cpu_ratio(side, against) or 0.0 for r in measured])
        found.append(
            (
                measurement,
                where,
                _rate(_median([r.rate(side) or 0.0 for r in measured])),
                _rate(_median([r.rate(against) or 0.0 for r in measured])),
                f"{_ratio(wall)}; {_ratio(cpu)}",
                target,
            )
        )
    return found


def rows(results: BenchResults) -> list[tuple[str, str, str, str, str, str]]:
    """(measurement, where, ours, against, ratio, target) — medians of the repetitions."""
    found: list[tuple[str, str, str, str, str, str]] = []
    for scaling in results.scaling():
        bus = scaling.bus
        for summary in sorted(scaling.sizes, key=lambda s: s.events):
            found.append(
                (
                    "replay ÷ bare decode (wall, whole call; steady; CPU)",
                    f"{bus} {_size(summary.events)}",
                    f"{_rate(summary.rate)}; {_rate(summary.steady_rate)}; "
                    f"{_rate(summary.cpu_rate)}",
                    _rate(summary.decode_rate),
                    f"{_ratio(summary.ratio)}; {_ratio(summary.steady_ratio)}; "
                    f"{_ratio(summary.cpu_ratio)}",
                    "≥ 0.5",
                )
            )
        if len(scaling.sizes) > 1:
            found.append(
                (
                    "scaling: events/s largest ÷ smallest",
                    f"{bus} {_size(scaling.largest.events)} ÷ {_size(scaling.smallest.events)}",
                    _rate(scaling.largest.rate),
                    _rate(scaling.smallest.rate),
                    _ratio(scaling.rate_ratio),
                    "≈ 1",
                )
            )
        found.append(
            (
                "6 M replay, extrapolated",
                f"{bus} from {_size(scaling.largest.events)}",
                f"{scaling.decade_minutes:,.1f} min",
                "",
                "",
                "≤ 5 min",
            )
        )
        found.append(
            (
                "peak memory during replay (RSS: largest process; all. PSS: all)",
                f"{bus} {_size(scaling.largest.events)} vs {_size(scaling.smallest.events)}",
                _memory(scaling.largest),
                _memory(scaling.smallest),
                _ratio(scaling.rss_growth),
                "≤ 300 MB in all, ≈ 1",
            )
        )
    for (bus, size), single in sorted(results.parallel.items()):
        side_by_side = results.replay.get((bus, size), [])
        one = _median([r.steady_rate for r in single])
        many = _median([r.steady_rate for r in side_by_side]) if side_by_side else None
        workers = side_by_side[0].workers if side_by_side else 0
        found.append(
            (
                f"replay, {workers} processes side by side ÷ one process",
                f"{bus} {_size(size)}",
                _rate(many) if many else "–",
                _rate(one),
                _ratio(many / one) if many and one else "–",
                "",
            )
        )
    for size, peer_runs in sorted(results.peer.items()):
        found.append(
            (
                "case counts: ours ÷ eventsourcing",
                f"sqlite {_size(size)}, same durability",
                _rate(_median([r.ours_rate for r in peer_runs])),
                _rate(_median([r.peer_rate for r in peer_runs])),
                _ratio(_median([r.ratio for r in peer_runs])),
                "" if all(r.ours_counts == r.peer_counts for r in peer_runs) else "VIEWS DIFFER",
            )
        )
    if results.peer_library_default:
        defaults = results.peer_library_default
        found.append(
            (
                "case counts: ours ÷ eventsourcing",
                f"sqlite {_size(defaults[0].events)}, library defaults",
                _rate(_median([r.ours_rate for r in defaults])),
                _rate(_median([r.peer_rate for r in defaults])),
                _ratio(_median([r.ratio for r in defaults])),
                "",
            )
        )
    if results.ingest:
        found.extend(_ingest_rows(results.ingest))
    for bus, http_runs in results.http.items():
        requests = sum(len(r.latencies) for r in http_runs)
        failed = sum(len(r.latencies) - r.accepted for r in http_runs)
        where = f"{bus}, {results.options.http_rate:g}/s offered, {requests} requests"
        found.append(
            (
                "HTTP ingest: achieved rate, p50 / p99",
                where + (f", {failed} not 202" if failed else ""),
                _rate(_median([r.achieved_rate for r in http_runs])),
                f"{_median([r.percentile(50) for r in http_runs]) * 1000:,.0f} ms / "
                f"{_median([r.percentile(99) for r in http_runs]) * 1000:,.0f} ms",
                "",
                "",
            )
        )
    found.extend(_longpoll_rows(results))
    if results.idle:
        found.append(
            (
                "idle serve: CPU share of one core",
                "sqlite, exchange and every projection running, 10 s with nothing to do",
                f"{_median([r.share for r in results.idle]):.1%}",
                "",
                "",
                "near zero",
            )
        )
    for bus, latency_runs in results.latency.items():
        samples = sum(r.samples for r in latency_runs)
        lost = sum(r.lost for r in latency_runs)
        rate = results.options.latency_rate
        found.append(
            (
                "referral latency p50 / p99",
                f"{bus}, {rate:g} events/s, {samples} referrals"
                + (f", {lost} lost" if lost else ""),
                f"{_median([r.p50 for r in latency_runs]) * 1000:,.0f} ms",
                f"{_median([r.p99 for r in latency_runs]) * 1000:,.0f} ms",
                "",
                "p99 ≤ 250 ms",
            )
        )
    return found


def _longpoll_rows(results: BenchResults) -> list[tuple[str, str, str, str, str, str]]:
    runs = results.longpoll
    if not runs:
        return []
    refused = sum(r.refused for r in runs)
    found = []
    for path in LONGPOLL_PATHS:
        whose = "anyone" if path == "/healthz" else "another institution's token"
        found.append(
            (
                f"{path} p99 under 100 long-polls ÷ idle",
                f"sqlite, {whose}, {refused} of {sum(r.polls for r in runs)} polls refused (429)",
                f"{_median([r.p99(r.loaded, path) for r in runs]) * 1000:,.1f} ms",
                f"{_median([r.p99(r.idle, path) for r in runs]) * 1000:,.1f} ms",
                _ratio(_median([r.ratio(path) for r in runs])),
                "",
            )
        )
    return found


def table(results: BenchResults) -> Table:
    options = results.options
    title = f"povezimo bench — medians of {options.repeat} repetition(s), seed {options.seed}"
    rendered = Table(title=title)
    for column in ("measurement", "where", "ours", "against", "ratio", "target"):
        rendered.add_column(column, no_wrap=column != "measurement")
    for row in rows(results):
        rendered.add_row(*row)
    return rendered


def markdown(results: BenchResults) -> str:
    """The same table in Markdown, for the README's Performance section."""
    lines = [
        "| measurement | where | ours | against | ratio | target |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows(results)]
    return "\n".join(lines)


def write_json(results: BenchResults, path: Path) -> None:
    path.write_text(json.dumps(results.as_dict(), indent=2, default=str) + "\n")


def _memory(size: SizeSummary) -> str:
    return f"{size.peak_rss_mb:,.0f} MB; {size.total_rss_mb:,.0f} MB. {size.total_pss_mb:,.0f} MB"
