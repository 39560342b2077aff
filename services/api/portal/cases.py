"""The portal's list of the institution's cases: what ``GET /v1/cases`` answers, a page at a time.

The same query as the API's (``consumers.queries.cases_for``), so a case the institution takes no
part in is never listed; every case shown on a page is recorded on the access log, as the API
records the cases it lists.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from consumers import queries
from services.api.context import api_context
from services.api.portal.i18n import translator
from services.api.portal.pages import (
    lang_of,
    message,
    outages_as_pages,
    page,
    reader_for,
    redirect,
    signed_in,
)

router = APIRouter(prefix="/portal", include_in_schema=False)

CASES_PER_PAGE = 25
LAST_PAGE = 10_000  # far beyond any institution's cases; keeps the offset a small number


def page_number(asked: str) -> int | None:
    """The page a ``?page=`` asks for (1 when absent), or None when it is not a page number."""
    if not asked:
        return 1
    if not asked.isascii() or not asked.isdigit() or len(asked) > 5:
        return None
    number = int(asked)
    return number if 1 <= number <= LAST_PAGE else None


@router.get("/cases")
@outages_as_pages
def case_list(request: Request, status: str = "") -> Response:
    signed = signed_in(request)
    if signed is None:
        return redirect(request, "/portal")
    t = translator(lang_of(request))
    number = page_number(request.query_params.get("page", ""))
    if number is None or status not in {"", "open", "closed"}:
        return message(request, 422, t("cases"), t("bad_page"), signed)
    context = api_context(request)
    reader = reader_for(context, signed.account)
    with context.platform.views_engine.connect() as conn:
        # One more than a page tells whether a next page exists without counting them all.
        found = queries.cases_for(
            conn,
            reader.institution,
            status=status or None,
            limit=CASES_PER_PAGE + 1,
            offset=(number - 1) * CASES_PER_PAGE,
        )
    shown = found[:CASES_PER_PAGE]
    reader.record("case-list", (c["case_id"] for c in shown))
    return page(
        request,
        "cases.html",
        staff=signed.account,
        csrf=signed.session.csrf,
        cases=shown,
        page_number=number,
        has_next=len(found) > CASES_PER_PAGE,
        case_status=status,
    )
