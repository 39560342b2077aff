"""Point-in-time replay from the archive equals what the live views showed at that instant.

Three scripted cases run through the platform in the order their events were recorded, in waves;
after each wave the live views are captured (every case as its opener sees it, and the NGO's whole
view). Afterwards, each capture is compared with the replay of the archive as of the last
``recorded_at`` of its wave.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from consumers import queries
from producers.scenario import NGO, Submission, coordinated_script
from services.audit.point_in_time import case_as_of, view_as_of
from services.cli.main import app
from tests.support.audit import MUNICIPALITIES, START, audit_platform
from tests.support.pipeline import pipeline_of, submit_in_order

WAVES = 6


def recorded_at(item: Submission) -> dt.datetime:
    return item.event.header.recorded_at  # type: ignore[attr-defined, no-any-return]


def in_time_waves(submissions: list[Submission], count: int) -> list[list[Submission]]:
    """Submissions in recorded order, cut into ``count`` waves never splitting equal times."""
    ordered = sorted(submissions, key=recorded_at)
    size = -(-len(ordered) // count)
    waves: list[list[Submission]] = [[]]
    for item in ordered:
        if len(waves[-1]) >= size and recorded_at(item) > recorded_at(waves[-1][-1]):
            waves.append([])
        waves[-1].append(item)
    return waves


def test_replay_as_of_each_wave_equals_the_live_views_then(tmp_path: Path) -> None:
    platform = audit_platform(tmp_path / "data")
    rng = random.Random(2007)
    scripts = [
        coordinated_script(rng, START + dt.timedelta(days=4 * n), MUNICIPALITIES[n], platform.vault)
        for n in range(3)
    ]
    openers = {str(s.case_id): s.police for s in scripts}
    pipeline = pipeline_of(platform)
    captured: list[tuple[dt.datetime, dict[str, Any], dict[str, Any]]] = []
    waves = in_time_waves([s for script in scripts for s in script.submissions], WAVES)
    assert len(waves) >= 4
    for wave in waves:
        submit_in_order(platform, pipeline, wave)
        with platform.views_engine.connect() as views:
            cases = {c: queries.case_view(views, opener, c) for c, opener in openers.items()}
            ngo = {
                "cases": [
                    queries.case_view(views, NGO, c["case_id"])
                    for c in queries.cases_for(views, NGO)
                ],
                "referrals_received": queries.referrals_for(views, NGO),
            }
        captured.append((recorded_at(wave[-1]), cases, ngo))
    pipeline.close()

    with platform.archive_engine.connect() as archive:
        for instant, cases, ngo in captured:
            for case_id, live in cases.items():
                replayed = case_as_of(
                    archive, platform.codec, platform.institutions, case_id, instant
                )
                assert (replayed and replayed["state"]) == live, (case_id, instant)
            seen = view_as_of(archive, platform.codec, platform.institutions, NGO, instant)
            assert seen["cases"] == ngo["cases"]
            assert seen["referrals_received"] == ngo["referrals_received"]
    # The captures differ from each other: the instants really are different states.
    assert len({str(c) for _, c, _ in captured}) == len(captured)
    platform.close()

    case_id = str(scripts[0].case_id)
    instant = captured[1][0]
    result = CliRunner().invoke(
        app,
        ["audit", "case", case_id, "--as-of", f"{instant:%Y-%m-%dT%H:%M:%S.%f}",
         "--format", "json", "--data-dir", str(tmp_path / "data")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    expected = [
        (s.event_type, s.institution) for s in scripts[0].submissions if recorded_at(s) <= instant
    ]
    assert sorted(expected) == sorted((e["event_type"], e["published_by"]) for e in shown["events"])
    assert [e["seq"] for e in shown["events"]] == sorted(e["seq"] for e in shown["events"])
    assert shown["state"]["status"] == "open"

    text = CliRunner().invoke(
        app,
        [
            "audit",
            "case",
            case_id,
            "--as-of",
            "2026-03-03T00:00",
            "--data-dir",
            str(tmp_path / "data"),
        ],
    )
    assert text.exit_code == 0, text.output
    assert "CaseOpened" in text.output and scripts[0].police in text.output

    before = CliRunner().invoke(
        app,
        [
            "audit",
            "case",
            case_id,
            "--as-of",
            "2007-03-01T12:00",
            "--data-dir",
            str(tmp_path / "data"),
        ],
    )
    assert before.exit_code == 1
    assert "no case" in before.output

    view = CliRunner().invoke(
        app, ["audit", "case", "--view", NGO, "--as-of", "2026-12-31T00:00", "--format", "json",
              "--data-dir", str(tmp_path / "data")],
    )  # fmt: skip
    assert view.exit_code == 0, view.output
    assert {c["case_id"] for c in json.loads(view.output)["cases"]} == set(openers)
