"""For whoever runs the platform: ``/healthz`` and ``/metrics`` (Prometheus text format)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import text

from consumers.lease import read_lease, wall_ms
from services.api.auth import bearer
from services.api.context import ApiContext, api_context
from services.api.tokens import Principal, Role

router = APIRouter(tags=["operations"])
Context = Annotated[ApiContext, Depends(api_context)]


# Health is answered on its own threads, never queued behind the requests of the shared pool: a
# server busy with one caller's requests must still say that it is alive.
_HEALTH_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="healthz")
HEALTH_TIMEOUT_S = 5.0


@router.get("/healthz", responses={503: {"description": "A dependency is down."}})
async def healthz(context: Context) -> Any:
    """Liveness and readiness: the SQL database and the bus answer, and the in-process
    pipeline (if this process runs it) has every projection running."""
    loop = asyncio.get_running_loop()
    try:
        checks = await asyncio.wait_for(
            loop.run_in_executor(_HEALTH_THREADS, _checks, context), HEALTH_TIMEOUT_S
        )
    except TimeoutError:
        checks = {"database": "unknown", "bus": f"no answer in {HEALTH_TIMEOUT_S:g} s"}
    healthy = all(v == "ok" for v in checks.values() if isinstance(v, str))
    leases = checks.pop("leases", {})
    return JSONResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks, "leases": leases},
        status_code=200 if healthy else 503,
    )


def _checks(context: ApiContext) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    try:
        with context.platform.views_engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"down: {type(error).__name__}"
    try:
        context.platform.bus.list_topics()
        checks["bus"] = "ok"
    except Exception as error:
        checks["bus"] = f"down: {type(error).__name__}"
    pipeline = context.pipeline
    if pipeline is not None:
        stopped = sorted(set(pipeline.names) - set(pipeline.running))
        checks["pipeline"] = "ok" if not stopped else f"stopped: {', '.join(stopped)}"
    checks["leases"] = _leases(context)
    return checks


def _leases(context: ApiContext) -> dict[str, Any]:
    """Which member is active for each projection (its epoch, since when, whether it is this
    process); a standby's ``serve`` says so. Informational: a standby is healthy."""
    found: dict[str, Any] = {}
    now = wall_ms()
    try:
        for name, projection in context.platform.projections().items():
            held = read_lease(context.platform.engine_for(projection), name)
            found[name] = held.summary(now) if held else None
    except Exception as error:
        return {"unknown": f"{type(error).__name__}"}
    return found


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
def metrics(
    context: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Response:
    """Prometheus text format: events in, rejections, consumer lag, projection positions.

    Open to anyone, who sees an institution's topics counted in their family and never named;
    an admin token (Prometheus' ``authorization`` setting) sees each institution's topic. Any
    other token, valid or not, is read as no token: the endpoint stays public."""
    registry = context.metrics.registry
    if credentials is not None and _is_admin(credentials.credentials, context):
        registry = context.metrics.detailed
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def _is_admin(secret: str, context: ApiContext) -> bool:
    found = context.tokens.authenticate(secret)
    return isinstance(found, Principal) and found.role is Role.ADMIN
