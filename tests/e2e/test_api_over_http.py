"""End to end over real HTTP against a lone ``povezimo serve``: institution A (the CSR) opens a
case and refers it to institution B (the NGO); B hears of it on its inbox (server-sent events and
long-poll), accepts it; A's view of the case then shows the referral accepted."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from services.cli.main import app as cli
from tests.api.world import NGO, NOW, OWNER, as_json, case_opened, referral_sent
from tests.support.serving import serving


def issue(data_dir: Path, institution: str) -> str:
    result = CliRunner().invoke(
        cli,
        ["tokens", "issue", "--institution", institution, "--role", "institution",
         "--data-dir", str(data_dir)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


@pytest.fixture(params=["sqlite", pytest.param("tansu", marks=pytest.mark.kafka)])
def bus_args(request: pytest.FixtureRequest) -> list[str]:
    if request.param == "sqlite":
        return []  # the embedded default, with the pipeline in the same process by default
    return ["--bus", str(request.getfixturevalue("fresh_tansu_url")), "--with-pipeline"]


@pytest.fixture
def server(tmp_path: Path, bus_args: list[str]) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path / "data"
    with serving(tmp_path, data_dir, *bus_args) as url:
        yield url, data_dir


def eventually(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout}s: {check.__doc__}")
        time.sleep(0.2)


def decided(client: httpx.Client, receipt: httpx.Response, token: str) -> dict[str, Any]:
    assert receipt.status_code == 202, receipt.text
    url = receipt.json()["status_url"]

    def status() -> dict[str, Any] | None:
        """the exchange decides"""
        answer = client.get(url, headers={"Authorization": f"Bearer {token}"}).json()
        return answer if answer["status"] != "pending" else None

    result: dict[str, Any] = eventually(status)
    return result


def read_sse(client: httpx.Client, token: str, seconds: float) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    current: dict[str, str] = {}
    headers = {"Authorization": f"Bearer {token}", "X-Purpose": "REFERRAL_PROCESSING"}
    with client.stream(
        "GET", "/v1/inbox/stream", params={"duration": seconds}, headers=headers
    ) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if not line:
                if "data" in current:
                    events.append({**current, "data": json.loads(current["data"])})
                current = {}
            elif not line.startswith(":"):
                field, _, value = line.partition(": ")
                current[field] = value
    return events


def test_a_referral_from_a_to_b_is_seen_in_bs_inbox_accepted_and_shown_accepted_to_a(
    server: tuple[str, Path],
) -> None:
    url, data_dir = server
    a, b = issue(data_dir, OWNER), issue(data_dir, NGO)
    as_a, as_b = {"Authorization": f"Bearer {a}"}, {"Authorization": f"Bearer {b}"}
    case_id, referral_id = uuid.uuid4(), uuid.uuid4()
    with httpx.Client(base_url=url, timeout=30) as client:
        health = client.get("/healthz").json()
        for _ in range(100):  # the pipeline's threads take their leases as they start
            if all(health["leases"].values()):
                break
            time.sleep(0.1)
            health = client.get("/healthz").json()
        assert health["status"] == "ok"
        assert health["checks"] == {"database": "ok", "bus": "ok", "pipeline": "ok"}
        # The server's own pipeline is the active member of the exchange.
        exchange = health["leases"]["exchange"]
        assert exchange["live"] and exchange["this_process"] and exchange["epoch"] >= 1
        opened = client.post(
            "/v1/events", json=as_json(case_opened(OWNER, case_id, "lazarevac", NOW)), headers=as_a
        )
        assert decided(client, opened, a)["status"] == "accepted"
        sent = client.post(
            "/v1/events",
            json=as_json(referral_sent(OWNER, case_id, referral_id, NGO, NOW)),
            headers=as_a,
        )
        assert decided(client, sent, a)["status"] == "accepted"

        # B learns of the referral from its inbox, pushed as a server-sent event…
        def pushed() -> list[dict[str, Any]]:
            """the referral reaches B's inbox"""
            return [e for e in read_sse(client, b, 2) if e["event"] == "ReferralSent"]

        [message] = eventually(pushed)
        assert message["data"]["event"]["referral_id"] == str(referral_id)
        assert message["data"]["reason"] == "referral"
        assert message["id"] == message["data"]["cursor"]
        # …and the same by long-poll; nothing new after its cursor.
        page = client.get("/v1/inbox", params={"wait": 5}, headers=as_b).json()
        assert [m["event_type"] for m in page["messages"]] == ["ReferralSent"]
        after = client.get("/v1/inbox", params={"after": page["cursor"]}, headers=as_b).json()
        assert after["messages"] == []

        def listed() -> list[dict[str, Any]]:
            """the referral is in B's list"""
            return client.get("/v1/referrals", params={"status": "sent"}, headers=as_b).json()

        assert [r["referral_id"] for r in eventually(listed)] == [str(referral_id)]
        accepted = client.post(
            f"/v1/referrals/{referral_id}/accept",
            json={"actor_role": "NGO_COUNSELLOR"},
            headers=as_b,
        )
        assert decided(client, accepted, b)["status"] == "accepted"

        def shown_accepted() -> dict[str, Any] | None:
            """A's view shows the referral accepted"""
            case = client.get(f"/v1/cases/{case_id}", headers=as_a).json()
            [referral] = case["referrals"]
            return referral if referral["status"] == "accepted" else None

        referral = eventually(shown_accepted)
        assert referral["recipient"] == NGO and referral["answered_at"] is not None
        timeline = client.get(f"/v1/cases/{case_id}/timeline", headers=as_a).json()
        assert [e["event_type"] for e in timeline] == [
            "CaseOpened",
            "ReferralSent",
            "ReferralAccepted",
        ]
        # The access log recorded B's inbox reads and A's reads of the case.
        metrics = client.get("/metrics").text
        assert 'povezimo_topic_records{topic="access-log"}' in metrics
