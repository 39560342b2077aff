"""Tokens from the command line (shown once, stored as a hash, revocable), health, metrics, and
errors that never show a stack trace."""

from __future__ import annotations

import re
import sqlite3
import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from consumers.pipeline import Pipeline
from services.api.app import create_app
from services.bootstrap import Platform
from services.cli.main import app as cli
from tests.api.world import NGO, NOW, World, as_json, case_opened

runner = CliRunner()


def data_dir_of(platform: Platform) -> str:
    """The platform's data directory, holding its registry as every started platform does."""
    assert platform.institutions.get(NGO) is not None
    return str(platform.settings.data_dir)


def test_a_token_is_shown_once_stored_as_a_hash_and_revocable(
    tmp_path: Path, platform: Platform
) -> None:
    data = data_dir_of(platform)
    issued = runner.invoke(
        cli, ["tokens", "issue", "--institution", NGO, "--role", "institution", "--data-dir", data]
    )
    assert issued.exit_code == 0, issued.output
    secret = re.search(r"^(pvz_\S+)$", issued.output, re.MULTILINE)
    token_id = re.search(r"token id (\S+)", issued.output)
    assert secret and token_id
    secret_text = secret.group(1)

    stored = (
        sqlite3.connect(platform.settings.data_dir / "views.db")
        .execute("SELECT token_hash, institution, role FROM api_tokens")
        .fetchall()
    )
    assert len(stored) == 1 and stored[0][1:] == (NGO, "institution")
    assert secret_text not in stored[0][0]
    dump = b"".join(p.read_bytes() for p in platform.settings.data_dir.glob("views.db*"))
    assert secret_text.encode() not in dump

    with TestClient(create_app(platform)) as client:
        bearer = {"Authorization": f"Bearer {secret_text}"}
        assert client.get("/v1/cases", headers=bearer).status_code == 200
        listed = runner.invoke(cli, ["tokens", "list", "--data-dir", data])
        assert token_id.group(1)[:8] in listed.output and secret_text not in listed.output
        revoked = runner.invoke(cli, ["tokens", "revoke", token_id.group(1), "--data-dir", data])
        assert revoked.exit_code == 0, revoked.output
        assert client.get("/v1/cases", headers=bearer).json()["code"] == "token_revoked"


def test_tokens_are_refused_for_unknown_institutions_and_roles(platform: Platform) -> None:
    data = data_dir_of(platform)
    unknown = runner.invoke(
        cli,
        [
            "tokens",
            "issue",
            "--institution",
            "csr.atlantis",
            "--role",
            "institution",
            "--data-dir",
            data,
        ],
    )
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith("error: unknown_institution: 'csr.atlantis' is not a regis")
    assert "povezimo institutions list" in unknown.stderr
    bad_role = runner.invoke(
        cli, ["tokens", "issue", "--institution", NGO, "--role", "superuser", "--data-dir", data]
    )
    assert bad_role.exit_code != 0
    missing = runner.invoke(cli, ["tokens", "revoke", str(uuid.uuid4()), "--data-dir", data])
    assert missing.exit_code == 1 and "error: unknown_token:" in missing.stderr


def test_metrics_count_events_in_rejections_lag_and_projection_positions(
    client: TestClient, world: World, pipeline: Pipeline
) -> None:
    body = as_json(case_opened(NGO, uuid.uuid4(), "lazarevac", NOW))
    client.post("/v1/events", json=body, headers=world.headers("ngo"))
    bad = as_json(case_opened(NGO, uuid.uuid4(), "lazarevac", NOW))
    bad["header"]["case_id"] = body["header"]["case_id"]  # a second CaseOpened of the same case
    client.post("/v1/events", json=bad, headers=world.headers("ngo"))
    client.post("/v1/events", json={"header": {}}, headers=world.headers("ngo"))

    before = client.get("/metrics").text
    assert 'povezimo_consumer_lag{projection="exchange"} 2.0' in before
    pipeline.drain()
    text = client.get("/metrics").text
    assert client.get("/metrics").headers["content-type"].startswith("text/plain")
    # The world's six events plus the new case: accepted; the duplicate opening: rejected.
    assert 'povezimo_exchange_submissions_total{status="accepted"} 7.0' in text
    assert 'povezimo_exchange_submissions_total{status="rejected"} 1.0' in text
    assert 'povezimo_exchange_rejections_total{code="case_exists"} 1.0' in text
    assert 'povezimo_topic_records{topic="case-events"} 7.0' in text
    assert 'povezimo_consumer_lag{projection="exchange"} 0.0' in text
    assert 'povezimo_consumer_lag{projection="views"} 0.0' in text
    # Which member is active: its epoch and since when; its host only to an operator.
    assert 'povezimo_projection_lease_epoch{projection="exchange"} 1.0' in text
    assert 'povezimo_projection_lease_live{projection="exchange"} 1.0' in text
    assert re.search(
        r'povezimo_projection_lease_acquired_timestamp_seconds\{projection="exchange"\} \d', text
    )
    assert "holder=" not in text
    assert re.search(
        r'povezimo_projection_position\{partition="\d",projection="views",topic="case-events"\} \d',
        text,
    )
    assert 'povezimo_api_events_submitted_total{event_type="CaseOpened"} 2.0' in text
    assert 'povezimo_api_events_refused_total{code="invalid_event"} 1.0' in text


def test_health_names_each_dependency_and_the_active_member_of_each_projection(
    client: TestClient, pipeline: Pipeline
) -> None:
    pipeline.drain()  # its runners, in this process, hold the leases now
    answer = client.get("/healthz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok" and body["checks"] == {"database": "ok", "bus": "ok"}
    exchange = body["leases"]["exchange"]
    assert exchange["epoch"] == 1 and exchange["live"] and exchange["this_process"]
    assert exchange["since"].endswith("+00:00")
    assert set(body["leases"]) == {r.projection.name for r in pipeline.runners}


def test_an_unexpected_failure_answers_json_with_a_code_and_no_stack_trace(
    platform: Platform, world: World
) -> None:
    app = create_app(platform)

    def explode() -> None:
        raise RuntimeError("secret internals: /srv/povezimo/views.db")

    app.add_api_route("/v1/explode", explode)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/v1/explode")
        unknown = client.get("/v1/nowhere")
    assert answer.status_code == 500
    assert answer.json() == {
        "code": "internal_error",
        "message": "the server could not answer; the error is logged",
    }
    assert "secret internals" not in answer.text and "Traceback" not in answer.text
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"


def test_platform_tokens_need_no_institution_and_an_institution_token_does(
    platform: Platform,
) -> None:
    data = data_dir_of(platform)
    for role in ("coordinator", "auditor", "admin"):
        issued = runner.invoke(cli, ["tokens", "issue", "--role", role, "--data-dir", data])
        assert issued.exit_code == 0, issued.output
        assert f"({role} of platform.povezimo)" in issued.output
    unnamed = runner.invoke(cli, ["tokens", "issue", "--role", "institution", "--data-dir", data])
    assert unnamed.exit_code == 2 and "error: missing_institution:" in unnamed.stderr
    assert "institutions list" in unnamed.stderr
