"""The one door out of the regional aggregate: every table a coordinator sees passes here.

The CLI, the HTTP API and the dashboard call ``release``, never the tables. A release is a view
of the indicator's protected cube (``services.disclosure.cube``): its counts are frozen when a
closed month is first released (``services.disclosure.store``), and every cell any release can
show is published or withheld once, for every release, by ``services.disclosure.protection``,
so no combination of releases — groupings, period levels, thresholds, formats, doors — and no
event that arrives late gives back a withheld count. Only closed months are released: a month is
closed ``POVEZIMO_RELEASE_SETTLE_DAYS`` after its end. A release with ``epsilon`` is a
differentially private table instead (``services.disclosure.noisy``), charged to the budget every
time. Every release is recorded in the ledger auditors list.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection

from consumers import generalise as g
from consumers.indicators import INDICATORS, Facts, Indicator
from services.disclosure import funnel, privacy, store
from services.disclosure.cube import SPINE, Cell, Cube, Var, continuous, count_units, from_counts
from services.disclosure.model import (
    MAX_EPSILON,
    MIN_EPSILON,
    PERIODS,
    TOTAL,
    Release,
    ReleaseError,
    ReleaseRequest,
    branches_of,
)
from services.disclosure.noisy import tabulate
from services.disclosure.protection import protect
from services.disclosure.view import median_of, view
from services.platform.sql import write_transaction

if TYPE_CHECKING:
    from services.bootstrap import Platform

__all__ = [
    "MAX_EPSILON",
    "MIN_EPSILON",
    "TOTAL",
    "Caller",
    "MemoryState",
    "Release",
    "ReleaseError",
    "ReleaseRequest",
    "last_closed_month",
    "protected_release",
    "release",
    "releases",
]

# Releases from threads of one process take turns: the first to reach a month freezes it.
_ONE_AT_A_TIME = threading.Lock()


@dataclass(frozen=True)
class Caller:
    """Who asked, and through which door (for the ledger)."""

    who: str = "cli"
    channel: str = "cli"


def release(
    platform: Platform,
    request: ReleaseRequest,
    *,
    caller: Caller | None = None,
    now: dt.datetime | None = None,
) -> Release:
    """Release ``request`` of the aggregate as of ``now`` under disclosure control (a funnel as
    its stages' releases in one table, ``services.disclosure.funnel``)."""
    stages = funnel.stages(request)
    if stages is None:
        request.checked()
    settings = platform.settings
    floor = settings.disclosure_threshold
    if request.threshold < floor:
        # The operator's threshold is a floor: a release may be stricter, never looser.
        raise ReleaseError(
            "threshold_below_policy",
            f"the threshold may not go below {floor} (POVEZIMO_DISCLOSURE_THRESHOLD)",
        )
    now = now or dt.datetime.now(dt.UTC)
    horizon = last_closed_month(now, settings.release_settle_days)
    # A writer from the start: a release reads the facts, then freezes months and records
    # itself. Begun as a reader, its first write failed at once (SQLite cannot upgrade a read
    # snapshot another writer has moved past, such as the aggregate runner's batch or its
    # lease renewal); begun as a writer it waits its turn.
    with _ONE_AT_A_TIME, write_transaction(platform.aggregate_engine) as conn:
        store.create(conn)
        facts = Facts.load(conn)

        def one(asked: ReleaseRequest) -> Release:
            if asked.epsilon is None:
                return protected_release(SqlState(conn), facts, asked, floor, horizon)
            return _noisy(conn, facts, asked, platform, horizon)

        if stages is None:
            published = one(request)
        else:
            published = funnel.combine(request, [one(stage) for stage in stages])
        store.record(conn, _entry(published, caller or Caller(), now))
        return published


def releases(platform: Platform, since: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every release recorded in the ledger (since ``since``), oldest first, for auditors."""
    with platform.aggregate_engine.begin() as conn:
        store.create(conn)
        return store.releases(conn, since)


def last_closed_month(now: dt.datetime, settle_days: int) -> str:
    """The latest month that ended at least ``settle_days`` before ``now``."""
    settled = g.month_of(now - dt.timedelta(days=settle_days))
    return g.month_of(g.shift_month(settled, -1))


# -- the protected cube, with its state kept where the caller keeps it -----------------------------


class ReleaseState(Protocol):
    """Where frozen counts and decisions are kept (the aggregate's database, or memory)."""

    def frozen(self, indicator: str) -> tuple[set[str], dict[Var, int]]: ...

    def freeze(self, indicator: str, bases: set[str], counts: Mapping[Var, int]) -> None: ...

    def decided(self, indicator: str, threshold: int) -> dict[Cell, tuple[bool, int]]: ...

    def decide(
        self, indicator: str, threshold: int, cells: Mapping[Cell, tuple[bool, int]]
    ) -> None: ...


@dataclass
class SqlState:
    conn: Connection

    def frozen(self, indicator: str) -> tuple[set[str], dict[Var, int]]:
        return store.frozen(self.conn, indicator)

    def freeze(self, indicator: str, bases: set[str], counts: Mapping[Var, int]) -> None:
        store.freeze(self.conn, indicator, bases, counts)

    def decided(self, indicator: str, threshold: int) -> dict[Cell, tuple[bool, int]]:
        return store.decided(self.conn, indicator, threshold)

    def decide(
        self, indicator: str, threshold: int, cells: Mapping[Cell, tuple[bool, int]]
    ) -> None:
        store.decide(self.conn, indicator, threshold, cells)


@dataclass
class MemoryState:
    """The same state in memory (tests, and what-if runs)."""

    bases: dict[str, set[str]] = field(default_factory=dict)
    counts: dict[str, dict[Var, int]] = field(default_factory=dict)
    decisions: dict[tuple[str, int], dict[Cell, tuple[bool, int]]] = field(default_factory=dict)

    def frozen(self, indicator: str) -> tuple[set[str], dict[Var, int]]:
        return set(self.bases.get(indicator, ())), dict(self.counts.get(indicator, {}))

    def freeze(self, indicator: str, bases: set[str], counts: Mapping[Var, int]) -> None:
        self.bases.setdefault(indicator, set()).update(bases)
        kept = self.counts.setdefault(indicator, {})
        kept.update({v: n for v, n in counts.items() if v.base in bases})

    def decided(self, indicator: str, threshold: int) -> dict[Cell, tuple[bool, int]]:
        return dict(self.decisions.get((indicator, threshold), {}))

    def decide(
        self, indicator: str, threshold: int, cells: Mapping[Cell, tuple[bool, int]]
    ) -> None:
        self.decisions.setdefault((indicator, threshold), {}).update(cells)


def protected_release(
    state: ReleaseState, facts: Facts, request: ReleaseRequest, floor: int, horizon: str
) -> Release:
    """The release of ``request`` as a view of its indicator's protected cube, the cube frozen
    and decided as far as ``horizon`` (the last closed month) in ``state``."""
    found, by = request.checked()
    cube = frozen_cube(state, facts, found, horizon)
    branches = set(branches_of(by))
    published = decisions(state, cube, found.name, floor, request.threshold, branches)
    units = list(found.units(facts, by)) if found.kind == "median" else []
    return view(
        cube, published, found, by, request, medians=lambda cell: median_of(units, cube, cell)
    )


def frozen_cube(state: ReleaseState, facts: Facts, found: Indicator, horizon: str) -> Cube:
    """The indicator's cube through ``horizon``: counts of months released before as they were
    frozen then, and the months closed since frozen now. A month is frozen for every indicator
    at once, so two that count the same units (``reported_cases`` and a rate over every case)
    count them alike, and no difference between them tells of a case that arrived in between."""
    bases, counts, froze = _freeze(state, facts, found, horizon)
    if froze:
        for other in INDICATORS.values():
            if other.name != found.name:
                _freeze(state, facts, other, horizon)
    return from_counts(found.name, found.kind, counts, bases)


def _freeze(
    state: ReleaseState, facts: Facts, found: Indicator, horizon: str
) -> tuple[list[str], dict[Var, int], bool]:
    """The base periods and counts of ``found`` through ``horizon``, freezing the closed ones not
    frozen yet; and whether any was."""
    last = horizon if found.kind != "distinct" else _last_closed_year(horizon)
    level = "year" if found.kind == "distinct" else "month"
    frozen_bases, counts = state.frozen(found.name)
    if frozen_bases and last in frozen_bases:
        # Frozen from its first month through ``last`` (freezing fills every month between):
        # the live counts cannot change it.
        return continuous([min(frozen_bases), last], level), counts, False
    live = indicator_counts(found, facts)
    known = sorted({v.base for v in live} | frozen_bases | {v.base for v in counts})
    known = [b for b in known if b <= last]
    if not known:
        return [], {}, False
    # Once a month is frozen, so is every month before it: a case dated earlier that arrives
    # later is counted in no release, as for any released month.
    first = min(frozen_bases) if frozen_bases else known[0]
    bases = continuous([first, last], level)
    new = set(bases) - frozen_bases
    if new:
        fresh = {v: n for v, n in live.items() if v.base in new}
        state.freeze(found.name, new, fresh)
        counts |= fresh
    return bases, counts, bool(new)


def indicator_counts(found: Indicator, facts: Facts) -> dict[Var, int]:
    """The finest counts of an indicator: its spine (area × base period) and each other
    dimension it offers (area × base period × category)."""
    base = "year" if found.kind == "distinct" else "month"
    spine = [
        (str(u.dims["municipality"]), str(u.dims[base]), u.numerator, u.key)
        for u in found.units(facts, ("municipality", "month"))
    ]
    branches = {
        d: [
            (str(u.dims["municipality"]), str(u.dims[base]), u.dims[d], u.numerator, u.key)
            for u in found.units(facts, ("municipality", "month", d))
        ]
        for d in found.allowed
        if d not in (*PERIODS, "municipality")
    }
    return count_units(found.kind, spine, branches)


def decisions(
    state: ReleaseState, cube: Cube, name: str, floor: int, threshold: int, branches: set[str]
) -> dict[Cell, bool]:
    """Whether each cell is published at ``threshold``, deciding the cells not decided yet: at
    the operator's threshold first, then at each stricter one in turn, each withholding at least
    what the one below withholds. So a stricter table shows nothing a laxer one hides, and the
    tables at one threshold and above together tell no more than the table at that threshold."""
    withheld: set[Cell] = set()
    for level in range(floor, threshold + 1):
        decided = _decide(state, cube, name, level, branches, withheld)
        withheld = {c for c, published in decided.items() if not published}
    return decided


def _decide(
    state: ReleaseState,
    cube: Cube,
    name: str,
    threshold: int,
    branches: set[str],
    floor: set[Cell],
) -> dict[Cell, bool]:
    known = state.decided(name, threshold)
    wanted = branches | {c.branch for c in known} - {SPINE}
    new = [c for c in cube.cells(wanted) if c not in known]
    if new:
        # A cell of a period beyond this cube's horizon was decided under a clock set later.
        fixed = {c: published for c, (published, _) in known.items() if cube.covers(c)}
        withheld = protect(cube, threshold, wanted, fixed, floor)
        decided = {c: (c not in withheld, cube.value(c)) for c in new}
        state.decide(name, threshold, decided)
        known |= decided
    return {c: published for c, (published, _) in known.items()}


def _last_closed_year(horizon: str) -> str:
    year, month = horizon.split("-")
    return year if month == "12" else str(int(year) - 1)


# -- differentially private tables --------------------------------------------------------------


def _noisy(
    conn: Connection, facts: Facts, request: ReleaseRequest, platform: Platform, horizon: str
) -> Release:
    """A noisy table of the closed months, charged to the budget however often it is asked."""
    settings = platform.settings
    found, _by = request.checked()
    bound = settings.contribution_bound
    tables = 2 if found.kind == "rate" else 1
    share = (request.epsilon or 0.0) / tables  # a rate releases two tables: the budget is split

    def noise(counts: list[int]) -> list[int]:
        return privacy.noisy_counts(counts, share, bound)

    limit = request.period()

    def closed(unit: object) -> bool:
        month = str(getattr(unit, "dims", {}).get("month", ""))
        return month <= horizon and (limit is None or limit.first <= month <= limit.last)

    published = tabulate(facts, request, noise=noise, bound=bound, keep=closed)
    if limit is not None:
        published.period_from = limit.first if request.period_from else None
        published.period_to = limit.last if request.period_to else None
    privacy.charge(
        conn, uuid.uuid4().hex, request.indicator, published.by, request.epsilon or 0.0,
        settings.privacy_budget, published.to_json(),
    )  # fmt: skip
    return published


def _entry(published: Release, caller: Caller, now: dt.datetime) -> dict[str, object]:
    table = json.dumps(published.to_json(), sort_keys=True, default=str)
    return {
        "released_at": now,
        "released_by": caller.who,
        "channel": caller.channel,
        "indicator": published.indicator,
        "grouping": list(published.by),
        "threshold": published.threshold,
        "epsilon": published.epsilon,
        "period_from": published.period_from,
        "period_to": published.period_to,
        "digest": hashlib.sha256(table.encode()).hexdigest(),
    }
