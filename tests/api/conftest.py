"""Fixtures of the API tests: a platform on the embedded bus with the seeded world, the app over
it, and tokens for every role (one revoked)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from consumers.pipeline import Pipeline
from producers.scenario import Submission
from services.api.app import create_app
from services.api.tokens import Role, TokenStore
from services.bootstrap import Platform
from tests.api.test_portal import clock, portal, staff  # noqa: F401  (the portal's, for all)
from tests.api.world import FOREIGN, NGO, NOW, OWNER, World
from tests.support.pipeline import pipeline_of, platform_for, submit_in_order


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    system = platform_for(tmp_path / "data", f"sqlite:///{tmp_path / 'bus.db'}")
    yield system
    system.close()


@pytest.fixture
def pipeline(platform: Platform) -> Iterator[Pipeline]:
    runners = pipeline_of(platform)
    yield runners
    runners.close()


@pytest.fixture
def world(platform: Platform, pipeline: Pipeline) -> World:
    world = World(platform)
    submit_in_order(platform, pipeline, [Submission(i, e) for i, e in world.script()])
    world.issue("owner", OWNER, Role.INSTITUTION)
    world.issue("ngo", NGO, Role.INSTITUTION)
    world.issue("foreign", FOREIGN, Role.INSTITUTION)
    world.issue("coordinator", "platform.povezimo", Role.COORDINATOR)
    world.issue("auditor", "platform.povezimo", Role.AUDITOR)
    world.issue("admin", "platform.povezimo", Role.ADMIN)
    revoked = TokenStore(platform.views_engine).issue(NGO, Role.INSTITUTION, now=NOW)
    TokenStore(platform.views_engine).revoke(revoked.token_id, now=NOW)
    world.tokens["revoked"] = revoked.secret
    world.tokens["invalid"] = "pvz_" + "x" * 43
    return world


@pytest.fixture
def client(platform: Platform, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(platform), raise_server_exceptions=False) as test_client:
        yield test_client
