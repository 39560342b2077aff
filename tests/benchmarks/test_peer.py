"""The same case-count view by our runner and by pyeventsourcing (SQLite, same durability)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.bench.peer import ours_case_counts, peer_case_counts, store_peer_events
from services.bench.sample_events import EventSet
from services.bench.workspace import Workspace


@pytest.fixture(scope="module")
def peer_store(workspace: Workspace, bench_log: EventSet) -> Path:
    store = workspace.root / "peer-store.db"
    store_peer_events(store, bench_log, workspace.codec)
    return store


def test_case_counts_ours(
    benchmark: Any, loaded_sqlite: dict[str, str], bench_log: EventSet
) -> None:
    results = benchmark.pedantic(
        ours_case_counts, args=(loaded_sqlite, len(bench_log)), rounds=3, iterations=1
    )
    seconds, counts = results
    benchmark.extra_info["events_per_second"] = round(len(bench_log) / seconds)
    assert sum(opened for opened, _closed in counts.values()) > 0


def test_case_counts_eventsourcing(
    benchmark: Any,
    workspace: Workspace,
    peer_store: Path,
    loaded_sqlite: dict[str, str],
    bench_log: EventSet,
) -> None:
    view = workspace.root / "peer-view.db"
    seconds, counts = benchmark.pedantic(
        peer_case_counts, args=(peer_store, view, len(bench_log)), rounds=3, iterations=1
    )
    benchmark.extra_info["events_per_second"] = round(len(bench_log) / seconds)
    # Same view from the same events, or the comparison means nothing.
    _ours_seconds, ours = ours_case_counts(loaded_sqlite, len(bench_log))
    assert counts == ours
