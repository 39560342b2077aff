"""Identified reads and the auditor's endpoints: a participant unseals a subject's identifiers and
the read is recorded as identified; an auditor verifies the archive, replays a case as it was,
and finds that read in the access log; the auditor's own reads are recorded too."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from consumers.pipeline import Pipeline
from services.bootstrap import Platform
from tests.api.test_access_log import access_log
from tests.api.world import NGO, NOW, World


def at(instant: dt.datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_participant_reads_identifiers_and_the_read_is_recorded_as_identified(
    client: TestClient, world: World, platform: Platform
) -> None:
    headers = world.headers(
        "ngo", **{"X-Purpose": "SERVICE_PROVISION", "X-Actor-Role": "NGO_COUNSELLOR"}
    )
    answer = client.get(f"/v1/subjects/{world.subject_x}/identity", headers=headers)
    assert answer.status_code == 200, answer.text
    person = world.people[world.subject_x]
    assert answer.json()["jmbg"] == person.jmbg
    assert answer.json()["family_name"] == person.family_name

    foreign = client.get(f"/v1/subjects/{world.subject_y}/identity", headers=headers)
    missing = client.get(f"/v1/subjects/{world.case_y}/identity", headers=headers)
    assert foreign.status_code == missing.status_code == 404
    assert (
        foreign.json()
        == missing.json()
        == {
            "code": "subject_not_found",
            "message": "no such subject",
        }
    )
    assert world.people[world.subject_y].family_name not in foreign.text

    [record] = access_log(platform)
    assert record["identified"] is True and record["resource"] == "subject-identity"
    assert record["subject_id"] == world.subject_x
    assert (record["purpose"], record["accessor_role"]) == ("SERVICE_PROVISION", "NGO_COUNSELLOR")
    assert record["accessor_institution"]["institution_id"] == NGO


def test_an_auditor_verifies_replays_and_reads_the_access_log(
    client: TestClient, world: World, platform: Platform, pipeline: Pipeline
) -> None:
    client.get(f"/v1/subjects/{world.subject_x}/identity", headers=world.headers("ngo"))
    pipeline.drain()  # the archive takes in the access log
    auditor = world.headers("auditor")

    verified = client.get("/v1/audit/verify", headers=auditor).json()
    assert verified["intact"] is True and verified["breach"] is None
    assert verified["records"] >= 7  # six case events and the identified read
    assert verified["bus"]["mismatch"] is None

    later = client.get(
        f"/v1/audit/cases/{world.case_x}", params={"as_of": at(NOW)}, headers=auditor
    ).json()
    assert [e["event_type"] for e in later["events"]] == [
        "CaseOpened",
        "SubjectRegistered",
        "ReferralSent",
    ]
    assert later["state"]["referrals"][0]["status"] == "sent"
    before = client.get(
        f"/v1/audit/cases/{world.case_x}",
        params={"as_of": at(NOW - dt.timedelta(days=3))},
        headers=auditor,
    )
    assert before.status_code == 404 and before.json()["code"] == "case_not_found"

    reads = client.get("/v1/audit/access", params={"institution": NGO}, headers=auditor).json()
    assert [(r["resource"], r["identified"]) for r in reads] == [("subject-identity", True)]

    audits = [r for r in access_log(platform) if r["purpose"] == "AUDIT"]
    assert [(r["resource"], r["access_basis"], r["accessor_role"]) for r in audits] == [
        ("audit-case-history", "AUDIT", "AUDITOR")
    ]
