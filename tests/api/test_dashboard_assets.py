"""The dashboard's vendored chart library: served by the API itself (the page works offline), the
very file its README records, shipped in the package, and nothing else under ``vendor/``."""

from __future__ import annotations

import hashlib
import re
import tomllib
from importlib.resources import files
from pathlib import Path

from fastapi.testclient import TestClient

VENDOR = Path(str(files("services.api").joinpath("static", "vendor")))
ROOT = Path(__file__).resolve().parents[2]


def test_the_vendored_chart_library_is_served_as_recorded(client: TestClient) -> None:
    page = client.get("/dashboard").text
    assert '<script src="/dashboard/vendor/chart.umd.min.js"></script>' in page
    assert "//" not in re.sub(r'src="/dashboard/[^"]*"', "", page).split("<body>")[1]  # no CDN

    labels = client.get("/dashboard/dashboard-labels.js")
    assert labels.status_code == 200 and "Tok upućivanja" in labels.text
    served = client.get("/dashboard/vendor/chart.umd.min.js")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/javascript")
    assert served.content.startswith(b"/*!\n * Chart.js v4.")
    recorded = (VENDOR / "README.md").read_text()
    assert hashlib.sha256(served.content).hexdigest() in recorded
    version = re.search(rb"Chart\.js v(\d+\.\d+\.\d+)", served.content)
    assert version is not None and f"| {version.group(1).decode()} |" in recorded
    assert "MIT License" in (VENDOR / "chart.js-LICENSE.md").read_text()


def test_only_the_listed_vendored_file_is_served(client: TestClient) -> None:
    for path in (
        "/dashboard/vendor/README.md",
        "/dashboard/vendor/chart.js-LICENSE.md",
        "/dashboard/vendor/../app.py",
        "/dashboard/vendor/..%2Fdashboard.py",
    ):
        assert client.get(path).status_code == 404, path


def test_the_vendor_folder_ships_with_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shipped = project["tool"]["setuptools"]["package-data"]["services"]
    assert "api/static/vendor/*" in shipped
