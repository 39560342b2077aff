"""Four scripted cases through the exchange into the regional aggregate; every indicator equals
the value worked out by hand from the script (tests/support/aggregate_scenario.py).

Threshold 1 shows the true values; the default threshold then withholds them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select
from typer.testing import CliRunner

from consumers.aggregate_tables import failures
from consumers.exchange import submissions_table
from consumers.generalise import age_band
from consumers.runner import offsets_table
from services.bootstrap import Platform
from services.cli.main import app
from services.disclosure.release import ReleaseError, ReleaseRequest, release
from services.platform.settings import Settings
from tests.support.aggregate_scenario import region
from tests.support.brokers import TEST_SESSION_TIMEOUT_MS
from tests.support.pipeline import pipeline_of, submit_in_order


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    tmp = tmp_path_factory.mktemp("aggregate")
    # An operator policy of threshold 1 lets the tests see true values; releases ask for more.
    settings = Settings(data_dir=tmp / "data", bus_url=f"sqlite:///{tmp / 'bus.db'}",
                        disclosure_threshold=1)  # fmt: skip
    system = Platform(settings, session_timeout_ms=TEST_SESSION_TIMEOUT_MS)
    cases, _ = region(system.vault)
    pipeline = pipeline_of(system)
    submit_in_order(system, pipeline, [s for case in cases for s in case])
    pipeline.close()
    yield system
    system.close()


# Released once 2026 is closed: a release shows only months that ended and settled.
AFTER = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)


def table(system: Platform, indicator: str, by: str, threshold: int = 1) -> list[dict[str, Any]]:
    request = ReleaseRequest(indicator, tuple(by.split(",")), threshold=threshold)
    return release(system, request, now=AFTER).rows


def values(rows: list[dict[str, Any]], *measures: str) -> dict[tuple[str, ...], Any]:
    """{dimension values: measure(s)} for every row of the script's months (a table runs on to
    the last month closed, empty after the script's three)."""
    found = {}
    for row in rows:
        if "month" in row and row["month"] not in ("*", "2026-01", "2026-02", "2026-03"):
            continue
        key = tuple(v for k, v in row.items() if k not in {"count", "numerator", "denominator",
                                                             "rate", "median_hours"})  # fmt: skip
        picked = tuple(row[m] for m in measures)
        found[key] = picked[0] if len(picked) == 1 else picked
    return found


def test_the_script_went_through_whole(platform: Platform) -> None:
    with platform.exchange_engine.connect() as conn:
        statuses = {r.status for r in conn.execute(select(submissions_table.c.status))}
    with platform.aggregate_engine.connect() as conn:
        assert conn.execute(select(failures)).all() == []
    assert statuses == {"accepted"}


def test_aggregate_lives_in_its_own_database(platform: Platform) -> None:
    aggregate_file = Path(platform.settings.resolved_aggregate_url.removeprefix("sqlite:///"))
    views_file = Path(platform.settings.resolved_views_url.removeprefix("sqlite:///"))
    assert aggregate_file.exists() and aggregate_file != views_file
    assert "agg_cases" in inspect(platform.aggregate_engine).get_table_names()
    assert "view_cases" not in inspect(platform.aggregate_engine).get_table_names()
    assert "agg_cases" not in inspect(platform.views_engine).get_table_names()
    # The aggregate's offsets commit with its rows, in its own database's transaction.
    with platform.aggregate_engine.connect() as conn:
        mine = conn.execute(select(offsets_table.c.projection).distinct()).scalars().all()
    with platform.views_engine.connect() as conn:
        theirs = set(conn.execute(select(offsets_table.c.projection).distinct()).scalars())
    assert mine == ["aggregate"] and "aggregate" not in theirs and "views" in theirs


def test_reported_cases_by_area_and_month(platform: Platform) -> None:
    rows = table(platform, "reported_cases", "municipality,month")
    assert values(rows, "count") == {
        ("lazarevac", "2026-01"): 1, ("lazarevac", "2026-02"): 1, ("lazarevac", "2026-03"): 1,
        ("pool:cuprija+golubac", "2026-01"): 1, ("pool:cuprija+golubac", "2026-02"): 0,
        ("pool:cuprija+golubac", "2026-03"): 0,
        ("lazarevac", "*"): 3, ("pool:cuprija+golubac", "*"): 1,
        ("*", "2026-01"): 2, ("*", "2026-02"): 1, ("*", "2026-03"): 1, ("*", "*"): 4,
    }  # fmt: skip


