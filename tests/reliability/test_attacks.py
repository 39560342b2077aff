"""The platform against an adversary: another account on the same host, a holder of a valid
token, a caller who feeds it absurd input or compares its answers (issue 21).

Each test is the attack as the attacker ran it, on loopback, bounded. Each failed on the code
before the defence it names; docs/threat-model.md says who can reach what and what stops them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, select, text
from sqlalchemy.exc import OperationalError

from consumers.pipeline import Pipeline
from schemas.models import EventModel
from services.api.app import create_app
from services.api.server import serve_in_thread
from services.api.tokens import Role, TokenStore
from services.bench.brokers import free_port
from services.bootstrap import Platform
from services.platform.files import LooseFile
from services.platform.settings import Settings
from services.platform.sql import sql_engine
from services.platform.vault import KeyVault
from tests.api.conftest import client, pipeline, platform, world  # noqa: F401 (fixtures)
from tests.api.world import NGO, NOW, OWNER, World, as_json, case_opened, event
from tests.reliability.figures import record
from tests.support.brokers import POSTGRES_URL, postgres_available

NOBODY = 65534


# -- 1. another local account reads the stores -------------------------------------------------


@pytest.fixture
def shared_host_dir() -> Iterator[Path]:
    """A directory other accounts may enter, as /srv or /var/lib would be (tmp_path is not), in
    a process with the usual umask (022): the platform must protect its stores itself, not rely
    on the command line's umask (which the test session sets for every other test)."""
    base = Path(tempfile.mkdtemp(prefix="povezimo-host-"))
    base.chmod(0o755)
    usual = os.umask(0o022)
    try:
        yield base
    finally:
        os.umask(usual)
        shutil.rmtree(base, ignore_errors=True)


def _used_platform(data_dir: Path) -> Platform:
    """A platform that has written every store: a sealed person, events, the archive, tokens."""
    system = Platform(Settings(data_dir=data_dir))
    system.vault.seal(uuid.uuid4(), _a_person())
    system.codec.register_all()
    system.create_tables()
    TokenStore(system.views_engine).issue(OWNER, Role.INSTITUTION, now=NOW)
    system.bus.publish("submissions.csr.lazarevac", b"k", b"v")
    system.archive_engine.connect().close()
    system.pseudonyms.pseudonym("subject", uuid.uuid4(), "2025")  # its key file
    return system


def _a_person():
    import random

    from producers.identities import synthetic_person

    return synthetic_person(random.Random(1), female=True, birth_year=1990, municipality="golubac")


def _stores(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.rglob("*") if p.is_file())


def test_the_stores_and_keys_are_the_owners_alone(shared_host_dir: Path) -> None:
    data_dir = shared_host_dir / "data"
    _used_platform(data_dir).close()
    stores = _stores(data_dir)
    assert {"vault.db", "bus.db", "views.db", "archive.db"} <= {p.name for p in stores}
    loose = {str(p.relative_to(data_dir)): oct(p.stat().st_mode & 0o777) for p in stores
             if p.stat().st_mode & 0o077}  # fmt: skip
    assert loose == {}
    assert data_dir.stat().st_mode & 0o777 == 0o700


@pytest.mark.skipif(os.geteuid() != 0, reason="acting as another account needs root here")
def test_another_local_account_reads_no_store(shared_host_dir: Path) -> None:
    data_dir = shared_host_dir / "data"
    _used_platform(data_dir).close()
    read_by_nobody = []
    for store in _stores(data_dir):
        attempt = subprocess.run(
            ["head", "-c", "16", str(store)],
            preexec_fn=lambda: os.setuid(NOBODY),
            capture_output=True,
            timeout=30,
        )
        if attempt.returncode == 0:
            read_by_nobody.append(store.name)
    assert read_by_nobody == []
    record("another local account", stores=len(_stores(data_dir)), readable=0)


