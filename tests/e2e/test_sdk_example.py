"""The producer SDK's example in docs/api.md runs as written, with the three addresses a reader
replaces by their own (the registry, the broker, the institution's database) pointing at an
embedded platform, and ``Relay.run()`` (a loop until stopped) replaced by one of its rounds,
``deliver()``. The case it opens is accepted by the exchange."""

from __future__ import annotations

import re
from pathlib import Path

from consumers.decisions import decision
from services.bootstrap import Platform
from tests.support.pipeline import pipeline_of, platform_for

DOC = Path(__file__).parents[2] / "docs" / "api.md"


def the_sdk_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"```python\n(.*?)```", text, re.S)
    assert found, "docs/api.md lost its SDK example"
    return found.group(1)


def as_run_here(example: str, platform: Platform, database: Path) -> str:
    """The reader's own addresses: every other line stays as written."""
    replaced = {
        r'open_registry\("http://registry\.example:8081"\)':
            f'open_registry("{platform.settings.resolved_registry_url}")',
        r'open_bus\(\s*"kafka://[^)]*\)': f'open_bus("{platform.settings.resolved_bus_url}")',
        r'create_engine\("postgresql://cases@localhost/cases"\)':
            f'create_engine("sqlite:///{database}")',
        r"\.run\(\)": ".deliver()",
    }  # fmt: skip
    for pattern, replacement in replaced.items():
        example, count = re.subn(pattern, replacement, example)
        assert count == 1, f"the example no longer has {pattern}"
    return example


def test_the_sdk_example_runs_as_written_and_its_case_is_accepted(tmp_path: Path) -> None:
    platform = platform_for(tmp_path / "data", f"sqlite:///{tmp_path / 'bus.db'}")
    database = tmp_path / "cases.db"
    namespace: dict[str, object] = {}
    exec(compile(as_run_here(the_sdk_example(), platform, database), str(DOC), "exec"), namespace)
    event = namespace["event"]
    pipeline = pipeline_of(platform)
    try:
        pipeline.drain()
        with platform.exchange_engine.connect() as conn:
            decided = decision(conn, str(event.header.event_id), "csr.lazarevac")  # type: ignore[attr-defined]
        assert decided is not None and decided.status == "accepted", decided
    finally:
        pipeline.close()
        platform.close()
