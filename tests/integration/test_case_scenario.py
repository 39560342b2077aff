"""police report → risk assessment → urgent measure → prosecutor proposal → court extension →
CSR referral to NGO → accepted → conference → plan → service provided → case closed.

Each participant sees what it needs; an uninvolved institution sees nothing of it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from consumers import queries
from consumers.deadline_watcher import verdicts
from consumers.exchange import submissions_table
from producers.scenario import NGO, coordinated_case
from services.bootstrap import Platform
from tests.support.brokers import TansuBroker
from tests.support.pipeline import pipeline_of, platform_for, read_topic, submit_in_order

START = dt.datetime(2026, 1, 5, 7, 0, tzinfo=dt.UTC)
POLICE = "police.pu-beograd.lazarevac"
PROSECUTOR = "prosecutor.ojt-lazarevac"
COURT = "court.os-lazarevac"
CSR = "csr.lazarevac"
HEALTH = "health.dz-lazarevac"
UNINVOLVED = [
    "csr.golubac",
    "court.os-kragujevac",
    "police.pu-sabac.loznica",
    "mobile-team.vozdovac",
]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("tansu", marks=pytest.mark.kafka)])
def scenario(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Platform, str]]:
    """The scripted case run once per bus; the tests below read what it left."""
    tmp = tmp_path_factory.mktemp("scenario")
    broker = TansuBroker(log_path=tmp / "tansu.log").start() if request.param == "tansu" else None
    system = platform_for(tmp / "data", broker.url if broker else f"sqlite:///{tmp / 'bus.db'}")
    submissions = coordinated_case(random.Random(7), START, "lazarevac", system.vault)
    pipeline = pipeline_of(system)
    submit_in_order(system, pipeline, submissions)
    pipeline.close()
    yield system, str(submissions[0].case_id)
    system.close()
    if broker:
        broker.stop()


@pytest.fixture
def platform(scenario: tuple[Platform, str]) -> Platform:
    return scenario[0]


@pytest.fixture
def case(scenario: tuple[Platform, str]) -> str:
    return scenario[1]


def test_every_submission_of_the_scenario_is_accepted(platform: Platform, case: str) -> None:
    with platform.exchange_engine.connect() as conn:
        outcomes = conn.execute(select(submissions_table.c.status, submissions_table.c.code)).all()
    assert len(outcomes) == 16
    assert {o.status for o in outcomes} == {"accepted"}


def test_each_participant_sees_the_case_it_must_act_on(platform: Platform, case: str) -> None:
    with platform.views_engine.connect() as conn:
        for institution in (POLICE, PROSECUTOR, COURT, CSR, NGO, HEALTH):
            assert queries.visible_case_ids(conn, institution) == {case}, institution
        view = queries.case_view(conn, NGO, case)
    assert view is not None
    assert view["status"] == "closed"
    assert view["opened_by"] == POLICE
    assert [e["event_type"] for e in view["timeline"]][:5] == [
        "CaseOpened", "SubjectRegistered", "SubjectRegistered", "RiskAssessed",
        "UrgentMeasureImposed",
    ]  # fmt: skip
    assert len(view["timeline"]) == 16
    roles = {(p["institution"], p["role"]) for p in view["participants"]}
    assert {
        (POLICE, "opener"),
        (PROSECUTOR, "statutory"),
        (CSR, "statutory"),
        (COURT, "court"),
        (NGO, "referral_recipient"),
        (HEALTH, "conference_member"),
    } <= roles


def test_the_urgent_measure_carries_its_statutory_clocks(platform: Platform, case: str) -> None:
    with platform.views_engine.connect() as conn:
        measure = queries.case_view(conn, COURT, case)["urgent_measures"][0]  # type: ignore[index]
    served = measure["served_at"]
    assert measure["expires_at"] == served + dt.timedelta(hours=48)
    assert measure["proposal_due_at"] == served + dt.timedelta(hours=24)
    assert measure["decision_due_at"] == measure["proposed_at"] + dt.timedelta(hours=24)
    assert measure["granted"] is True
    assert measure["extended_until"] == measure["decided_at"] + dt.timedelta(days=30)


def test_the_referral_plan_and_deadlines_are_recorded(platform: Platform, case: str) -> None:
    with platform.views_engine.connect() as conn:
        (referral,) = queries.referrals_for(conn, NGO)
        sent_by_csr = queries.referrals_for(conn, CSR, direction="sent")
        ngo_measures = queries.plan_measures_for(conn, NGO, open_only=False)
        police_open = queries.plan_measures_for(conn, POLICE)
        judged = {r.kind: r.status for r in conn.execute(select(verdicts))}
    assert referral["status"] == "accepted" and referral["sender"] == CSR
    assert referral["due_at"] == referral["sent_at"] + dt.timedelta(hours=24)  # P1
    assert sent_by_csr == [referral]
    assert [m["outcome"] for m in ngo_measures] == ["GOAL_ACHIEVED"]
    assert len(police_open) == 1
    assert judged == {
        "referral_answer": "met",
        "extension_proposal": "met",
        "extension_decision": "met",
        "coordination_review": "met",
    }


def test_inboxes_receive_what_each_institution_must_act_on(platform: Platform, case: str) -> None:
    reasons = {
        institution: [
            r.header("inbox-reason") for r in read_topic(platform, f"inbox.{institution}")
        ]
        for institution in (NGO, COURT, PROSECUTOR)
    }
    assert b"referral" in reasons[NGO]
    assert b"conference-invitation" in reasons[NGO]
    assert b"plan-measure" in reasons[NGO]
    assert b"extension-proposal" in reasons[COURT]
    assert b"statutory" in reasons[PROSECUTOR]


def test_an_uninvolved_institution_sees_nothing(platform: Platform, case: str) -> None:
    with platform.views_engine.connect() as conn:
        for institution in UNINVOLVED:
            assert queries.cases_for(conn, institution) == []
            assert queries.case_view(conn, institution, case) is None
            assert queries.case_timeline(conn, institution, case) is None
            assert queries.referrals_for(conn, institution) == []
    existing = platform.bus.list_topics()
    assert not any(f"inbox.{i}" in existing for i in UNINVOLVED)
