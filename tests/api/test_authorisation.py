"""The authorisation matrix: every endpoint × every kind of caller × own / foreign / missing case.

The NGO takes part in case X (a referral to it) and never in case Y (another municipality's case
with a referral to someone else). For the NGO, everything of Y must answer exactly like something
that does not exist, and no answer it gets may mention Y at all.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.api.registry import is_registry_path
from tests.api.world import NGO, NOW, World, as_json, case_opened

AS_OF = (NOW + dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
CALLERS = ("anonymous", "invalid", "revoked", "ngo", "coordinator", "auditor", "admin")
TARGETS = ("own", "foreign", "missing")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {case} {referral} {event} are filled per target
    body: Any = None
    audience: str = "institution"  # institution | coordinator | public | admin
    ok: int = 200  # what the NGO gets for its own case
    institution: str = "ngo"  # the institution whose own case, referral or submission it is


ENDPOINTS = (
    Endpoint("GET", "/v1/cases"),
    Endpoint("GET", "/v1/cases?status=open"),
    Endpoint("GET", "/v1/cases/{case}"),
    Endpoint("GET", "/v1/cases/{case}/timeline"),
    Endpoint("GET", "/v1/referrals"),
    Endpoint("GET", "/v1/referrals?status=sent&overdue=true"),
    Endpoint("GET", "/v1/referrals?direction=sent"),
    Endpoint("POST", "/v1/referrals/{referral}/accept", {"actor_role": "NGO_COUNSELLOR"}, ok=202),
    Endpoint(
        "POST",
        "/v1/referrals/{referral}/decline",
        {"actor_role": "NGO_COUNSELLOR", "reason_code": "NO_CAPACITY"},
        ok=202,
    ),
    # A referral that is still "sent" cannot be completed: the lifecycle answers before the bus.
    Endpoint(
        "POST",
        "/v1/referrals/{referral}/complete",
        {"actor_role": "NGO_COUNSELLOR", "outcome": "GOAL_ACHIEVED"},
        ok=409,
    ),
    # Only the sender withdraws a referral: here the CSR that sent X is the institution caller.
    Endpoint(
        "POST",
        "/v1/referrals/{referral}/revoke",
        {"actor_role": "CASE_MANAGER", "reason": "SENT_IN_ERROR"},
        ok=202,
        institution="owner",
    ),
    Endpoint("GET", "/v1/submissions/{event}"),
    Endpoint("GET", "/v1/inbox"),
    Endpoint("GET", "/v1/inbox/stream?duration=0.3"),
    Endpoint("POST", "/v1/events", "new-case", ok=202),
    Endpoint("GET", "/v1/subjects/{subject}/identity"),
    Endpoint("GET", "/v1/audit/verify?bus=false", audience="auditor"),
    Endpoint("GET", "/v1/audit/cases/{case}?as_of=" + AS_OF, audience="auditor"),
    Endpoint("GET", "/v1/audit/views/ngo.azc?as_of=" + AS_OF, audience="auditor"),
    Endpoint("GET", "/v1/audit/access?institution=ngo.azc", audience="auditor"),
    Endpoint("GET", "/v1/audit/releases", audience="auditor"),
    Endpoint("GET", "/v1/aggregate/indicators", audience="coordinator"),
    Endpoint(
        "GET", "/v1/aggregate/indicators/reported_cases?by=municipality", audience="coordinator"
    ),
    Endpoint(
        "GET",
        "/v1/aggregate/indicators/referrals_sent?by=year&format=csv",
        audience="coordinator",
    ),
    Endpoint("GET", "/dashboard", audience="public"),
    Endpoint("GET", "/healthz", audience="public"),
    Endpoint("GET", "/metrics", audience="public"),
    Endpoint("GET", "/subjects", audience="public"),
    Endpoint("GET", "/schemas/ids/1", audience="public"),
    Endpoint(
        "POST",
        "/compatibility/subjects/rs.povezimo.events.CaseOpened/versions/latest",
        "schema",
        audience="admin",
    ),
)


def _fill(endpoint: Endpoint, world: World, target: str, submissions: dict[str, str]) -> str:
    ids = {
        "own": (world.case_x, world.referral_x, submissions["own"], world.subject_x),
        "foreign": (world.case_y, world.referral_y, submissions["foreign"], world.subject_y),
        "missing": (uuid.uuid4(), uuid.uuid4(), str(uuid.uuid4()), uuid.uuid4()),
    }[target]
    case, referral, event, subject = ids
    return endpoint.path.format(case=case, referral=referral, event=event, subject=subject)


def _body(endpoint: Endpoint, world: World, client: TestClient) -> Any:
    if endpoint.body == "new-case":
        return as_json(case_opened(NGO, uuid.uuid4(), "lazarevac", NOW))
    if endpoint.body == "schema":
        schema = client.get("/subjects/rs.povezimo.events.CaseOpened/versions/latest").json()
        return {"schema": schema["schema"]}
    return endpoint.body


def expected(endpoint: Endpoint, caller: str, target: str) -> int:
    if endpoint.audience == "public":
        return 200
    if caller in {"anonymous", "invalid", "revoked"}:
        return 401
    if endpoint.audience in {"admin", "coordinator"}:
        return 200 if caller == endpoint.audience else 403
    if endpoint.audience == "auditor":
        if caller != "auditor":
            return 403
        # An auditor replays every case; only one that never existed is not found.
        return 404 if "{case}" in endpoint.path and target == "missing" else 200
    if caller != "ngo":
        return 403
    depends_on_target = "{" in endpoint.path
    if depends_on_target and target != "own":
        return 404
    return endpoint.ok


@pytest.fixture
def submissions(client: TestClient, world: World) -> dict[str, str]:
    """A submission of the NGO's own, and one of the foreign institution's."""
    own = client.post(
        "/v1/events",
        json=as_json(case_opened(NGO, uuid.uuid4(), "lazarevac", NOW)),
        headers=world.headers("ngo"),
    )
    foreign = client.post(
        "/v1/events",
        json=as_json(case_opened("csr.kragujevac", uuid.uuid4(), "kragujevac", NOW)),
        headers=world.headers("foreign"),
    )
    assert own.status_code == foreign.status_code == 202
    return {"own": own.json()["event_id"], "foreign": foreign.json()["event_id"]}


def test_every_endpoint_answers_every_caller_as_the_matrix_says(
    client: TestClient, world: World, submissions: dict[str, str]
) -> None:
    secret_ids = {str(world.case_y), str(world.referral_y), submissions["foreign"]}
    failures = []
    for endpoint in ENDPOINTS:
        targets = TARGETS if "{" in endpoint.path else ("own",)
        for caller in CALLERS:
            answers: dict[str, Any] = {}
            for target in targets:
                who = endpoint.institution if caller == "ngo" else caller
                headers = {} if caller == "anonymous" else world.headers(who)
                path = _fill(endpoint, world, target, submissions)
                response = client.request(
                    endpoint.method, path, json=_body(endpoint, world, client), headers=headers
                )
                want = expected(endpoint, caller, target)
                if response.status_code != want:
                    failures.append(
                        f"{endpoint.method} {endpoint.path} as {caller} on {target}: "
                        f"{response.status_code} (want {want}) {response.text[:200]}"
                    )
                if response.status_code >= 400:
                    body = response.json()
                    if is_registry_path(path):  # Confluent's shape, for its clients
                        assert isinstance(body.get("error_code"), int), (path, body)
                    else:
                        assert isinstance(body.get("code"), str), (path, body)
                    assert "Traceback" not in response.text
                    answers[target] = body
                if caller == "ngo" and endpoint.audience == "institution":
                    leaked = [i for i in secret_ids if i in response.text]
                    assert not leaked, f"{endpoint.path} leaked {leaked} to the NGO"
            if "foreign" in answers and "missing" in answers:
                # Indistinguishable: the same code and words for a foreign case as a missing one.
                assert answers["foreign"] == answers["missing"], endpoint.path
    assert not failures, "\n".join(failures)


def test_unauthenticated_answers_say_why_in_a_machine_readable_code(
    client: TestClient, world: World
) -> None:
    codes = {
        caller: client.get(
            "/v1/cases", headers={} if caller == "anonymous" else world.headers(caller)
        )
        for caller in ("anonymous", "invalid", "revoked")
    }
    assert {c: r.json()["code"] for c, r in codes.items()} == {
        "anonymous": "missing_token",
        "invalid": "invalid_token",
        "revoked": "token_revoked",
    }
    assert all(r.headers["www-authenticate"] == "Bearer" for r in codes.values())
    wrong = client.get("/v1/cases", headers=world.headers("coordinator"))
    assert wrong.status_code == 403 and wrong.json()["code"] == "role_not_permitted"


def test_the_case_lists_hold_only_cases_the_institution_takes_part_in(
    client: TestClient, world: World
) -> None:
    seen = {
        name: {c["case_id"] for c in client.get("/v1/cases", headers=world.headers(name)).json()}
        for name in ("owner", "ngo", "foreign")
    }
    assert seen == {
        "owner": {str(world.case_x)},
        "ngo": {str(world.case_x)},
        "foreign": {str(world.case_y)},
    }
