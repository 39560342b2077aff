"""The portal's pages: sign-in, the inbox, and the answers to a referral received.

A person signs in with a staff account and then acts as their institution, in their staff role:
reads go through the same queries and access log as the API (the log's token id is the
account's id), answers through the same use case as ``POST /v1/referrals/{id}/accept``. So a
referral or case of another institution answers 404 here exactly as it does there.

Every form carries a CSRF token: the sign-in form a double-submitted one (its cookie and its
field must agree; there is no session yet), the signed-in pages their session's own.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import secrets
import uuid
from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from consumers import queries
from consumers.decisions import decision
from services.api.context import api_context
from services.api.errors import ApiError
from services.api.institutions import (
    AcceptReferral,
    CompleteReferral,
    DeclineReason,
    DeclineReferral,
    Outcome,
    RevokeReason,
    RevokeReferral,
    answer_referral,
)
from services.api.portal.accounts import Locked
from services.api.portal.i18n import translator
from services.api.portal.live import inbox_version, status_counts
from services.api.portal.pages import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SignedIn,
    canonical_id,
    client_address,
    forget_cookie,
    lang_of,
    message,
    outages_as_pages,
    page,
    portal_of,
    reader_for,
    redirect,
    set_cookie,
    signed_in,
    when,
)
from services.api.portal.paging import link, list_page, message_page
from services.api.portal.sessions import same_secret

router = APIRouter(prefix="/portal", include_in_schema=False)

_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # what secrets.token_urlsafe(32) gives
LONGEST_PASSWORD = 1024  # hashing a megabyte "password" would be a cheap way to load the server
DECLINE_REASONS = [reason.value for reason in DeclineReason]  # type: ignore[attr-defined]
OUTCOMES = [outcome.value for outcome in Outcome]  # type: ignore[attr-defined]
REVOKE_REASONS = [reason.value for reason in RevokeReason]  # type: ignore[attr-defined]
# What a referral becomes when the exchange takes each answer.
STATUS_AFTER = {
    "ReferralAccepted": "accepted",
    "ReferralDeclined": "declined",
    "ReferralCompleted": "completed",
    "ReferralRevoked": "revoked",
}


# -- signing in and out ------------------------------------------------------------------------


def _sign_in_page(
    request: Request, status: int = 200, message: str = "", username: str = ""
) -> Response:
    # The browser's token while it holds one, so a second tab's form stays good.
    held = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    token = held if _TOKEN.fullmatch(held) else secrets.token_urlsafe(32)
    response = page(
        request, "login.html", status, csrf=token, message=message, username=username, staff=None
    )
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.get("")
@outages_as_pages
def sign_in_form(request: Request) -> Response:
    if signed_in(request) is not None:
        return redirect(request, "/portal/inbox")
    return _sign_in_page(request)


@router.get("/login")
@outages_as_pages
def sign_in_again(request: Request) -> Response:
    return redirect(request, "/portal")


@router.post("/login")
@outages_as_pages
def sign_in(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    t = translator(lang_of(request))
    if not same_secret(csrf, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return message(request, 403, t("sign_in"), t("forbidden"))
    portal, now = portal_of(request), api_context(request).clock()
    name, address = username.strip().lower(), client_address(request)
    # Before any password is checked: refusing costs this address no Argon2 work either.
    wait = portal.addresses.refusal(address, now=now)
    if wait is not None:
        return _too_many_from(request, wait, name[:64])
    if len(name) > 64 or len(password) > LONGEST_PASSWORD:
        portal.addresses.failed(address, now=now)
        return _sign_in_page(request, 401, t("wrong_password"), name[:64])
    outcome = portal.staff.sign_in(name, password, now=now)
    if outcome is None or isinstance(outcome, Locked):
        portal.addresses.failed(address, now=now)
    if isinstance(outcome, Locked):
        return _sign_in_page(request, 429, t("locked", until=when(outcome.until)), name)
    if outcome is None:
        return _sign_in_page(request, 401, t("wrong_password"), name)
    response = redirect(request, "/portal/inbox")
    # No max-age: the cookie ends with the browser; the server ends the session sooner.
    set_cookie(request, response, SESSION_COOKIE, portal.sessions.start(outcome.username, now=now))
    forget_cookie(request, response, LOGIN_CSRF_COOKIE)
    return response


def _too_many_from(request: Request, wait: dt.timedelta, username: str) -> Response:
    seconds = max(1, math.ceil(wait.total_seconds()))
    t = translator(lang_of(request))
    text = t("address_locked", minutes=str(math.ceil(seconds / 60)))
    refusal = _sign_in_page(request, 429, text, username)
    refusal.headers["Retry-After"] = str(seconds)
    return refusal


@router.post("/logout")
@outages_as_pages
def sign_out(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    signed = signed_in(request)
    if signed is not None:
        if not same_secret(csrf, signed.session.csrf):
            t = translator(lang_of(request))
            return message(request, 403, t("sign_out"), t("forbidden"), signed)
        portal_of(request).sessions.end(signed.session_id)
    response = redirect(request, "/portal")
    forget_cookie(request, response, SESSION_COOKIE)
    return response


# -- the inbox ---------------------------------------------------------------------------------


def _waiting_first(referrals: list[Any]) -> list[Any]:
    """Those still waiting for an answer first, the most urgent on top; then the others, the
    latest due first: one just answered stays on the first page, old ones go to later pages."""
    waiting = [r for r in referrals if r["status"] == "sent"]  # as queried: by due time
    others = [r for r in referrals if r["status"] != "sent"]
    return [*waiting, *reversed(others)]


@router.get("/inbox")
@outages_as_pages
def inbox(
    request: Request,
    done: str | None = None,
    before: Annotated[str | None, Query(max_length=2000)] = None,
    after: Annotated[str | None, Query(max_length=2000)] = None,
    received_from: Annotated[int, Query(ge=0, le=1_000_000, alias="received")] = 0,
    sent_from: Annotated[int, Query(ge=0, le=1_000_000, alias="sent")] = 0,
) -> Response:
    signed = signed_in(request)
    if signed is None:
        return redirect(request, "/portal")
    context = api_context(request)
    reader = reader_for(context, signed.account)
    with context.platform.views_engine.connect() as conn:
        every_received = _waiting_first(
            queries.referrals_for(conn, reader.institution, direction="received")
        )
        # The latest due first: one just sent is on the first page.
        every_sent = queries.referrals_for(conn, reader.institution, direction="sent")[::-1]
    # Before the messages are read: one arriving meanwhile makes the page look older, not newer.
    version = inbox_version(
        context.platform.bus, reader.institution, status_counts(every_received, every_sent)
    )
    received_page = list_page(every_received, request.query_params, "received", received_from)
    sent_page = list_page(every_sent, request.query_params, "sent", sent_from)
    received, sent = received_page.rows, sent_page.rows
    reader.record("referral-list", (r["case_id"] for r in [*received, *sent]))
    try:
        messages = message_page(reader, before, after)
    except ApiError as refused:
        t = translator(lang_of(request))
        return message(request, refused.status, t("inbox"), refused.message, signed)
    updates = messages.messages
    answers = portal_of(request).staff.answers_of(reader.institution)
    with context.platform.exchange_engine.connect() as conn:
        decided = {a.event_id: decision(conn, a.event_id, reader.institution) for a in answers}
    # While an answer waits for the exchange, or the views have not caught up with one it took,
    # the referral offers no buttons: nobody answers it twice.
    status = {r["referral_id"]: r["status"] for r in [*received, *sent]}
    answered = {
        a.referral_id
        for a in answers
        if (found := decided[a.event_id]) is None
        or (found.status == "accepted" and status.get(a.referral_id) != STATUS_AFTER[a.event_type])
    }
    t = translator(lang_of(request))
    return page(
        request,
        "referrals.html",
        staff=signed.account,
        csrf=signed.session.csrf,
        received=received,
        sent=sent,
        updates=updates,
        decline_reasons=DECLINE_REASONS,
        outcomes=OUTCOMES,
        revoke_reasons=REVOKE_REASONS,
        answers=[(a, decided[a.event_id]) for a in answers],
        answered=answered,
        notice=t("answer_sent") if done in STATUS_AFTER.values() else "",
        version=version,
        received_page=received_page,
        sent_page=sent_page,
        messages=messages,
        link=functools.partial(link, request.query_params),
    )


# -- a case --------------------------------------------------------------------------------------


@router.get("/cases/{case_id}")
@outages_as_pages
def case(request: Request, case_id: str) -> Response:
    """One case as the institution may see it, as ``GET /v1/cases/{id}`` shows it: 404 for a
    case it takes no part in, exactly as for one that does not exist."""
    signed = signed_in(request)
    if signed is None:
        return redirect(request, "/portal")
    t = translator(lang_of(request))
    key = canonical_id(case_id)
    if key is None:
        return message(request, 404, t("case"), t("not_found"), signed)
    context = api_context(request)
    reader = reader_for(context, signed.account)
    with context.platform.views_engine.connect() as conn:
        found = queries.case_view(conn, reader.institution, key)
    if found is None:
        return message(request, 404, t("case"), t("not_found"), signed)
    reader.record("case", [key])
    return page(request, "case.html", staff=signed.account, csrf=signed.session.csrf, case=found)


# -- answers to a referral: the recipient's, and the sender's withdrawal ---------------------------


def _guard(request: Request, csrf: str) -> SignedIn | Response:
    """The signed-in person behind a form, or the page that refuses it (401, 403)."""
    t = translator(lang_of(request))
    signed = signed_in(request)
    if signed is None:
        return message(request, 401, t("sign_in"), t("expired"))
    if not same_secret(csrf, signed.session.csrf):
        return message(request, 403, t("refused"), t("forbidden"), signed)
    return signed


def _answer(
    request: Request,
    signed: SignedIn,
    referral_id: str,
    event_type: str,
    answer: AcceptReferral | DeclineReferral | CompleteReferral | RevokeReferral,
    **fields: Any,
) -> Response:
    t = translator(lang_of(request))
    try:
        referral = uuid.UUID(referral_id)
    except ValueError:
        return message(request, 404, t("refused"), t("not_found"), signed)
    context = api_context(request)
    try:
        receipt = answer_referral(
            reader_for(context, signed.account), referral, event_type, answer, None, **fields
        )
    except ApiError as refused:
        # 404 for a referral not addressed to this institution, as the API answers; the API's
        # write rate holds per account (429), as it does per token.
        wait = (refused.headers or {}).get("Retry-After", "")
        text = {404: t("not_found"), 429: t("too_fast", wait=wait)}.get(
            refused.status, refused.message
        )
        refusal = message(request, refused.status, t("refused"), text, signed)
        refusal.headers.update(refused.headers or {})
        return refusal
    portal_of(request).staff.record_action(
        signed.account, str(receipt.event_id), event_type, referral_id=str(referral),
        now=context.clock(),
    )  # fmt: skip
    return redirect(request, f"/portal/inbox?done={STATUS_AFTER[event_type]}#referral-{referral}")


@router.post("/referrals/{referral_id}/accept")
@outages_as_pages
def accept(request: Request, referral_id: str, csrf: Annotated[str, Form()] = "") -> Response:
    signed = _guard(request, csrf)
    if not isinstance(signed, SignedIn):
        return signed
    return _answer(
        request, signed, referral_id, "ReferralAccepted", AcceptReferral(),
        expected_start_at=None, assigned_role=None,
    )  # fmt: skip


def _coded(
    request: Request,
    referral_id: str,
    csrf: str,
    event_type: str,
    model: type[DeclineReferral | CompleteReferral | RevokeReferral],
    field: str,
    code: str,
    **extra: Any,
) -> Response:
    """An answer that carries a coded reason or outcome, chosen from a list on the page."""
    signed = _guard(request, csrf)
    if not isinstance(signed, SignedIn):
        return signed
    try:
        answer = model.model_validate({field: code})
    except ValidationError:
        t = translator(lang_of(request))
        return message(request, 422, t("refused"), f"{t(field)}: {code}", signed)
    return _answer(
        request, signed, referral_id, event_type, answer, **{field: getattr(answer, field)}, **extra
    )


Code = Annotated[str, Form()]


@router.post("/referrals/{referral_id}/decline")
@outages_as_pages
def decline(
    request: Request, referral_id: str, csrf: Code = "", reason_code: Code = ""
) -> Response:
    return _coded(
        request, referral_id, csrf, "ReferralDeclined", DeclineReferral, "reason_code",
        reason_code, reason_note=None, suggested_institution=None,
    )  # fmt: skip


@router.post("/referrals/{referral_id}/complete")
@outages_as_pages
def complete(request: Request, referral_id: str, csrf: Code = "", outcome: Code = "") -> Response:
    return _coded(
        request, referral_id, csrf, "ReferralCompleted", CompleteReferral, "outcome", outcome
    )


@router.post("/referrals/{referral_id}/revoke")
@outages_as_pages
def revoke(request: Request, referral_id: str, csrf: Code = "", reason: Code = "") -> Response:
    """The sender withdraws a referral it sent (404 for anyone else, as in the API)."""
    return _coded(request, referral_id, csrf, "ReferralRevoked", RevokeReferral, "reason", reason)


# -- the style sheet and script ------------------------------------------------------------------


STATIC = {
    "portal.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
    "live.js": "text/javascript; charset=utf-8",
}


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    # Only the listed files: a path from the address never reaches the file system.
    if name not in STATIC:
        return Response("not found", status_code=404, media_type="text/plain")
    body = files("services.api.portal").joinpath("static", name).read_bytes()
    return Response(body, media_type=STATIC[name])
