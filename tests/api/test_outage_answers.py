"""A dependency down is the platform's fault, never the caller's, and never a 500: the bus cut off
answers 503 ``unavailable`` with ``Retry-After``; nothing was taken, and a retry after the outage
goes through."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from services.api.app import create_app
from services.api.tokens import Role, TokenStore
from services.bootstrap import Platform
from tests.api.world import NGO, NOW, as_json, case_opened
from tests.support.pipeline import platform_for
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgres


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[TcpProxy]:
    found = TcpProxy(target=make_url(postgres_url).port or 5432)
    yield found
    found.close()


def test_the_bus_cut_off_answers_503_with_retry_after_and_a_retry_goes_through(
    tmp_path: Path, postgres_url: str, proxy: TcpProxy
) -> None:
    through_proxy = make_url(postgres_url).set(host="127.0.0.1", port=proxy.port)
    platform: Platform = platform_for(
        tmp_path / "data", through_proxy.render_as_string(hide_password=False)
    )
    secret = TokenStore(platform.views_engine).issue(NGO, Role.INSTITUTION, now=NOW).secret
    bearer = {"Authorization": f"Bearer {secret}"}
    body = as_json(case_opened(NGO, uuid.uuid4(), "lazarevac", NOW))
    with TestClient(create_app(platform), raise_server_exceptions=False) as client:
        with proxy.outage():
            proxy.cut(refuse=True)
            answer = client.post("/v1/events", json=body, headers=bearer)
            assert answer.status_code == 503, answer.text
            assert answer.json()["code"] == "unavailable"
            assert answer.headers["Retry-After"] == "5"
            # What does not need the bus still answers.
            assert client.get("/v1/cases", headers=bearer).status_code == 200
        retried = client.post("/v1/events", json=body, headers=bearer)
        assert retried.status_code == 202, retried.text
    platform.close()
