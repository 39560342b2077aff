"""Coordinators read the programme's report over HTTP: the seed's figures as counts beside their
labels, the case indicators of the same places and months exactly as the release door gives them,
the same report as Markdown, HTML with its charts or PDF, and a 4xx with a code for bad input."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from fastapi.testclient import TestClient

from consumers.pipeline import Pipeline
from producers.programme_seed import seed_programme
from producers.scenario import Submission
from services.api.app import create_app
from services.bootstrap import Platform
from services.disclosure.release import ReleaseRequest, release
from tests.api.world import NOW, OWNER, World, case_opened
from tests.support.pipeline import submit

ROUTE = "/v1/programme/report"


@pytest.fixture
def recorded(world: World, platform: Platform, pipeline: Pipeline) -> World:
    """The seed programme, and six more cases in Lazarevac this month."""
    at = NOW - dt.timedelta(hours=1)
    cases = [case_opened(OWNER, uuid.uuid4(), "lazarevac", at) for _ in range(6)]
    programme = [Submission(e.header.source_institution, e) for e in seed_programme(NOW)]  # type: ignore[attr-defined]
    submit(platform, [*programme, *(Submission(OWNER, c) for c in cases)])
    pipeline.drain()
    return world


def figure(rows: list[dict[str, object]], **labels: object) -> object:
    found = [r["count"] for r in rows if all(r.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (labels, rows)
    return found[0]


def test_the_seed_programme_is_reported_as_counts_beside_their_labels(
    client: TestClient, recorded: World
) -> None:
    answer = client.get(ROUTE, params={"from": "2006-06", "to": "2007-12"},
                        headers=recorded.headers("coordinator"))  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    activities = body["activities"]
    assert figure(activities["by_kind"], kind="CONSULTATIVE_MEETING") == 28
    assert figure(activities["seminars_by_programme"], programme="ELECTIVE") == 21
    assert figure(activities["by_kind_and_topic"], kind="PROFESSIONAL_MEETING",
                  topic="PROTECTION_IN_EDUCATION") == 3  # fmt: skip
    assert figure(activities["municipalities_reached"], kind="CAMPAIGN_ACTION") == 9
    assert body["agreements"]["in_force"] == [{"count": 9}]
    # Programme events predate every case: no case indicator has a cell in 2006-2007.
    assert all(not i["rows"] for i in body["cases"]["indicators"])


def test_beside_the_programme_the_case_indicators_are_the_release_doors_cells(
    recorded: World, platform: Platform
) -> None:
    month = f"{NOW:%Y-%m}"
    later = NOW + dt.timedelta(days=62)  # the cases' month is released once it has closed
    with TestClient(create_app(platform, clock=lambda: later)) as client:
        answer = client.get(
            ROUTE, params={"from": month, "to": month, "municipality": "lazarevac"},
            headers=recorded.headers("coordinator"),
        )  # fmt: skip
    assert answer.status_code == 200, answer.text
    reported = next(i for i in answer.json()["cases"]["indicators"]
                    if i["indicator"] == "reported_cases")  # fmt: skip
    door = release(
        platform, ReleaseRequest("reported_cases", ("municipality", "month"), 5), now=later
    )
    expected = [r for r in door.rows if r["municipality"] == "lazarevac" and r["month"] == month]
    assert reported["rows"] == expected
    assert len(expected) == 1  # one month, one place: its own cell, released or withheld
    # A period total is a sum of released cells only: withheld, it is withheld too.
    assert reported["period_totals"][0]["count"] == expected[0]["count"]


def test_every_format_of_the_same_report(client: TestClient, recorded: World) -> None:
    headers = recorded.headers("coordinator")
    params = {"from": "2006-06", "to": "2007-12", "lang": "en"}
    html = client.get(ROUTE, params={**params, "format": "html"}, headers=headers)
    assert html.headers["content-type"].startswith("text/html")
    assert html.text.count("<svg") >= 4 and "Consultative meeting" in html.text
    md = client.get(ROUTE, params={**params, "format": "md"}, headers=headers)
    assert "| Consultative meeting | 28 |" in md.text
    pdf = client.get(ROUTE, params={**params, "format": "pdf"}, headers=headers)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"from": "2006-13"}, 422, "invalid_request"),
        ({"from": "2007-01", "to": "2006-01"}, 422, "months_out_of_order"),
        ({"municipality": "atlantida"}, 422, "unknown_municipality"),
        ({"format": "docx"}, 422, "invalid_request"),
    ],
)
def test_bad_input_is_a_4xx_with_a_code(
    client: TestClient, recorded: World, params: dict[str, str], status: int, code: str
) -> None:
    answer = client.get(ROUTE, params=params, headers=recorded.headers("coordinator"))
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code


def test_only_coordinators_read_it(client: TestClient, recorded: World) -> None:
    assert client.get(ROUTE).status_code == 401
    assert client.get(ROUTE, headers=recorded.headers("owner")).status_code == 403