def test_a_store_others_can_read_is_refused_at_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    _used_platform(data_dir).close()
    vault = data_dir / "vault.db"
    vault.chmod(0o644)
    with pytest.raises(LooseFile) as refused:
        Platform(Settings(data_dir=data_dir)).vault  # noqa: B018 (opening it is the test)
    assert str(vault) in str(refused.value) and "chmod 600" in str(refused.value)
    cli = subprocess.run(
        [sys.executable, "-m", "services.cli", "tokens", "list", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode != 0
    assert str(vault) in cli.stderr and "chmod 600" in cli.stderr
    assert "Traceback" not in cli.stderr


# -- 2. one token's long-polls starve everyone ---------------------------------------------------


def test_a_hundred_long_polls_of_one_token_starve_neither_health_nor_others(
    platform: Platform,  # noqa: F811
    world: World,  # noqa: F811
) -> None:
    port = free_port()
    server = serve_in_thread(create_app(platform), "127.0.0.1", port)
    url = f"http://127.0.0.1:{port}"
    statuses: list[int] = []
    try:
        end = _end_of_inbox(url, world.tokens["ngo"])  # so that every poll waits for news
        with ThreadPoolExecutor(max_workers=100) as pool:
            polls = [
                pool.submit(_long_poll, url, world.tokens["ngo"], end, statuses) for _ in range(100)
            ]
            time.sleep(2.0)  # every poll is in: the ones let through are waiting
            health = _timed_get(url, "/healthz", {})
            others = _timed_get(url, "/v1/cases", world.headers("owner"))
            for poll in polls:
                poll.result()
    finally:
        server.stop()
    assert health[0] == 200 and others[0] == 200
    # A liveness bound, not a speed target (that is `povezimo bench --only longpoll`): before,
    # 40 such polls held /healthz for 19 s.
    assert health[1] < 5.0 and others[1] < 5.0, (health, others)
    refused = statuses.count(429)
    assert refused >= 90 and statuses.count(200) == 100 - refused, sorted(set(statuses))
    record(
        "one token's hundred long-polls",
        polls=100,
        refused_429=refused,
        healthz_s=round(health[1], 2),
        other_token_s=round(others[1], 2),
    )


def _end_of_inbox(url: str, token: str) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    page = httpx.get(f"{url}/v1/inbox?limit=500", headers=headers, timeout=60).json()
    assert page["messages"], "the world sends the NGO a referral"
    return str(page["cursor"])


def _long_poll(url: str, token: str, after: str, statuses: list[int]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    answer = httpx.get(f"{url}/v1/inbox?wait=8&after={after}", headers=headers, timeout=60)
    statuses.append(answer.status_code)
    if answer.status_code == 429:
        assert int(answer.headers["Retry-After"]) >= 1
        assert answer.json()["code"] == "too_many_waits"


def _timed_get(url: str, path: str, headers: dict[str, str]) -> tuple[int, float]:
    began = time.monotonic()
    answer = httpx.get(url + path, headers=headers, timeout=60)
    return answer.status_code, time.monotonic() - began


# -- 3. a huge field, and a token that writes without end ----------------------------------------


def test_a_ten_megabyte_field_is_refused_before_it_is_parsed(
    client: TestClient,  # noqa: F811
    world: World,  # noqa: F811
    platform: Platform,  # noqa: F811
) -> None:
    body = as_json(case_opened(OWNER, uuid.uuid4(), "lazarevac", NOW - dt.timedelta(hours=1)))
    body["municipality"] = "x" * (10 * 1024 * 1024)
    before = _bus_bytes(platform)
    answer = client.post("/v1/events", json=body, headers=world.headers("owner"))
    assert answer.status_code == 413, answer.text
    assert answer.json()["code"] == "body_too_large"
    assert _bus_bytes(platform) == before


def _bus_bytes(system: Platform) -> int:
    from services.bus.sqllog import records_table

    with system.bus.engine.connect() as conn:  # type: ignore[attr-defined]
        values = conn.execute(select(records_table.c.value)).scalars().all()
    return sum(len(v or b"") for v in values)


def test_an_oversized_record_on_the_bus_is_decided_and_answered_in_bounds(
    platform: Platform,  # noqa: F811
    pipeline: Pipeline,  # noqa: F811
    world: World,  # noqa: F811
) -> None:
    """What a Kafka client with a raised message limit, or a writer of the SQL log, can send."""
    opened = case_opened(OWNER, uuid.uuid4(), "lazarevac", NOW - dt.timedelta(hours=1))
    record_ = opened.to_avro()
    record_["municipality"] = "x" * (10 * 1024 * 1024)
    value = platform.codec.encode("CaseOpened", record_)
    platform.bus.publish(f"submissions.{OWNER}", str(opened.header.case_id).encode(), value)
    platform.bus.flush()
    pipeline.drain()
    with TestClient(create_app(platform), raise_server_exceptions=False) as client_:
        answer = client_.get(
            f"/v1/submissions/{opened.header.event_id}", headers=world.headers("owner")
        )
    assert answer.status_code == 200, answer.text  # decided: it was found, not left pending
    status = answer.json()
    assert (status["status"], status["code"]) == ("rejected", "record_too_large"), status
    [rejection] = _rejections(platform, OWNER)
    assert len(rejection.value) < 64 * 1024  # under any broker's limit
    answer = platform.codec.decode(rejection.value).record
    assert answer["original_sha256"] is not None and len(answer["original"]) <= 4096


def _rejections(system: Platform, institution: str) -> list:
    from tests.support.pipeline import read_topic

    return read_topic(system, f"rejections.{institution}")


def test_one_token_cannot_write_without_end(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", api_write_rate=1.0, api_write_burst=5)
    system = Platform(settings)
    app = create_app(system)
    token = TokenStore(system.views_engine).issue(OWNER, Role.INSTITUTION, now=NOW).secret
    headers = {"Authorization": f"Bearer {token}"}
    at = NOW - dt.timedelta(hours=1)
    with TestClient(app, raise_server_exceptions=False) as client_:
        answers = [
            client_.post(
                "/v1/events",
                json=as_json(case_opened(OWNER, uuid.uuid4(), "lazarevac", at)),
                headers=headers,
            )
            for _ in range(8)
        ]
    codes = [a.status_code for a in answers]
    assert codes[:5] == [202] * 5 and 429 in codes[5:], codes
    limited = next(a for a in answers if a.status_code == 429)
    assert limited.json()["code"] == "write_rate_exceeded"
    assert int(limited.headers["Retry-After"]) >= 1
    system.close()


# -- 4. input that reached a 5xx -----------------------------------------------------------------


def test_an_absurd_epsilon_is_refused_as_input(client: TestClient, world: World) -> None:  # noqa: F811
    for epsilon in ("1e-30", "1e300", "0"):
        answer = client.get(
            f"/v1/aggregate/indicators/reported_cases?by=municipality&epsilon={epsilon}",
            headers=world.headers("coordinator"),
        )
        assert answer.status_code == 422, (epsilon, answer.status_code, answer.text[:200])
        assert answer.json()["code"] in {"bad_epsilon", "invalid_request"}


def test_a_schema_nested_five_thousand_deep_is_refused_as_input(
    client: TestClient,  # noqa: F811
    world: World,  # noqa: F811
) -> None:
    # Written as text: json.dumps itself could not nest it so deep.
    schema = '{"type": "array", "items": ' * 5_000 + '"string"' + "}" * 5_000
    body = json.dumps({"schema": schema})
    headers = world.headers("admin", **{"Content-Type": "application/vnd.schemaregistry.v1+json"})
    latest = "/compatibility/subjects/deep-value/versions/latest"
    for path in ("/subjects/deep-value/versions", latest):
        answer = client.post(path, content=body, headers=headers)
        assert 400 <= answer.status_code < 500, (path, answer.status_code, answer.text[:200])


# -- 5. answers that reveal what reads hide ------------------------------------------------------


def test_a_submission_tells_a_stranger_no_more_than_a_read(
    client: TestClient,  # noqa: F811
    world: World,  # noqa: F811
    pipeline: Pipeline,  # noqa: F811
) -> None:
    at = NOW - dt.timedelta(minutes=30)
    probes = {
        "a case it takes no part in": world.case_y,
        "a case that does not exist": uuid.uuid4(),
    }
    answers = {}
    for name, case_id in probes.items():
        closing = event("CaseClosed", NGO, case_id, at, closed_at=at, reason="OPENED_IN_ERROR")
        answers[name] = _decided(client, world, pipeline, closing)
    referral_probes = {
        "another case's referral": (world.case_x, world.referral_y),
        "a referral that does not exist": (world.case_x, uuid.uuid4()),
    }
    referral_answers = {}
    for name, (case_id, referral_id) in referral_probes.items():
        accepting = event(
            "ReferralAccepted", NGO, case_id, at, referral_id=referral_id, accepted_at=at
        )
        referral_answers[name] = _decided(client, world, pipeline, accepting)
    assert len({json.dumps(a, sort_keys=True) for a in answers.values()}) == 1, answers
    assert len({json.dumps(a, sort_keys=True) for a in referral_answers.values()}) == 1, (
        referral_answers
    )


def _decided(api: TestClient, known: World, running: Pipeline, probe: EventModel) -> dict:
    posted = api.post("/v1/events", json=as_json(probe), headers=known.headers("ngo"))
    assert posted.status_code == 202, posted.text
    running.drain()
    status = api.get(posted.json()["status_url"], headers=known.headers("ngo")).json()
    assert status["status"] == "rejected", status
    return {"code": status["code"], "reason": status["reason"]}


# -- 6. the access log names a person ------------------------------------------------------------


def test_the_server_log_names_no_subject(
    platform: Platform,  # noqa: F811
    world: World,  # noqa: F811
    tmp_path: Path,
) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", "--port", str(port),
             "--without-pipeline", "--bus", platform.settings.resolved_bus_url,
             "--data-dir", str(platform.settings.data_dir)],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            from services.bench.brokers import wait_for_port

            wait_for_port(port, timeout=60)
            headers = world.headers("ngo", **{"X-Purpose": "SERVICE_PROVISION"})
            url = f"http://127.0.0.1:{port}"
            answer = httpx.get(f"{url}/v1/subjects/{world.subject_x}/identity", headers=headers)
            assert answer.status_code == 200
            httpx.get(f"{url}/v1/subjects/{world.subject_y}/identity", headers=headers)
            httpx.get(f"{url}/v1/cases?token={world.tokens['ngo']}", headers=headers)
        finally:
            server.terminate()
            server.wait(15)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "GET /v1/subjects/" in text  # the access log is on: it is what is being checked
    needles = (str(world.subject_x), str(world.subject_y), world.tokens["ngo"])
    for secret in needles:
        assert secret not in text
    record("log scan (API access log)", log_lines=len(text.splitlines()), needles=3, leaks=0)


# -- 7. metrics name institutions to anyone ------------------------------------------------------


def test_metrics_without_a_token_name_no_institution(client: TestClient, world: World) -> None:  # noqa: F811
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 200
    for institution in (OWNER, NGO, "csr.kragujevac", "legal-aid.kragujevac"):
        assert institution not in anonymous.text
    detailed = client.get("/metrics", headers=world.headers("admin"))
    assert OWNER in detailed.text  # an operator's token still sees each institution's topic


# -- 1b. on PostgreSQL: the views' role at the vault's door ------------------------------------


@pytest.mark.postgres
def test_the_views_role_cannot_open_the_vault_on_postgresql() -> None:
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    suffix = uuid.uuid4().hex[:8]
    statements = _documented_vault_roles(suffix)
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    base = make_url(POSTGRES_URL)
    vault_url = base.set(username=f"povezimo_vault_{suffix}", database=f"povezimo_vault_{suffix}")
    try:
        with admin.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
        vault = KeyVault(sql_engine(vault_url.render_as_string(hide_password=False)))
        vault.seal(uuid.uuid4(), _a_person())  # the vault's own role works in it
        vault.engine.dispose()
        stranger = create_engine(
            vault_url.set(username=f"povezimo_views_{suffix}").render_as_string(hide_password=False)
        )
        with pytest.raises(OperationalError, match="permission denied for database"):
            stranger.connect()
        stranger.dispose()
    finally:
        with admin.connect() as conn:
            for name in ("vault", "views"):
                conn.execute(text(f"DROP DATABASE IF EXISTS povezimo_{name}_{suffix} WITH (FORCE)"))
            for name in ("vault", "views"):
                conn.execute(text(f"DROP ROLE IF EXISTS povezimo_{name}_{suffix}"))
        admin.dispose()


def _documented_vault_roles(suffix: str) -> list[str]:
    """The statements docs/operations.md gives, with names of this test's own."""
    page = (Path(__file__).parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")
    section = page.split("### The key vault's own database on PostgreSQL", 1)[1]
    block = section.split("```sql\n", 1)[1].split("```", 1)[0]
    named = block.replace("povezimo_vault", f"povezimo_vault_{suffix}").replace(
        "povezimo_views", f"povezimo_views_{suffix}"
    )
    return [s.strip() for s in named.split(";") if s.strip()]
