"""The API's own documentation works on a network with no internet: /docs (Swagger UI) and /redoc
(ReDoc) load every script, style and icon from this server, as the dashboard does."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.api.app import create_app
from services.bootstrap import Platform
from tests.support.browser import chromium
from tests.support.pipeline import platform_for
from tests.support.serving import serving

ASSET = re.compile(r"""(?:src|href)\s*[=:]\s*['"]([^'"]+)['"]""")


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    found = platform_for(tmp_path / "data")
    yield found
    found.close()


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_documentation_pages_name_no_other_server(platform: Platform, page: str) -> None:
    with TestClient(create_app(platform)) as client:
        html = client.get(page)
        assert html.status_code == 200
        assets = ASSET.findall(html.text)
        assert assets, html.text
        elsewhere = [a for a in assets if re.match(r"(https?:)?//", a)]
        assert not elsewhere, f"{page} loads from another server: {elsewhere}"
        for asset in assets:
            answer = client.get(asset)
            assert answer.status_code == 200, asset
            assert len(answer.content) > 1000 or asset.endswith("openapi.json"), asset


@pytest.mark.browser
def test_swagger_ui_renders_every_route_in_chromium_with_no_network(tmp_path: Path) -> None:
    browser, why_absent = chromium()
    if browser is None:
        pytest.skip(why_absent)
    with serving(tmp_path, tmp_path / "data", "--without-pipeline") as url:
        # Every name but this server's own fails to resolve: no CDN can answer.
        done = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu",
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             "--virtual-time-budget=15000", "--dump-dom", f"{url}/docs"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert 'class="swagger-ui' in dom, dom[-2000:]
    # Swagger UI drew the operations from /openapi.json: the ingest's route among them.
    assert "opblock" in dom and "/v1/events" in dom, dom[-2000:]
