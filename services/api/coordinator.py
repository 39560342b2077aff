"""What a regional coordinator reads: indicators of the regional aggregate, as JSON or CSV.

Every table comes through ``services.disclosure.release.release``, the one door out of the
aggregate, so it is always disclosure-controlled: counts from 1 to threshold-1 are withheld
(``null`` in JSON, empty in CSV) together with the complementary cells that would give them back. A
coordinator may ask for a stricter threshold, never a looser one than the platform's.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from consumers.indicators import releasable
from services.api.auth import require
from services.api.context import ApiContext, api_context
from services.api.errors import ApiError, ErrorBody
from services.api.tokens import Principal, Role
from services.disclosure.privacy import BudgetExhausted
from services.disclosure.release import (
    MAX_EPSILON,
    MIN_EPSILON,
    Caller,
    Release,
    ReleaseError,
    ReleaseRequest,
    release,
)

router = APIRouter(prefix="/v1/aggregate", tags=["coordinators"])
Coordinator = Annotated[Principal, Depends(require(Role.COORDINATOR))]
Context = Annotated[ApiContext, Depends(api_context)]


class IndicatorInfo(BaseModel):
    name: str
    kind: str
    dimensions: list[str]
    description: str


class ReleaseBody(BaseModel):
    indicator: str
    description: str
    kind: str
    by: list[str]
    threshold: int
    epsilon: float | None
    measures: list[str]
    rows: list[dict[str, Any]]
    period_from: str | None = None
    period_to: str | None = None


@router.get("/indicators", response_model=list[IndicatorInfo])
def indicators(_coordinator: Coordinator) -> list[IndicatorInfo]:
    """The indicators that can be released, with the dimensions each may be broken down by."""
    return [
        IndicatorInfo(
            name=i.name, kind=i.kind, dimensions=list(i.allowed), description=i.description
        )
        for i in releasable()
    ]


def published(
    context: ApiContext,
    caller: Principal,
    indicator: str,
    by: str,
    threshold: int | None,
    epsilon: float | None,
    period_from: str | None = None,
    period_to: str | None = None,
) -> Release:
    """A disclosure-controlled release, or the reason there is none as an ``ApiError``."""
    floor = context.platform.settings.disclosure_threshold
    if threshold is not None and threshold < floor:
        raise ApiError(
            422, "threshold_below_policy", f"the disclosure threshold is at least {floor}"
        )
    request = ReleaseRequest(
        indicator=indicator,
        by=tuple(d.strip() for d in by.split(",") if d.strip()),
        threshold=threshold or floor,
        epsilon=epsilon,
        period_from=period_from,
        period_to=period_to,
    )
    if not request.by:
        raise ApiError(422, "no_dimension", "name at least one dimension in by")
    try:
        who = Caller(f"{caller.institution} (token {caller.token_id})", "api")
        return release(context.platform, request, caller=who, now=context.clock())
    except ReleaseError as error:
        status = 404 if error.code == "unknown_indicator" else 422
        raise ApiError(status, error.code, str(error)) from None
    except BudgetExhausted as error:
        raise ApiError(409, error.code, str(error)) from None


def as_csv(found: Release) -> str:
    """One row per cell and total (``*`` marks a total); a withheld value is an empty field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = [*found.by, *found.measures]
    writer.writerow(columns)
    for row in found.rows:
        writer.writerow(["" if row[c] is None else row[c] for c in columns])
    return buffer.getvalue()


_FROM = "First period, inclusive: a year (2025), quarter (2025-Q1), month or a month's first day."
_TO = "Last period, inclusive: a year, quarter, month, or a month's last day (2025-12-31)."


@router.get(
    "/indicators/{indicator}",
    response_model=ReleaseBody,
    responses={
        200: {"content": {"text/csv": {}}},
        404: {"model": ErrorBody},
        409: {"model": ErrorBody, "description": "The privacy budget is spent."},
        422: {"model": ErrorBody},
    },
)
def indicator_table(
    indicator: str,
    coordinator: Coordinator,
    context: Context,
    by: Annotated[
        str, Query(max_length=200, description="Dimensions, comma-separated; the first gives rows.")
    ] = "municipality,month",
    threshold: Annotated[int | None, Query(ge=1, le=1000)] = None,
    epsilon: Annotated[
        float | None,
        Query(
            ge=MIN_EPSILON,
            le=MAX_EPSILON,
            description=f"Add differentially private noise: {MIN_EPSILON:g} to {MAX_EPSILON:g}.",
        ),
    ] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    period_from: Annotated[
        str | None, Query(alias="from", max_length=10, description=_FROM)
    ] = None,
    period_to: Annotated[str | None, Query(alias="to", max_length=10, description=_TO)] = None,
) -> Any:
    """An indicator broken down by ``by``, disclosure-controlled (withheld values are null);
    with ``from``/``to``, limited to whole periods of its period dimension."""
    found = published(
        context, coordinator, indicator, by, threshold, epsilon, period_from, period_to
    )
    if format == "csv":
        return Response(
            as_csv(found),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{found.indicator}.csv"'},
        )
    return ReleaseBody.model_validate(found.to_json())
