"""The one door out of the regional aggregate: every table a coordinator sees passes here.

``release`` reads the aggregate, tabulates an indicator by the dimensions asked for, optionally adds
differentially private noise (charging the budget ledger), and applies disclosure control
(``services.disclosure.suppression``) to every count table with its margins. The CLI calls it; the
HTTP API and the dashboard must call it too, never the tables. ``tabulate`` is the same without I/O.

Layout: the first dimension gives the rows, the others together the columns, so a table with its
row and column totals is what disclosure control protects. A withheld value is ``None``; a rate
or median is withheld whenever a count it is made of is. Where one unit sits in several cells (a
case with two violence types, a case once per measure type) the totals add (unit, cell) pairs, so
they carry no rate.
"""

from __future__ import annotations

import itertools
import json
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from consumers.indicators import INDICATORS, Facts, Indicator, Unit
from services.disclosure import privacy
from services.disclosure.suppression import Grid, Position, suppress

if TYPE_CHECKING:
    from services.bootstrap import Platform

TOTAL = "*"
PERIODS = ("month", "quarter", "year")
ALIASES = {"area": "municipality", "pool": "municipality"}


class ReleaseError(ValueError):
    """A release asked for something that does not exist; ``code`` says what."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


MIN_EPSILON = 0.01
"""Below it the noise drowns any count (and OpenDP's search for its scale fails)."""
MAX_EPSILON = 10.0
"""Above it the noise protects nobody; the budget is smaller anyway."""


@dataclass(frozen=True)
class ReleaseRequest:
    indicator: str = "reported_cases"
    by: tuple[str, ...] = ("municipality", "month")
    threshold: int = 5
    epsilon: float | None = None

    def checked(self) -> tuple[Indicator, tuple[str, ...]]:
        found = INDICATORS.get(self.indicator)
        if found is None:
            raise ReleaseError(
                "unknown_indicator", f"no indicator {self.indicator!r}: {', '.join(INDICATORS)}"
            )
        by = tuple(ALIASES.get(d, d) for d in self.by)
        for dim in by:
            if dim not in found.allowed:
                raise ReleaseError(
                    "unknown_dimension",
                    f"{self.indicator} has no dimension {dim!r}: {', '.join(found.allowed)}",
                )
        if len(set(by)) != len(by) or len(set(by) & set(PERIODS)) > 1:
            raise ReleaseError("dimensions_overlap", "name each dimension, and one period, once")
        if self.threshold < 1:
            raise ReleaseError("bad_threshold", "the threshold is at least 1")
        if self.epsilon is not None and not MIN_EPSILON <= self.epsilon <= MAX_EPSILON:
            raise ReleaseError("bad_epsilon", f"epsilon is from {MIN_EPSILON:g} to {MAX_EPSILON:g}")
        if self.epsilon is not None and found.kind == "median":
            raise ReleaseError("bad_epsilon", "a median has no private version")
        return found, by


@dataclass
class Release:
    indicator: str
    description: str
    kind: str
    by: tuple[str, ...]
    threshold: int
    epsilon: float | None
    measures: tuple[str, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"by": list(self.by), "measures": list(self.measures)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Release:
        return cls(**(data | {"by": tuple(data["by"]), "measures": tuple(data["measures"])}))


@dataclass
class _Layout:
    rows: list[tuple[str, ...]]
    cols: list[tuple[str, ...]]
    cells: list[tuple[Unit, Position]]

    @property
    def expanded(self) -> bool:
        """Whether a unit sits in several cells (a case with two violence types): its totals
        then add (unit, cell) pairs, and a rate over them is not the indicator's."""
        return len({u.origin or id(u) for u, _ in self.cells}) < len(self.cells)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.cols)


def _layout(units: Sequence[Unit], by: tuple[str, ...]) -> _Layout:
    row_dims, col_dims = by[:1], by[1:]
    placed: list[tuple[Unit, tuple[str, ...], tuple[str, ...]]] = []
    for unit in units:
        choices = [
            [v] if isinstance(v := unit.dims[d], str) else list(v) for d in (*row_dims, *col_dims)
        ]
        for combo in itertools.product(*choices):
            placed.append((unit, combo[: len(row_dims)], combo[len(row_dims) :]))
    rows = sorted({r for _, r, _ in placed})
    cols = sorted({c for _, _, c in placed})
    row_at, col_at = {r: i for i, r in enumerate(rows)}, {c: j for j, c in enumerate(cols)}
    return _Layout(rows, cols, [(u, (row_at[r], col_at[c])) for u, r, c in placed])


def _counts(
    layout: _Layout, keep: bool | None, bound: int | None
) -> tuple[list[list[int]], list[tuple[str, int]]]:
    """Interior counts; ``keep`` True counts numerator units only; distinct keys once a cell."""
    rows, cols = layout.shape
    entries: list[tuple[str, int]] = []
    seen: set[tuple[str, Position]] = set()
    for unit, (i, j) in layout.cells:
        if keep and not unit.numerator:
            continue
        if unit.key is not None:
            if (unit.key, (i, j)) in seen:
                continue
            seen.add((unit.key, (i, j)))
        entries.append((unit.person, i * cols + j))
    if bound is not None:
        entries = privacy.bound_contributions(entries, bound)
    flat = [0] * (rows * cols)
    for _, index in entries:
        flat[index] += 1
    return [flat[i * cols : (i + 1) * cols] for i in range(rows)], entries


def _protected(cells: list[list[int]], threshold: int) -> dict[Position, int | None]:
    grid = Grid.of(cells)
    withheld = suppress(grid, threshold)
    return {p: (None if p in withheld else v) for p, v in grid.values.items()}


def _labels(layout: _Layout, by: tuple[str, ...], position: Position) -> dict[str, str]:
    i, j = position
    row = layout.rows[i] if i < len(layout.rows) else (TOTAL,) * len(by[:1])
    col = layout.cols[j] if j < len(layout.cols) else (TOTAL,) * len(by[1:])
    return dict(zip(by, (*row, *col), strict=True))


def tabulate(
    facts: Facts, request: ReleaseRequest, *, noise: Any = None, bound: int | None = None
) -> Release:
    """The protected release of ``request`` over ``facts`` (no I/O).

    ``noise`` (counts → noisy counts) is applied to every interior count table before disclosure
    control; totals are sums of the noisy cells, so the release stays consistent."""
    found, by = request.checked()
    units = list(found.units(facts, by))
    layout = _layout(units, by)
    rows, cols = layout.shape

    def table(keep: bool | None) -> dict[Position, int | None]:
        cells, _ = _counts(layout, keep, bound)
        if noise is not None:
            flat = noise([v for row in cells for v in row])
            cells = [flat[i * cols : (i + 1) * cols] for i in range(rows)]
        return _protected(cells, request.threshold)

    out = Release(found.name, found.description, found.kind, by, request.threshold,
                  request.epsilon, ())  # fmt: skip
    if not layout.cells:
        out.measures = ("numerator", "denominator", "rate") if found.kind == "rate" else ("count",)
        return out  # nothing to count: an empty table, not a table of zeros of unknown shape
    if found.kind == "rate":
        numerator, denominator = table(True), table(None)
        out.measures = ("numerator", "denominator", "rate")
        grid_cells = {(i, j) for i in range(rows) for j in range(cols)}
        for position in sorted(denominator):
            n, d = numerator[position], denominator[position]
            # min(…, 1): noise may lift a numerator above its denominator (post-processing).
            rate = round(min(n / d, 1.0), 4) if n is not None and d else None
            if layout.expanded and position not in grid_cells:
                rate = None
            out.rows.append(_labels(layout, by, position) | {"numerator": n, "denominator": d,
                                                             "rate": rate})  # fmt: skip
        return out
    counts = table(True)
    out.measures = ("count", "median_hours") if found.kind == "median" else ("count",)
    for position in sorted(counts):
        row: dict[str, Any] = _labels(layout, by, position) | {"count": counts[position]}
        if found.kind == "median":
            row["median_hours"] = _median(layout, position, counts[position])
        out.rows.append(row)
    return out


def _median(layout: _Layout, position: Position, count: int | None) -> float | None:
    if not count:
        return None
    i, j = position
    rows, cols = layout.shape
    values = [
        u.value
        for u, (ui, uj) in layout.cells
        if u.value is not None and (i == rows or ui == i) and (j == cols or uj == j)
    ]
    return float(statistics.median(values)) if values else None


def release(platform: Platform, request: ReleaseRequest) -> Release:
    """Read the aggregate and release ``request`` under disclosure control (and the budget)."""
    request.checked()
    settings = platform.settings
    if request.threshold < settings.disclosure_threshold:
        # The operator's threshold is a floor: a release may be stricter, never looser.
        raise ReleaseError(
            "threshold_below_policy",
            f"the threshold may not go below {settings.disclosure_threshold} "
            "(POVEZIMO_DISCLOSURE_THRESHOLD)",
        )
    with platform.aggregate_engine.begin() as conn:
        facts = Facts.load(conn)
        if request.epsilon is None:
            return tabulate(facts, request)
        bound = settings.contribution_bound
        exact = tabulate_counts_fingerprint(facts, request, bound)
        release_ps = platform.pseudonyms.pseudonym("release", exact, "all")
        previous = privacy.stored(conn, release_ps)
        if previous is not None:
            return Release.from_json(previous)
        tables = 2 if INDICATORS[request.indicator].kind == "rate" else 1
        share = request.epsilon / tables  # a rate releases two tables: the budget is split

        def noise(counts: list[int]) -> list[int]:
            return privacy.noisy_counts(counts, share, bound)

        published = tabulate(facts, request, noise=noise, bound=bound)
        privacy.charge(
            conn, release_ps, request.indicator, published.by, request.epsilon,
            settings.privacy_budget, published.to_json(),
        )  # fmt: skip
        return published


def tabulate_counts_fingerprint(facts: Facts, request: ReleaseRequest, bound: int) -> str:
    """What identifies a release: the request and its exact bounded counts (kept only as a
    keyed pseudonym, since a plain hash of small counts could be inverted by trying them)."""
    found, by = request.checked()
    layout = _layout(list(found.units(facts, by)), by)
    exact = [_counts(layout, keep, bound)[0] for keep in (True, None)]
    spec = [request.indicator, list(by), request.threshold, request.epsilon, bound]
    return json.dumps([spec, [layout.rows, layout.cols], exact], sort_keys=True)
