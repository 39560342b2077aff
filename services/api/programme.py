"""What a coordinator reads of the programme: its report, with the case indicators beside it.

``GET /v1/programme/report`` answers the same report as ``povezimo report programme``, as JSON by
default, or Markdown, HTML (with its charts) or PDF. The case indicators in it come through the
release door like every other figure a coordinator sees; the programme's own figures hold no
person. Bad months, months out of order, an unknown municipality: 422 with a code.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.api.auth import require
from services.api.context import ApiContext, api_context
from services.api.errors import ApiError, ErrorBody
from services.api.tokens import Principal, Role
from services.disclosure.release import Caller
from services.reports.programme import ProgrammeReportRequest, ReportError, programme_report
from services.reports.render import MEDIA_TYPES, render

router = APIRouter(prefix="/v1/programme", tags=["coordinators"])
Coordinator = Annotated[Principal, Depends(require(Role.COORDINATOR))]
Context = Annotated[ApiContext, Depends(api_context)]


def _month_query() -> dict[str, Any]:
    return {"max_length": 7, "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "description": "YYYY-MM"}


@router.get(
    "/report",
    responses={
        200: {
            "description": "The report: JSON (counts beside their labels), or the chosen format.",
            "content": {t: {} for t in ("text/markdown", "text/html", "application/pdf")},
        },
        422: {"model": ErrorBody},
    },
)
def report(
    coordinator: Coordinator,
    context: Context,
    start: Annotated[str | None, Query(alias="from", **_month_query())] = None,
    end: Annotated[str | None, Query(alias="to", **_month_query())] = None,
    municipality: Annotated[str | None, Query(max_length=60)] = None,
    format: Annotated[Literal["json", "md", "html", "pdf"], Query()] = "json",
    lang: Annotated[Literal["sr", "en"], Query()] = "sr",
) -> Any:
    """The programme's activities, participants, agreements in force and services established
    from ``from`` to ``to`` (every month recorded when omitted), in one ``municipality`` or all,
    beside the disclosure-controlled case indicators of the same places and months."""
    try:
        found = programme_report(
            context.platform,
            ProgrammeReportRequest(start, end, municipality),
            caller=Caller(f"{coordinator.institution} (token {coordinator.token_id})", "api"),
            now=context.clock(),
        ).to_json()
    except ReportError as error:
        raise ApiError(422, error.code, str(error)) from None
    if format == "json":
        return found
    return Response(render(found, format, lang), media_type=MEDIA_TYPES[format])
