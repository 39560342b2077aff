"""The coordinator dashboard: one page, its script and the vendored chart library, served by the
API itself.

The page holds no data; its script reads the coordinator endpoints (``/v1/aggregate/...``) with
the coordinator's token, so it shows only what a disclosure-controlled release shows. The chart
library (Chart.js, see ``static/vendor/README.md``) ships inside the package, so the page needs no
build step and no network beyond this server.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import Response

from services.api.errors import not_found

router = APIRouter(include_in_schema=False)
ASSETS = {
    "dashboard.html": "text/html; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard-labels.js": "text/javascript; charset=utf-8",
    "dashboard-programme.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
    "vendor/chart.umd.min.js": "text/javascript; charset=utf-8",
}
# The page runs only its own script and talks only to this server.
POLICY = "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'"


def _asset(name: str) -> Response:
    # Only the listed files are served: a path from the address never reaches the file system.
    if name not in ASSETS:
        raise not_found("file")
    body = files("services.api").joinpath("static", *name.split("/")).read_bytes()
    return Response(
        body,
        media_type=ASSETS[name],
        headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-cache"},
    )


@router.get("/dashboard")
def dashboard() -> Response:
    return _asset("dashboard.html")


@router.get("/dashboard/{name}")
def dashboard_asset(name: str) -> Response:
    return _asset(name)


@router.get("/dashboard/vendor/{name}")
def dashboard_vendored(name: str) -> Response:
    return _asset(f"vendor/{name}")
