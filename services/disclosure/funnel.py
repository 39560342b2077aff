"""A funnel's release (``consumers.indicators.FUNNELS``): its stages' releases in one table.

Each stage is released as its indicator alone would be — the indicator's cube, its decisions,
its frozen counts, at the same grouping, threshold and period — and the table puts their counts
side by side, one measure per stage. So it shows no number the stages' own releases do not, and
the protection of every indicator against every combination of its releases holds for it
unchanged. Where a stage's table has no row that the first stage's has (no referral was ever
declined in a place), its measure is withheld (``None``) rather than shown as a number that
stage never released. With ``epsilon``, each stage is a noisy table with an equal share of it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from consumers.indicators import FUNNELS
from services.disclosure.model import (
    ALIASES,
    MAX_EPSILON,
    MIN_EPSILON,
    Release,
    ReleaseError,
    ReleaseRequest,
)


def stages(request: ReleaseRequest) -> list[ReleaseRequest] | None:
    """The release of each stage ``request`` asks for, checked; ``None`` when it names no
    funnel."""
    funnel = FUNNELS.get(request.indicator)
    if funnel is None:
        return None
    for dim in (ALIASES.get(d, d) for d in request.by):
        if dim not in funnel.allowed:
            raise ReleaseError(
                "unknown_dimension",
                f"{funnel.name} has no dimension {dim!r}: {', '.join(funnel.allowed)}",
            )
    share = None
    if request.epsilon is not None:
        share = request.epsilon / len(funnel.stages)  # every stage is a table of its own
        if share < MIN_EPSILON or request.epsilon > MAX_EPSILON:
            low = MIN_EPSILON * len(funnel.stages)
            raise ReleaseError(
                "bad_epsilon", f"a funnel's epsilon is from {low:g} to {MAX_EPSILON:g}"
            )
    found = [dataclasses.replace(request, indicator=name, epsilon=share)
             for _, name in funnel.stages]  # fmt: skip
    for stage in found:
        stage.checked()
    return found


def combine(request: ReleaseRequest, published: Sequence[Release]) -> Release:
    """The stages' tables as one, on the rows of the first stage (the widest)."""
    funnel = FUNNELS[request.indicator]
    first = published[0]
    measures = tuple(measure for measure, _ in funnel.stages)
    out = Release(funnel.name, funnel.description, funnel.kind, first.by, request.threshold,
                  request.epsilon, measures, period_from=first.period_from,
                  period_to=first.period_to)  # fmt: skip
    counts = [{_labels(row, stage.by): row["count"] for row in stage.rows} for stage in published]
    for row in first.rows:
        key = _labels(row, first.by)
        out.rows.append(
            {d: row[d] for d in first.by}
            | {measure: shown.get(key) for measure, shown in zip(measures, counts, strict=True)}
        )
    return out


def _labels(row: dict[str, object], by: tuple[str, ...]) -> tuple[object, ...]:
    return tuple(row[d] for d in by)
