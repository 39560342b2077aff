"""An idle ``povezimo serve`` with its pipeline keeps little of a core busy (a benchmark: the
share lands in extra_info; the bound only catches a return of per-member table polling)."""

from __future__ import annotations

from typing import Any

from services.bench.idle import measure_idle
from services.bench.workspace import Workspace


def test_an_idle_server_waits_instead_of_polling(benchmark: Any, workspace: Workspace) -> None:
    found = benchmark.pedantic(lambda: measure_idle(workspace), rounds=1, iterations=1)
    benchmark.extra_info.update(found.as_dict())
    assert 0 < found.share < 0.25