def test_people_are_counted_once_per_cell_by_pseudonym(platform: Platform) -> None:
    assert values(table(platform, "distinct_victims", "year"), "count") == {("2026",): 3}
    # Counted once per place and year (a pseudonym's epoch), so not by month.
    with pytest.raises(ReleaseError, match="by year"):
        table(platform, "distinct_victims", "month")
    assert values(table(platform, "distinct_victims", "municipality,year"), "count") == {
        ("lazarevac", "2026"): 2, ("pool:cuprija+golubac", "2026"): 1, ("*", "2026"): 3,
    }  # fmt: skip
    assert values(table(platform, "distinct_perpetrators", "year"), "count") == {("2026",): 4}
    # Each case registers its victim: the cell of a (case, victim) pair is her or his own sex
    # and age band, read here from the submitted events rather than from the pipeline.
    people: dict[tuple[str, str], set[str]] = {}
    for case in region()[0]:
        for item in case:
            if item.event_type == "SubjectRegistered" and item.event.role == "VICTIM":  # type: ignore[attr-defined]
                event = item.event
                band = age_band(event.birth_year, event.header.occurred_at)  # type: ignore[attr-defined]
                key = (event.sex, band)  # type: ignore[attr-defined]
                people.setdefault(key, set()).add(str(event.subject_id))  # type: ignore[attr-defined]
    for index, dimension in enumerate(("sex", "age_band")):
        rows = table(platform, "distinct_victims", dimension)
        found = {k: v for k, v in values(rows, "count").items() if "*" not in k and v}
        expected: dict[tuple[str, ...], set[str]] = {}
        for key, ids in people.items():
            expected.setdefault((key[index],), set()).update(ids)
        assert found == {key: len(ids) for key, ids in expected.items()}


@pytest.mark.parametrize(
    ("indicator", "numerator", "denominator"),
    [
        ("high_risk_share", 4, 4),
        ("urgent_measure_rate", 4, 4),
        ("extension_proposed_rate", 4, 4),
        ("extension_granted_rate", 4, 4),
        ("timely_extension_proposal", 4, 4),
        ("timely_court_decision", 4, 4),
        ("breach_rate", 1, 4),
        ("repeat_victimisation", 1, 4),
        ("plan_coverage", 2, 4),
        ("victim_participation", 2, 2),
        ("timely_group_review", 2, 3),
        ("timely_p1_answer", 4, 4),
    ],
)
def test_rates_for_the_year(
    platform: Platform, indicator: str, numerator: int, denominator: int
) -> None:
    (row,) = table(platform, indicator, "year")
    assert (row["numerator"], row["denominator"]) == (numerator, denominator)
    assert row["rate"] == round(numerator / denominator, 4)


def test_the_repeat_is_the_later_case(platform: Platform) -> None:
    rows = table(platform, "repeat_victimisation", "month")
    assert values(rows, "numerator", "denominator") == {
        ("2026-01",): (0, 2), ("2026-02",): (0, 1), ("2026-03",): (1, 1), ("*",): (1, 4)
    }  # fmt: skip


def test_urgent_measures_by_type(platform: Platform) -> None:
    rows = table(platform, "urgent_measure_rate", "measure_type")
    found = values(rows, "numerator", "denominator")
    assert found[("TEMPORARY_REMOVAL_FROM_DWELLING",)] == (4, 4)
    assert found[("TEMPORARY_CONTACT_BAN",)] == (0, 4)


def test_referral_funnel(platform: Platform) -> None:
    assert values(table(platform, "referrals_sent", "service_type"), "count") == {
        ("COUNSELLING",): 4, ("FREE_LEGAL_AID",): 1, ("*",): 5
    }  # fmt: skip
    assert values(table(platform, "referrals_accepted", "year"), "count") == {("2026",): 4}
    assert values(table(platform, "referrals_completed", "year"), "count") == {("2026",): 0}
    declined = table(platform, "referrals_declined", "decline_reason")
    assert values(declined, "count") == {("NO_CAPACITY",): 1}
    (median,) = table(platform, "median_hours_to_accept", "year")
    assert (median["count"], median["median_hours"]) == (4, 3.0)  # accepted 3 h after sending
    assert values(table(platform, "services_delivered", "service_type"), "count") == {
        ("COUNSELLING",): 2
    }


def test_the_default_threshold_withholds_these_small_counts(platform: Platform) -> None:
    rows = table(platform, "reported_cases", "municipality,month", threshold=5)
    published = [r["count"] for r in rows if r["count"] is not None]
    assert all(v == 0 or v >= 5 for v in published)
    assert any(r["count"] is None for r in rows)
    (median,) = table(platform, "median_hours_to_accept", "year", threshold=5)
    assert median["count"] is None and median["median_hours"] is None


