"""``GET /asyncapi.json``: the AsyncAPI document of every topic, as ``povezimo asyncapi`` prints
it, for the region's own institutions. Open to anyone, like ``/openapi.json``: it is the
published contract and holds no case data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from services.api.context import api_context
from services.operations.asyncapi import document

router = APIRouter(tags=["contract"])


@router.get("/asyncapi.json", summary="The AsyncAPI 3 document of every topic")
def asyncapi(request: Request) -> dict[str, Any]:
    state = request.app.state
    if getattr(state, "asyncapi", None) is None:  # built once: it is half a megabyte of schemas
        state.asyncapi = document(api_context(request).platform.institutions)
    built: dict[str, Any] = state.asyncapi
    return built
