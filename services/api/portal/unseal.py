"""Unsealing a subject's identity from the portal: only with a stated purpose, and recorded.

The case page offers, for each person in the case, a form asking why the identity is needed
(a coded ``AccessPurpose``, required). Only the answer to that POST shows the identifiers, and
the portal's headers keep it out of any cache (``no-store``). The rule and the record are the
API's (``GET /v1/subjects/{id}/identity``): ``services.audit.identify.identify`` unseals only for
a participant of the subject's case and publishes an identified ``AccessRecorded`` with the
purpose and the person's staff role before anything is shown, its ``token-id`` header the
account's id. A subject of another institution's case answers 404, as in the API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from services.api.access import AccessPurpose
from services.api.context import api_context
from services.api.identity import REFUSAL_STATUS
from services.api.portal.i18n import translator
from services.api.portal.pages import (
    SignedIn,
    canonical_id,
    lang_of,
    message,
    outages_as_pages,
    page,
    redirect,
    signed_in,
)
from services.api.portal.sessions import same_secret
from services.audit.identify import AccessRefused, identify

router = APIRouter(prefix="/portal", include_in_schema=False)

PURPOSES = frozenset(purpose.value for purpose in AccessPurpose)  # type: ignore[attr-defined]


def _purpose_form(
    request: Request, signed: SignedIn, subject: str, case_id: str | None, status: int = 200,
    error: str = "",
) -> Response:  # fmt: skip
    return page(
        request, "unseal.html", status, staff=signed.account, csrf=signed.session.csrf,
        subject_id=subject, case_id=case_id, error=error, person=None,
    )  # fmt: skip


@router.get("/subjects/{subject_id}/identity")
@outages_as_pages
def purpose_form(request: Request, subject_id: str, case: str = "") -> Response:
    """The form that asks why; a GET never shows an identity (nothing is unsealed here)."""
    signed = signed_in(request)
    if signed is None:
        return redirect(request, "/portal")
    subject = canonical_id(subject_id)
    if subject is None:
        t = translator(lang_of(request))
        return message(request, 404, t("identity"), t("not_found"), signed)
    return _purpose_form(request, signed, subject, canonical_id(case))


@router.post("/subjects/{subject_id}/identity")
@outages_as_pages
def unseal_identity(
    request: Request,
    subject_id: str,
    csrf: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
    case: Annotated[str, Form()] = "",
) -> Response:
    t = translator(lang_of(request))
    signed = signed_in(request)
    if signed is None:
        return message(request, 401, t("sign_in"), t("expired"))
    if not same_secret(csrf, signed.session.csrf):
        return message(request, 403, t("refused"), t("forbidden"), signed)
    subject = canonical_id(subject_id)
    if subject is None:
        return message(request, 404, t("identity"), t("not_found"), signed)
    case_id = canonical_id(case)
    if purpose not in PURPOSES:
        # No purpose, no identity: the form again, saying what is missing.
        return _purpose_form(request, signed, subject, case_id, 422, t("purpose_required"))
    context = api_context(request)
    try:
        # identify publishes its AccessRecorded on the shared bus itself: one publisher at a time.
        with context.publisher.exclusive():
            person = identify(
                context.platform,
                subject,
                signed.account.institution,
                purpose,
                role=signed.account.role,
                now=context.clock(),
                token_id=signed.account.account_id,
            )
    except AccessRefused as refused:
        status = 404 if refused.code == "unknown_subject" else REFUSAL_STATUS.get(refused.code, 422)
        text = t("not_found") if status == 404 else t(f"identity.{refused.code}")
        return message(request, status, t("identity"), text, signed)
    return page(
        request, "unseal.html", staff=signed.account, csrf=signed.session.csrf,
        subject_id=subject, case_id=case_id, error="", person=person,
        purpose=purpose,
    )  # fmt: skip