def test_the_command_line_releases_through_the_same_door(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POVEZIMO_DISCLOSURE_THRESHOLD", "1")
    data_dir = str(platform.settings.data_dir)
    common = ["aggregate", "--data-dir", data_dir, "--by", "municipality,month"]
    runner = CliRunner()
    as_csv = runner.invoke(app, [*common, "--format", "csv", "--threshold", "1"])
    assert as_csv.exit_code == 0, as_csv.output
    lines = as_csv.output.splitlines()
    assert lines[0] == "municipality,month,count"
    assert "lazarevac,2026-01,1" in lines and "*,*,4" in lines

    as_json = json.loads(
        runner.invoke(app, [*common, "--format", "json", "--threshold", "5"]).output
    )
    assert as_json["threshold"] == 5 and as_json["indicator"] == "reported_cases"
    assert all(r["count"] in (None, 0) for r in as_json["rows"])
    # A withheld count is an empty CSV cell, as in the API's CSV; only a table shows it as x.
    withheld = runner.invoke(app, [*common, "--format", "csv", "--threshold", "5"])
    assert "lazarevac,2026-01," in withheld.stdout.splitlines()
    assert ",x" not in withheld.stdout

    as_table = runner.invoke(app, [*common, "--indicator", "high_risk_share", "--threshold", "5"])
    assert as_table.exit_code == 0 and "high_risk_share" in as_table.output
    assert "withheld" in as_table.output

    listed = runner.invoke(app, ["aggregate", "--list"], terminal_width=200)
    assert all(name in listed.output for name in ("reported_cases", "timely_p1_answer"))
    # Every dimension --by takes is listed, the periods among them (not only in an error).
    assert "month | quarter | year, municipality" in listed.output
    assert "victim_sex" in listed.output


def test_the_command_line_refuses_bad_requests_with_a_code(platform: Platform) -> None:
    data_dir = str(platform.settings.data_dir)
    runner = CliRunner()
    refused = runner.invoke(app, ["aggregate", "--data-dir", data_dir, "--by", "household"])
    assert refused.exit_code == 2
    assert refused.stderr.startswith("error: unknown_dimension: ")
    wrong = runner.invoke(app, ["aggregate", "--data-dir", data_dir, "--format", "xml"])
    assert wrong.exit_code == 2 and wrong.stderr.startswith("error: unknown_format: ")
    # The operator's threshold (default 5) is a floor no release can lower.
    looser = runner.invoke(app, ["aggregate", "--data-dir", data_dir, "--threshold", "1"])
    assert looser.exit_code == 2
    assert looser.stderr.startswith("error: threshold_below_policy: ")


def test_a_release_cannot_lower_the_operator_threshold(platform: Platform) -> None:
    strict = Platform(Settings(data_dir=platform.settings.data_dir, disclosure_threshold=10))
    try:
        with pytest.raises(ReleaseError) as refused:
            release(strict, ReleaseRequest("reported_cases", ("year",), threshold=5), now=AFTER)
        assert refused.value.code == "threshold_below_policy"
        request = ReleaseRequest("reported_cases", ("year",), threshold=10)
        assert release(strict, request, now=AFTER).rows
    finally:
        strict.close()


def test_the_command_line_gives_the_referral_funnel_limited_to_a_period(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POVEZIMO_DISCLOSURE_THRESHOLD", "1")
    data_dir = str(platform.settings.data_dir)
    common = ["aggregate", "--data-dir", data_dir, "--threshold", "1", "--format", "json"]
    runner = CliRunner()
    asked = [*common, "--indicator", "referral_funnel", "--by", "quarter"]
    funnel = runner.invoke(app, [*asked, "--from", "2026-Q1", "--to", "2026-03-31"])
    assert funnel.exit_code == 0, funnel.output
    body = json.loads(funnel.output)
    assert (body["period_from"], body["period_to"]) == ("2026-01", "2026-03")
    assert body["rows"] == [
        {"quarter": "2026-Q1", "sent": 5, "accepted": 4, "declined": 1, "completed": 0}
    ]
    listed = runner.invoke(app, ["aggregate", "--list"], terminal_width=250)
    assert "referral_funnel" in listed.output and "recipient_kind" in listed.output
    for args, code in (
        (["--from", "2026-14"], "bad_period"),
        (["--from", "2026-03", "--to", "2026-01"], "empty_period_range"),
        (["--by", "quarter", "--from", "2026-02"], "period_not_whole"),
    ):
        refused = runner.invoke(app, [*common, *args])
        assert refused.exit_code == 2 and code in refused.stderr, (args, refused.stderr)


def test_a_noisy_table_limited_to_a_period_counts_that_period_alone(platform: Platform) -> None:
    limited = ReleaseRequest(
        "reported_cases", ("month",), threshold=1, epsilon=1.0, period_from="2026-02",
        period_to="2026-02",
    )  # fmt: skip
    published = release(platform, limited, now=AFTER)
    assert [row["month"] for row in published.rows] == ["2026-02"]
    assert (published.period_from, published.period_to) == ("2026-02", "2026-02")
    # A noisy funnel: each stage a noisy table with a quarter of the epsilon.
    noisy = ReleaseRequest("referral_funnel", ("year",), threshold=1, epsilon=0.4)
    funnel = release(platform, noisy, now=AFTER)
    assert funnel.measures == ("sent", "accepted", "declined", "completed")
    assert funnel.epsilon == 0.4 and [row["year"] for row in funnel.rows] == ["2026"]
