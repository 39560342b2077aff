"""The exchange's decisions, as the rest of the platform may read them.

The exchange keeps its tables to itself (``consumers.exchange_state``); the API (a submission's
status, the metrics), the demo and the restore read what it decided through these functions, each
given a connection to the exchange's database. ``consumers.queries`` does the same for the views.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, bindparam, func, select

from consumers.exchange_state import referrals_table, submissions_table

_columns = submissions_table.c
# Asked after every batch the demo submits: built once.
_DECIDED_AMONG = select(func.count()).where(_columns.event_id.in_(bindparam("ids", expanding=True)))


@dataclass(frozen=True)
class Decision:
    """What the exchange decided about one submission."""

    event_id: str
    status: Literal["accepted", "rejected"]
    institution: str
    event_type: str | None
    case_id: str | None
    code: str | None  # the rejection's machine-readable code
    reason: str | None


def decision(conn: Connection, event_id: str, institution: str) -> Decision | None:
    """The decision on ``institution``'s submission ``event_id`` (None: not decided, or not its)."""
    row = conn.execute(
        select(
            _columns.event_id,
            _columns.status,
            _columns.institution,
            _columns.event_type,
            _columns.case_id,
            _columns.code,
            _columns.reason,
        )
        .where(_columns.event_id == event_id)
        .where(_columns.institution == institution)
    ).first()
    return None if row is None else Decision(*row)


def decided_among(conn: Connection, event_ids: Sequence[str]) -> int:
    """How many of ``event_ids`` the exchange has decided."""
    return int(conn.execute(_DECIDED_AMONG, {"ids": list(event_ids)}).scalar_one())


def outcomes(conn: Connection) -> list[tuple[str, str, str | None]]:
    """Every decision as ``(event_id, status, code)``."""
    rows = conn.execute(select(_columns.event_id, _columns.status, _columns.code)).all()
    return [(row[0], row[1], row[2]) for row in rows]


def counts_by_status(conn: Connection) -> dict[str, int]:
    """How many submissions were accepted and how many rejected."""
    query = select(_columns.status, func.count()).group_by(_columns.status)
    return {status: count for status, count in conn.execute(query).all()}


def rejections_by_code(conn: Connection) -> dict[str | None, int]:
    """How many submissions were rejected, by the rejection's code."""
    query = (
        select(_columns.code, func.count())
        .where(_columns.status == "rejected")
        .group_by(_columns.code)
    )
    return {code: count for code, count in conn.execute(query).all()}


def accepted_cases(conn: Connection) -> dict[str, str | None]:
    """Every accepted submission's event id, with its case id."""
    query = select(_columns.event_id, _columns.case_id).where(_columns.status == "accepted")
    return {event_id: case_id for event_id, case_id in conn.execute(query).all()}


@dataclass(frozen=True)
class ReferralState:
    """A referral as the exchange last decided it: its case and status."""

    case_id: str
    status: str


def referral_state(
    conn: Connection, referral_id: str, institution: str, *, as_sender: bool
) -> ReferralState | None:
    """The referral ``institution`` sent (``as_sender``) or received; None for anyone else.

    The exchange's own record, ahead of the views: a recipient told of a referral by its inbox
    can answer it at once, before the views have caught up.
    """
    side = referrals_table.c.sender if as_sender else referrals_table.c.recipient
    row = conn.execute(
        select(referrals_table.c.case_id, referrals_table.c.status)
        .where(referrals_table.c.referral_id == referral_id)
        .where(side == institution)
    ).first()
    return ReferralState(row.case_id, row.status) if row else None
