"""Coordinators read the regional aggregate through the release door only: small counts withheld
with their complements, JSON or CSV, never a policy looser than the platform's."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from consumers.pipeline import Pipeline
from producers.scenario import Submission
from services.api.app import create_app
from services.bootstrap import Platform
from services.disclosure.release import ReleaseRequest, release
from tests.api.world import NOW, OWNER, World, case_opened
from tests.support.pipeline import submit

# The region's cases are dated this month: they are released once it has closed.
LATER = NOW + dt.timedelta(days=62)


@pytest.fixture
def client(platform: Platform, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(platform, clock=lambda: LATER), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def region(world: World, platform: Platform, pipeline: Pipeline) -> World:
    """Six more cases in Lazarevac, so that some counts are large enough to be shown."""
    at = NOW - dt.timedelta(days=1)
    submit(
        platform,
        [Submission(OWNER, case_opened(OWNER, uuid.uuid4(), "lazarevac", at)) for _ in range(6)],
    )
    pipeline.drain()
    return world


def test_a_table_withholds_small_counts_and_the_totals_that_would_give_them_back(
    client: TestClient, region: World, platform: Platform
) -> None:
    answer = client.get(
        "/v1/aggregate/indicators/reported_cases",
        params={"by": "municipality"},
        headers=region.headers("coordinator"),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    counts = {row["municipality"]: row["count"] for row in body["rows"]}
    assert body["threshold"] == 5 and body["by"] == ["municipality"]
    # Kragujevac's single case is withheld, and so is one more position: otherwise 7 - 6 = 1.
    assert counts["kragujevac"] is None
    assert sum(v is None for v in counts.values()) >= 2
    assert not any(v is not None and 0 < v < 5 for v in counts.values())
    # The same release as the CLI's door gives: the API adds nothing and loosens nothing.
    door = release(platform, ReleaseRequest("reported_cases", ("municipality",), 5), now=LATER)
    assert body["rows"] == door.rows


def test_csv_is_the_same_release_with_withheld_values_left_empty(
    client: TestClient, region: World
) -> None:
    headers = region.headers("coordinator")
    params = {"by": "municipality,month"}
    as_json = client.get("/v1/aggregate/indicators/reported_cases", params=params, headers=headers)
    as_csv = client.get(
        "/v1/aggregate/indicators/reported_cases",
        params={**params, "format": "csv"},
        headers=headers,
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    expected = [
        {k: "" if v is None else str(v) for k, v in row.items()} for row in as_json.json()["rows"]
    ]
    assert rows == expected
    assert any(r["count"] == "" for r in rows)


def test_requests_the_release_door_refuses_are_answered_with_its_code(
    client: TestClient, region: World
) -> None:
    headers = region.headers("coordinator")
    cases = {
        ("reported_cases", "municipality", 2): (422, "threshold_below_policy"),
        ("no_such_indicator", "month", None): (404, "unknown_indicator"),
        ("reported_cases", "household", None): (422, "unknown_dimension"),
        ("reported_cases", ",", None): (422, "no_dimension"),
    }
    for (indicator, by, threshold), (status, code) in cases.items():
        params: dict[str, str | int] = {"by": by}
        if threshold:
            params["threshold"] = threshold
        answer = client.get(f"/v1/aggregate/indicators/{indicator}", params=params, headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (status, code), indicator
    stricter = client.get(
        "/v1/aggregate/indicators/reported_cases",
        params={"by": "municipality", "threshold": 10},
        headers=headers,
    )
    assert stricter.status_code == 200 and stricter.json()["threshold"] == 10


def test_only_coordinators_read_the_aggregate_and_they_read_nothing_else(
    client: TestClient, region: World
) -> None:
    path = "/v1/aggregate/indicators/reported_cases?by=month"
    for caller in ("ngo", "auditor", "admin"):
        assert client.get(path, headers=region.headers(caller)).status_code == 403
    assert client.get(path).status_code == 401
    listed = client.get("/v1/aggregate/indicators", headers=region.headers("coordinator")).json()
    assert {"reported_cases", "referrals_sent", "timely_p1_answer"} <= {i["name"] for i in listed}
    assert client.get("/v1/cases", headers=region.headers("coordinator")).status_code == 403


def test_the_dashboard_page_and_its_script_are_served_without_data(client: TestClient) -> None:
    page = client.get("/dashboard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/dashboard/dashboard.js" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert (
        client.get("/dashboard/dashboard.js").headers["content-type"].startswith("text/javascript")
    )
    assert client.get("/dashboard/../app.py").status_code == 404
    assert client.get("/dashboard/secrets.txt").status_code == 404


def test_every_release_is_in_the_ledger_auditors_read(
    client: TestClient, region: World, platform: Platform
) -> None:
    coordinator = region.headers("coordinator")
    for by in ("municipality", "municipality,month"):
        answer = client.get(
            "/v1/aggregate/indicators/reported_cases", params={"by": by}, headers=coordinator
        )
        assert answer.status_code == 200, answer.text
    assert client.get("/v1/audit/releases", headers=coordinator).status_code == 403
    ledger = client.get("/v1/audit/releases", headers=region.headers("auditor"))
    assert ledger.status_code == 200, ledger.text
    entries = ledger.json()
    assert [e["grouping"] for e in entries] == [["municipality"], ["municipality", "month"]]
    assert all(e["channel"] == "api" and "platform.povezimo" in e["released_by"] for e in entries)
    assert all(len(e["digest"]) == 64 and e["threshold"] == 5 for e in entries)


def test_a_table_limited_to_a_period_shows_its_cells_as_the_whole_table_does(
    client: TestClient, region: World
) -> None:
    headers = region.headers("coordinator")
    path = "/v1/aggregate/indicators/reported_cases"
    whole = client.get(path, params={"by": "municipality,month"}, headers=headers).json()
    month = next(row["month"] for row in whole["rows"] if row["month"] != "*")
    limited = client.get(
        path, params={"by": "municipality,month", "from": month, "to": month}, headers=headers
    )
    assert limited.status_code == 200, limited.text
    body = limited.json()
    assert (body["period_from"], body["period_to"]) == (month, month)
    assert body["rows"] == [row for row in whole["rows"] if row["month"] == month]
    # Without a period in by, the one month is the period of every number.
    alone = client.get(
        path, params={"by": "municipality", "from": month, "to": f"{month}-31"}, headers=headers
    )
    if alone.status_code == 422:  # a month of 30 days or fewer: its last day is another
        assert alone.json()["code"] == "period_not_whole"
        alone = client.get(
            path, params={"by": "municipality", "from": month, "to": month}, headers=headers
        )
    counts = {row["municipality"]: row["count"] for row in alone.json()["rows"]}
    assert counts == {row["municipality"]: row["count"] for row in body["rows"]}
    # A year not yet whole in the releases has no total: a sum of its months is a new number.
    year = client.get(
        path, params={"by": "municipality,month", "from": month[:4], "to": month[:4]},
        headers=headers,
    ).json()  # fmt: skip
    assert year["rows"] and all(row["month"] != "*" for row in year["rows"])


def test_a_period_the_door_cannot_cut_is_answered_with_its_code(
    client: TestClient, region: World
) -> None:
    headers = region.headers("coordinator")
    cases = {
        ("month", "2025-13", None): "bad_period",
        ("month", "2025-06", "2025-01"): "empty_period_range",
        ("quarter", "2025-02", None): "period_not_whole",
        ("municipality", "2025-01", "2025-06"): "period_not_whole",
        ("month", "2025-01-15", None): "period_not_whole",
        ("month", "2025-01-01T00:00:00", None): "string_too_long",
    }
    for (by, start, end), code in cases.items():
        params = {"by": by} | ({"from": start} if start else {}) | ({"to": end} if end else {})
        answer = client.get(
            "/v1/aggregate/indicators/reported_cases", params=params, headers=headers
        )
        assert answer.status_code == 422, (params, answer.text)
        body = answer.json()
        found = [body["code"], *(p["code"] for p in body.get("problems", []))]
        assert code in found, (params, body)


def test_the_referral_funnel_is_one_table_of_four_counts(
    client: TestClient, region: World, platform: Platform
) -> None:
    headers = region.headers("coordinator")
    listed = client.get("/v1/aggregate/indicators", headers=headers).json()
    (info,) = [i for i in listed if i["name"] == "referral_funnel"]
    assert info["kind"] == "funnel"
    assert {"service_type", "urgency", "recipient_kind", "month"} <= set(info["dimensions"])
    assert "decline_reason" not in info["dimensions"]
    answer = client.get(
        "/v1/aggregate/indicators/referral_funnel",
        params={"by": "municipality,quarter"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["measures"] == ["sent", "accepted", "declined", "completed"]
    door = release(
        platform, ReleaseRequest("referrals_sent", ("municipality", "quarter"), 5), now=LATER
    )
    assert [row["sent"] for row in body["rows"]] == [row["count"] for row in door.rows]
    as_csv = client.get(
        "/v1/aggregate/indicators/referral_funnel",
        params={"by": "municipality", "format": "csv"},
        headers=headers,
    )
    assert as_csv.text.splitlines()[0] == "municipality,sent,accepted,declined,completed"
    refused = client.get(
        "/v1/aggregate/indicators/referral_funnel",
        params={"by": "decline_reason"},
        headers=headers,
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "unknown_dimension")


def test_a_limited_release_is_in_the_ledger_with_its_months(
    client: TestClient, region: World
) -> None:
    coordinator = region.headers("coordinator")
    answer = client.get(
        "/v1/aggregate/indicators/reported_cases",
        params={"by": "month", "from": "2025-Q3", "to": "2026"},
        headers=coordinator,
    )
    assert answer.status_code == 200, answer.text
    (entry,) = client.get("/v1/audit/releases", headers=region.headers("auditor")).json()
    assert (entry["period_from"], entry["period_to"]) == ("2025-07", "2026-12")
