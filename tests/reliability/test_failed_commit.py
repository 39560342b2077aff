"""The exchange's database fails at the commit, after the batch's outputs went out: the retried
batch applies again and sends nothing twice, and no record of it is skipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from schemas.topics import CASE_EVENTS
from tests.reliability.support import read_all, scripted_cases
from tests.support.pipeline import platform_for, submit


def test_outputs_are_not_sent_again_when_the_commit_failed(tmp_path: Path) -> None:
    platform = platform_for(tmp_path / "data", f"sqlite:///{tmp_path / 'bus.db'}")
    opening = scripted_cases(platform, 3)
    submit(platform, [case.submissions[0] for case in opening])
    runner = platform.runner(platform.projections()["exchange"])
    failures = [OperationalError("COMMIT", {}, ConnectionError("server closed the connection"))]

    def commit_fails_once(_conn: Any) -> None:
        if failures:
            raise failures.pop()

    event.listen(platform.exchange_engine, "commit", commit_fails_once)
    with pytest.raises(OperationalError):
        while runner.step(timeout=2) == 0:
            pass
    assert not failures, "the commit never ran"
    runner.run_until(runner.bus.end_offsets(_submission_partitions(platform)))
    runner.close()

    in_log = read_all(platform, [CASE_EVENTS])
    events = [platform.codec.decode(r.value or b"").record for r in in_log]
    assert sorted(str(e["header"]["event_id"]) for e in events) == sorted(
        str(case.submissions[0].event_id) for case in opening
    )
    platform.close()


def _submission_partitions(platform: Any) -> Any:
    import re

    from consumers.pipeline import partitions_of

    return partitions_of(platform.bus, re.compile(r"submissions\..+"))
