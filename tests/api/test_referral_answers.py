"""Answers to a referral over HTTP take the ingest path: the recipient accepts, declines with a
coded reason or completes; the sender withdraws; the lifecycle refuses what cannot follow."""

from __future__ import annotations

from fastapi.testclient import TestClient

from consumers.pipeline import Pipeline
from schemas.topics import CASE_EVENTS
from tests.api.world import World
from tests.support.pipeline import decoded, read_topic


def referral(client: TestClient, world: World, caller: str) -> dict[str, object]:
    [found] = [
        r
        for r in client.get(
            "/v1/referrals",
            params={"direction": "sent" if caller == "owner" else "received"},
            headers=world.headers(caller),
        ).json()
        if r["referral_id"] == str(world.referral_x)
    ]
    return found


def test_a_declined_referral_carries_its_reason_and_cannot_then_be_accepted(
    client: TestClient, world: World, pipeline: Pipeline
) -> None:
    path = f"/v1/referrals/{world.referral_x}"
    declined = client.post(
        f"{path}/decline",
        json={"actor_role": "NGO_COUNSELLOR", "reason_code": "NO_CAPACITY", "reason_note": "full"},
        headers=world.headers("ngo"),
    )
    assert declined.status_code == 202
    pipeline.drain()
    assert (
        client.get(declined.json()["status_url"], headers=world.headers("ngo")).json()["status"]
        == "accepted"
    )
    seen = referral(client, world, "owner")
    assert (seen["status"], seen["reason_code"]) == ("declined", "NO_CAPACITY")
    late = client.post(
        f"{path}/accept", json={"actor_role": "NGO_COUNSELLOR"}, headers=world.headers("ngo")
    )
    assert late.status_code == 409 and late.json()["code"] == "referral_transition_forbidden"
    # Declining ended the NGO's part in the case: the case itself is gone from its view.
    assert client.get(f"/v1/cases/{world.case_x}", headers=world.headers("ngo")).status_code == 404


def test_only_the_sender_withdraws_and_the_recipient_then_sees_it_revoked(
    client: TestClient, world: World, pipeline: Pipeline
) -> None:
    path = f"/v1/referrals/{world.referral_x}/revoke"
    body = {"actor_role": "CASE_MANAGER", "reason": "REDIRECTED"}
    assert client.post(path, json=body, headers=world.headers("ngo")).status_code == 404
    revoked = client.post(path, json=body, headers=world.headers("owner"))
    assert revoked.status_code == 202
    pipeline.drain()
    assert referral(client, world, "ngo")["status"] == "revoked"
    again = client.post(path, json=body, headers=world.headers("owner"))
    assert again.status_code == 409


def test_an_accepted_referral_is_completed_with_its_outcome(
    client: TestClient, world: World, pipeline: Pipeline
) -> None:
    path = f"/v1/referrals/{world.referral_x}"
    answer = {"actor_role": "NGO_COUNSELLOR"}
    assert (
        client.post(f"{path}/accept", json=answer, headers=world.headers("ngo")).status_code == 202
    )
    pipeline.drain()
    done = client.post(
        f"{path}/complete",
        json={**answer, "outcome": "GOAL_ACHIEVED"},
        headers=world.headers("ngo"),
    )
    assert done.status_code == 202
    pipeline.drain()
    seen = referral(client, world, "owner")
    assert seen["status"] == "completed" and seen["completed_at"] is not None


def test_the_actor_role_header_says_who_answers_when_the_body_does_not(
    client: TestClient, world: World, pipeline: Pipeline
) -> None:
    path = f"/v1/referrals/{world.referral_x}"
    unsaid = client.post(f"{path}/accept", headers=world.headers("ngo"))
    assert unsaid.status_code == 422 and unsaid.json()["code"] == "actor_role_missing"
    role = {"X-Actor-Role": "NGO_COUNSELLOR"}
    accepted = client.post(f"{path}/accept", headers=world.headers("ngo", **role))
    assert accepted.status_code == 202, accepted.text
    pipeline.drain()
    status = client.get(accepted.json()["status_url"], headers=world.headers("ngo")).json()
    assert status["status"] == "accepted"
    # The body, when it names a role, is what the event records.
    done = client.post(
        f"{path}/complete",
        json={"actor_role": "LAWYER", "outcome": "GOAL_ACHIEVED"},
        headers=world.headers("ngo", **role),
    )
    assert done.status_code == 202
    pipeline.drain()
    logged = decoded(world.platform, read_topic(world.platform, CASE_EVENTS, settle=0.2))
    roles = {d.event_type: d.record["header"]["actor_role"] for d in logged}
    assert roles["ReferralAccepted"] == "NGO_COUNSELLOR"
    assert roles["ReferralCompleted"] == "LAWYER"
