"""The web portal: staff of institutions without a system of their own sign in, read their
inbox and answer referrals, through the same use cases as the HTTP API."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from services.api.portal import live
from services.api.portal.headers import PortalHeaders
from services.api.portal.pages import Portal
from services.api.portal.routes import router

__all__ = ["install"]


def install(app: FastAPI, engine: Engine) -> None:
    """The portal's pages on ``app``, its accounts and sessions in ``engine`` (the tokens')."""
    app.state.portal = Portal.over(engine)
    app.add_middleware(PortalHeaders)
    app.include_router(router)
    app.include_router(live.router)
