"""The web portal: staff of institutions without a system of their own sign in, read their
inbox, answer referrals, list their cases, submit events and unseal an identity with a stated
purpose, through the same use cases as the HTTP API."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from services.api.portal import cases, forms, live, unseal
from services.api.portal.headers import PortalHeaders
from services.api.portal.pages import Portal
from services.api.portal.routes import router
from services.api.portal.submissions import SubmissionLog

__all__ = ["install"]


def install(app: FastAPI, engine: Engine) -> None:
    """The portal's pages on ``app``, its accounts and sessions in ``engine`` (the tokens')."""
    app.state.portal = Portal.over(engine)
    app.state.portal_submissions = SubmissionLog(engine)
    app.add_middleware(PortalHeaders)
    app.include_router(router)
    app.include_router(live.router)
    app.include_router(cases.router)
    app.include_router(forms.router)
    app.include_router(unseal.router)
