"""The portal's event forms: the event types the person's institution may publish, a form for
each (``event_forms``), and the exchange's answer to what was sent.

A form is submitted through the same use case as ``POST /v1/events`` (``submit_event``): the
same validation, sealing of a subject's identity, outbox and write rate per account, as the
person's institution and in their staff role. What the person typed is never lost: a refused
form comes back with each field's problem beside it and every value as it was typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from consumers.decisions import decision
from services.api.context import api_context
from services.api.errors import ApiError
from services.api.ingest import submit_event
from services.api.portal.event_forms import (
    EventForm,
    event_body,
    event_form,
    field_errors,
    submittable,
)
from services.api.portal.hints import field_hint
from services.api.portal.i18n import problem_text, translator
from services.api.portal.labels import choice_label, field_label
from services.api.portal.pages import (
    SignedIn,
    canonical_id,
    lang_of,
    message,
    outages_as_pages,
    page,
    reader_for,
    redirect,
    signed_in,
)
from services.api.portal.sessions import same_secret
from services.api.portal.submissions import SubmissionLog

router = APIRouter(prefix="/portal", include_in_schema=False)


def submission_log(request: Request) -> SubmissionLog:
    log: SubmissionLog = request.app.state.portal_submissions
    return log


def _publishable(request: Request, signed: SignedIn) -> list[str]:
    """What the person's institution may publish now (nothing once it is inactive)."""
    known = api_context(request).platform.institutions.get(signed.account.institution)
    return submittable(known.kind) if known is not None and known.active else []


def _form_page(
    request: Request,
    signed: SignedIn,
    form: EventForm,
    values: Mapping[str, list[str]],
    status: int = 200,
    errors: Mapping[str, list[str]] | None = None,
    alerts: list[str] | None = None,
) -> Response:
    lang = lang_of(request)
    return page(
        request, "event_form.html", status, staff=signed.account, csrf=signed.session.csrf,
        form=form, values=values, errors=errors or {}, alerts=alerts or [],
        field_label=partial(field_label, lang=lang), choice_label=partial(choice_label, lang=lang),
        field_hint=partial(field_hint, lang=lang),
    )  # fmt: skip


@router.get("/events")
@outages_as_pages
def event_types(request: Request, case: str = "") -> Response:
    signed = signed_in(request)
    if signed is None:
        return redirect(request, "/portal")
    institution = signed.account.institution
    sent = submission_log(request).latest(institution)
    with api_context(request).platform.exchange_engine.connect() as conn:
        decided = [(s, decision(conn, s.event_id, institution)) for s in sent]
    return page(
        request, "events.html", staff=signed.account, csrf=signed.session.csrf,
        event_types=_publishable(request, signed),
        submissions=decided, case_id=canonical_id(case),
    )  # fmt: skip


@router.get("/events/{event_type}")
@outages_as_pages
def new_event(request: Request, event_type: str, case: str = "") -> Response:
    signed = signed_in(request)
    if signed is None:
        return redirect(request, "/portal")
    if event_type not in _publishable(request, signed):
        t = translator(lang_of(request))
        return message(request, 404, t("new_event"), t("not_found"), signed)
    form = event_form(event_type)
    now = api_context(request).clock()
    return _form_page(request, signed, form, form.prefilled(case_id=canonical_id(case), now=now))


@router.post("/events/{event_type}")
async def submit(request: Request, event_type: str) -> Response:
    # The fields are the event's own, known only from its model: read the whole form here, and
    # do the (blocking) submission in a worker thread as FastAPI does for a plain route.
    data = await request.form()
    return await run_in_threadpool(_submit, request=request, event_type=event_type, data=data)


def _as_lists(data: FormData) -> dict[str, list[str]]:
    """Every field's values as typed (an uploaded file is no value any form asks for)."""
    return {
        key: [v for v in data.getlist(key) if isinstance(v, str)]
        for key in data.keys()  # noqa: SIM118
    }


@outages_as_pages
def _submit(request: Request, event_type: str, data: FormData) -> Response:
    lang = lang_of(request)
    t = translator(lang)
    signed = signed_in(request)
    if signed is None:
        return message(request, 401, t("sign_in"), t("expired"))
    values = _as_lists(data)
    if not same_secret((values.get("csrf") or [""])[0], signed.session.csrf):
        return message(request, 403, t("refused"), t("forbidden"), signed)
    if event_type not in _publishable(request, signed):
        return message(request, 404, t("new_event"), t("not_found"), signed)
    form = event_form(event_type)
    context = api_context(request)
    reader = reader_for(context, signed.account)
    body = event_body(
        form, values, source=reader.institution, actor_role=signed.account.role, now=context.clock()
    )
    try:
        receipt = submit_event(context, reader.principal, body)
    except ApiError as refused:
        problems = [
            (p.location, problem_text(p.code, p.message, lang)) for p in refused.problems or []
        ]
        errors, general = field_errors(form, problems)
        wait = (refused.headers or {}).get("Retry-After", "")
        alert = t("too_fast", wait=wait) if refused.status == 429 else t("not_taken")
        answer = _form_page(
            request, signed, form, values, refused.status, errors, [alert, *general]
        )
        answer.headers.update(refused.headers or {})
        return answer
    submission_log(request).record(
        event_id=str(receipt.event_id), account_id=signed.account.account_id,
        username=signed.account.username, institution=reader.institution,
        event_type=event_type, case_id=str(body["header"]["case_id"]), now=context.clock(),
    )  # fmt: skip
    return redirect(request, f"/portal/submissions/{receipt.event_id}")


@router.get("/submissions/{event_id}")
@outages_as_pages
def submission(request: Request, event_id: str) -> Response:
    """What the exchange decided on an event sent from the portal: pending, accepted, or
    rejected with its code and reason. Another institution's submission is 404."""
    signed = signed_in(request)
    if signed is None:
        return redirect(request, "/portal")
    t = translator(lang_of(request))
    key = canonical_id(event_id)
    if key is None:
        return message(request, 404, t("submission"), t("not_found"), signed)
    institution = signed.account.institution
    sent = submission_log(request).find(key, institution)
    if sent is None:
        return message(request, 404, t("submission"), t("not_found"), signed)
    with api_context(request).platform.exchange_engine.connect() as conn:
        decided = decision(conn, key, institution)
    return page(
        request, "submission.html", staff=signed.account, csrf=signed.session.csrf,
        sent=sent, decided=decided,
    )  # fmt: skip
