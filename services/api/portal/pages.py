"""What every portal page stands on: the templates, the cookies, the language, the signed-in
person behind a request, and the page a refusal or an outage shows.

The cookies are HttpOnly and SameSite=Strict, limited to ``/portal``, and Secure when the
request came over TLS.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine

from consumers.runner import is_outage
from services.api.access import AccessPurpose, Reader
from services.api.context import ApiContext, api_context
from services.api.portal.accounts import StaffAccount, StaffStore
from services.api.portal.addresses import AddressLimit
from services.api.portal.i18n import LANGUAGES, language, translator
from services.api.portal.labels import event_label, event_summary
from services.api.portal.sessions import Session, SessionStore
from services.api.tokens import Principal, Role

SESSION_COOKIE = "pvz_session"
LOGIN_CSRF_COOKIE = "pvz_login_csrf"
LANG_COOKIE = "lang"


def when(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if isinstance(value, dt.datetime) else ""


def templates() -> Environment:
    # Autoescape on for every template: a field holds whatever an institution's system sent.
    pages = Environment(
        loader=PackageLoader("services.api.portal", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    pages.filters["when"] = when
    # The purposes an unsealing may state, for the form on every case page.
    pages.globals["purposes"] = [p.value for p in AccessPurpose]  # type: ignore[attr-defined]
    return pages


@dataclass(frozen=True)
class Portal:
    staff: StaffStore
    sessions: SessionStore
    pages: Environment
    addresses: AddressLimit  # failed sign-ins per client address, in this process

    @classmethod
    def over(cls, engine: Engine) -> Portal:
        return cls(StaffStore(engine), SessionStore(engine), templates(), AddressLimit())


@dataclass(frozen=True)
class SignedIn:
    account: StaffAccount
    session: Session
    session_id: str


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def over_tls(request: Request) -> bool:
    return request.url.scheme == "https"


def client_address(request: Request) -> str:
    """The address uvicorn gives the request: the peer's, or a trusted proxy's forwarded one."""
    return request.client.host if request.client is not None else "unknown"


def lang_of(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    return language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def set_cookie(request: Request, response: Response, name: str, value: str, **extra: Any) -> None:
    response.set_cookie(
        name, value, path="/portal", httponly=True, samesite="strict", secure=over_tls(request),
        **extra,
    )  # fmt: skip


def forget_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(
        name, path="/portal", httponly=True, samesite="strict", secure=over_tls(request)
    )


def finish(request: Request, response: Response) -> Response:
    """Remember a language chosen by a link (``?lang=en``)."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        set_cookie(request, response, LANG_COOKIE, asked, max_age=365 * 24 * 3600)
    return response


def canonical_id(text: str) -> str | None:
    """``text`` as the canonical form of the UUID it spells, or None if it spells none: what a
    path or form gives is looked up only in that form."""
    try:
        return str(uuid.UUID(text)) if text else None
    except ValueError:
        return None


def page(request: Request, template: str, status: int = 200, **values: Any) -> Response:
    lang = lang_of(request)
    body = (
        portal_of(request)
        .pages.get_template(template)
        .render(
            lang=lang,
            t=translator(lang),
            event_label=functools.partial(event_label, lang=lang),
            event_summary=functools.partial(event_summary, lang=lang),
            **values,
        )
    )
    return finish(request, HTMLResponse(body, status_code=status))


def redirect(request: Request, to: str) -> Response:
    return finish(request, RedirectResponse(to, status_code=303))


def message(
    request: Request, status: int, heading: str, text: str, signed: SignedIn | None = None
) -> Response:
    """A page that says why the request was refused (or cannot be answered now)."""
    t = translator(lang_of(request))
    return page(
        request,
        "message.html",
        status,
        heading=heading,
        message=text,
        staff=signed.account if signed else None,
        csrf=signed.session.csrf if signed else "",
        back_to="/portal/inbox" if signed else "/portal",
        back_label=t("back") if signed else t("sign_in"),
    )


def signed_in(request: Request) -> SignedIn | None:
    """The live session of this request's cookie and its account, if still active."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    return session_holder(request, session_id, seen=True)


def session_holder(request: Request, session_id: str, *, seen: bool) -> SignedIn | None:
    """The account behind a live session while it is active; ``seen`` says whether this counts
    as the person's request (it keeps an idle session alive)."""
    portal, now = portal_of(request), api_context(request).clock()
    look = portal.sessions.find if seen else portal.sessions.peek
    session = look(session_id, now=now)
    if session is None:
        return None
    account = portal.staff.get(session.username)
    if account is None or not account.active:
        portal.sessions.end_all(session.username)
        return None
    return SignedIn(account, session, session_id)


def reader_for(context: ApiContext, account: StaffAccount) -> Reader:
    """The account acting as its institution, in its staff role, as an API caller would."""
    principal = Principal(account.account_id, account.institution, Role.INSTITUTION)
    return Reader(principal, "CASE_HANDLING", account.role, context, role_stated=True)


def outages_as_pages(route: Callable[..., Response]) -> Callable[..., Response]:
    """A database or the bus down for a moment is a page asking to try again (503), as the API
    answers its callers, not a JSON body in a person's browser."""

    @functools.wraps(route)
    def answer(*args: Any, **kwargs: Any) -> Response:
        try:
            return route(*args, **kwargs)
        except Exception as error:
            if not is_outage(error):
                raise
            request: Request = kwargs["request"]
            t = translator(lang_of(request))
            refusal = message(request, 503, t("refused"), t("unavailable"))
            refusal.headers["Retry-After"] = "5"
            return refusal

    return answer
