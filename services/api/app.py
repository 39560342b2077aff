"""The HTTP application: ``create_app(platform)`` wires routers by audience to one platform.

Audiences: institutions' systems (ingest, their cases, referrals and inbox), the schema registry
(Confluent's REST subset, reads open to Kafka tooling, writes for admins), and operators
(health and metrics), coordinators (the aggregate's indicators and the dashboard) and auditors
(archive verification, point-in-time history, the access log).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline

from services.api import (
    asyncapi,
    audit,
    coordinator,
    dashboard,
    errors,
    health,
    identity,
    inbox,
    ingest,
    institutions,
    portal,
    programme,
    registry,
)
from services.api.auth import registry_guard
from services.api.background import BackgroundPipeline
from services.api.context import ApiContext, Clock, RequestPublisher, utc_now
from services.api.limits import BodyLimit, OpenWaits, WriteRate
from services.api.metrics import Metrics
from services.api.tokens import TokenStore
from services.bootstrap import Platform

__all__ = ["create_app"]


def create_app(
    platform: Platform,
    *,
    clock: Clock = utc_now,
    background: BackgroundPipeline | None = None,
) -> FastAPI:
    """The API over ``platform``; ``background`` runs the pipeline while the app runs."""
    settings = platform.settings
    tokens = TokenStore(platform.views_engine)
    _create_tables(platform)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if background is not None:
            background.start()
        try:
            yield
        finally:
            if background is not None:
                background.stop()

    # /docs and /redoc load their scripts from this server (an institution's network may have
    # no internet), as the dashboard does.
    app = FastAPIOffline(
        static_url="/docs-assets",
        title="Povezimo",
        version="1",
        description="The exchange of case events between the institutions of a region, over HTTP.",
        lifespan=lifespan,
    )
    app.state.context = ApiContext(
        platform=platform,
        tokens=tokens,
        publisher=RequestPublisher(platform),
        metrics=Metrics(platform),
        waits=OpenWaits(settings.api_waits_per_token),
        writes=WriteRate(settings.api_write_rate, settings.api_write_burst),
        clock=clock,
        pipeline=background,
    )
    app.state.registry = platform.registry
    app.add_middleware(BodyLimit, limit=settings.api_body_limit)
    errors.install(app)
    app.include_router(ingest.router)
    ingest.document_event_models(app)
    app.include_router(institutions.router)
    app.include_router(inbox.router)
    app.include_router(identity.router)
    app.include_router(coordinator.router)
    app.include_router(programme.router)
    app.include_router(audit.router)
    app.include_router(dashboard.router)
    app.include_router(health.router)
    app.include_router(asyncapi.router)
    portal.install(app, platform.views_engine)  # staff's pages: accounts beside the tokens
    registry.install(app, dependencies=[Depends(registry_guard)])
    return app


def _create_tables(platform: Platform) -> None:
    """Every table the routes read exists, even before the pipeline first ran."""
    platform.create_tables()  # ingest's api_submissions comes with the tokens (TokenStore)
