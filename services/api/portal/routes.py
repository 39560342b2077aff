"""The portal's pages: sign-in, the inbox, and the answers to a referral received.

A person signs in with a staff account and then acts as their institution, in their staff role:
reads go through the same queries and access log as the API (the log's token id is the
account's id), answers through the same use case as ``POST /v1/referrals/{id}/accept``. So a
referral or case of another institution answers 404 here exactly as it does there.

Every form carries a CSRF token: the sign-in form a double-submitted one (its cookie and its
field must agree; there is no session yet), the signed-in pages their session's own.
"""

from __future__ import annotations

import re
import secrets
import uuid
from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from consumers import queries
from consumers.decisions import decision
from schemas.topics import inbox_topic
from services.api.access import Reader
from services.api.context import api_context
from services.api.errors import ApiError
from services.api.inbox import InboxMessage, read_inbox
from services.api.institutions import (
    AcceptReferral,
    DeclineReason,
    DeclineReferral,
    answer_referral,
)
from services.api.portal.accounts import Locked
from services.api.portal.i18n import translator
from services.api.portal.pages import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SignedIn,
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
from services.api.portal.sessions import same_secret
from services.bus import TopicPartition

router = APIRouter(prefix="/portal", include_in_schema=False)

_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # what secrets.token_urlsafe(32) gives
LONGEST_PASSWORD = 1024  # hashing a megabyte "password" would be a cheap way to load the server
LATEST_MESSAGES = 50
DECLINE_REASONS = [reason.value for reason in DeclineReason]  # type: ignore[attr-defined]


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
    name = username.strip().lower()
    if len(name) > 64 or len(password) > LONGEST_PASSWORD:
        return _sign_in_page(request, 401, t("wrong_password"), name[:64])
    outcome = portal.staff.sign_in(name, password, now=now)
    if isinstance(outcome, Locked):
        return _sign_in_page(request, 429, t("locked", until=when(outcome.until)), name)
    if outcome is None:
        return _sign_in_page(request, 401, t("wrong_password"), name)
    response = redirect(request, "/portal/inbox")
    # No max-age: the cookie ends with the browser; the server ends the session sooner.
    set_cookie(request, response, SESSION_COOKIE, portal.sessions.start(outcome.username, now=now))
    forget_cookie(request, response, LOGIN_CSRF_COOKIE)
    return response


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


def _latest_messages(reader: Reader, count: int) -> list[InboxMessage]:
    """The newest ``count`` messages of the institution's inbox, newest first (access-logged)."""
    bus = reader.context.platform.bus
    topic = inbox_topic(reader.institution)
    if topic not in bus.list_topics():
        return []
    partitions = [TopicPartition(topic, p) for p in range(bus.partitions_for(topic))]
    ends = bus.end_offsets(partitions)
    cursor = {tp.partition: max(0, ends[tp] - count) for tp in partitions}
    messages = read_inbox(reader, cursor, count * len(partitions))
    return sorted(messages, key=lambda m: (m.received_at, m.offset), reverse=True)[:count]


@router.get("/inbox")
@outages_as_pages
def inbox(request: Request, done: str | None = None) -> Response:
    signed = signed_in(request)
    if signed is None:
        return redirect(request, "/portal")
    context = api_context(request)
    reader = reader_for(context, signed.account)
    with context.platform.views_engine.connect() as conn:
        received = queries.referrals_for(conn, reader.institution, direction="received")
        # Those still waiting for an answer first (each group by due time, as queried).
        received = sorted(received, key=lambda r: r["status"] != "sent")
        sent = queries.referrals_for(conn, reader.institution, direction="sent")
    reader.record("referral-list", (r["case_id"] for r in [*received, *sent]))
    updates = _latest_messages(reader, LATEST_MESSAGES)
    answers = portal_of(request).staff.answers_of(reader.institution)
    with context.platform.exchange_engine.connect() as conn:
        decided = {a.event_id: decision(conn, a.event_id, reader.institution) for a in answers}
    # An answer the exchange has not refused stands: no second one while the views catch up.
    answered = {
        a.referral_id
        for a in answers
        if (found := decided[a.event_id]) is None or found.status != "rejected"
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
        answers=[(a, decided[a.event_id]) for a in answers],
        answered=answered,
        notice=t("answer_sent") if done in {"accepted", "declined"} else "",
    )


# -- answers to a referral received -------------------------------------------------------------


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
    answer: AcceptReferral | DeclineReferral,
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
        # 404 for a referral not addressed to this institution, as the API answers.
        text = t("not_found") if refused.status == 404 else refused.message
        return message(request, refused.status, t("refused"), text, signed)
    portal_of(request).staff.record_action(
        signed.account, str(receipt.event_id), event_type, referral_id=str(referral),
        now=context.clock(),
    )  # fmt: skip
    outcome = "accepted" if event_type == "ReferralAccepted" else "declined"
    return redirect(request, f"/portal/inbox?done={outcome}#referral-{referral}")


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


@router.post("/referrals/{referral_id}/decline")
@outages_as_pages
def decline(
    request: Request,
    referral_id: str,
    csrf: Annotated[str, Form()] = "",
    reason_code: Annotated[str, Form()] = "",
) -> Response:
    signed = _guard(request, csrf)
    if not isinstance(signed, SignedIn):
        return signed
    try:
        answer = DeclineReferral(reason_code=reason_code)
    except ValidationError:
        t = translator(lang_of(request))
        return message(request, 422, t("refused"), f"{t('reason')}: {reason_code}", signed)
    return _answer(
        request, signed, referral_id, "ReferralDeclined", answer,
        reason_code=answer.reason_code, reason_note=None, suggested_institution=None,
    )  # fmt: skip


# -- the style sheet ---------------------------------------------------------------------------


STATIC = {"portal.css": "text/css; charset=utf-8", "favicon.svg": "image/svg+xml"}


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    # Only the listed files: a path from the address never reaches the file system.
    if name not in STATIC:
        return Response("not found", status_code=404, media_type="text/plain")
    body = files("services.api.portal").joinpath("static", name).read_bytes()
    return Response(body, media_type=STATIC[name])
