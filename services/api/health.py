"""For whoever runs the platform: ``/healthz`` and ``/metrics`` (Prometheus text format)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import text

from services.api.context import ApiContext, api_context

router = APIRouter(tags=["operations"])
Context = Annotated[ApiContext, Depends(api_context)]


@router.get("/healthz", responses={503: {"description": "A dependency is down."}})
def healthz(context: Context) -> Any:
    """Liveness and readiness: the SQL database and the bus answer, and the in-process
    pipeline (if this process runs it) has every projection running."""
    checks: dict[str, str] = {}
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
    healthy = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status_code=200 if healthy else 503,
    )


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(context: Context) -> Response:
    """Prometheus text format: events in, rejections, consumer lag, projection positions."""
    return Response(generate_latest(context.metrics.registry), media_type=CONTENT_TYPE_LATEST)
