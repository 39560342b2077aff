"""Which account submitted which event from the portal's forms.

The event itself names only the institution and the staff role (``ActorRole`` leaves "who
exactly" to the institution's own system); for the institutions without one, the portal is that
system and keeps this record, as it keeps its accounts' answers to referrals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Engine, MetaData, Row, String, Table, insert, select
from sqlalchemy.exc import IntegrityError

from services.platform.sql import UtcDateTime, create_schema

metadata = MetaData()
submissions_table = Table(
    "portal_submissions",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("username", String(64), nullable=False),
    Column("institution", String(120), nullable=False, index=True),
    Column("event_type", String(60), nullable=False),
    Column("case_id", String(36), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)


@dataclass(frozen=True, slots=True)
class PortalSubmission:
    event_id: str
    username: str
    event_type: str
    case_id: str
    at: dt.datetime


class SubmissionLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_schema(engine, metadata)

    def record(
        self,
        *,
        event_id: str,
        account_id: str,
        username: str,
        institution: str,
        event_type: str,
        case_id: str,
        now: dt.datetime,
    ) -> None:
        try:
            with self.engine.begin() as tx:
                tx.execute(
                    insert(submissions_table).values(
                        event_id=event_id, account_id=account_id, username=username,
                        institution=institution, event_type=event_type, case_id=case_id, at=now,
                    )
                )  # fmt: skip
        except IntegrityError:
            pass  # the same form sent twice: one event, recorded once

    def find(self, event_id: str, institution: str) -> PortalSubmission | None:
        """The institution's submission ``event_id``; None for another institution's."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(submissions_table)
                .where(submissions_table.c.event_id == event_id)
                .where(submissions_table.c.institution == institution)
            ).first()
        return None if row is None else _submission(row)

    def latest(self, institution: str, limit: int = 20) -> list[PortalSubmission]:
        """The institution's latest submissions from the portal, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(submissions_table)
                .where(submissions_table.c.institution == institution)
                .order_by(submissions_table.c.at.desc(), submissions_table.c.event_id)
                .limit(limit)
            ).all()
        return [_submission(row) for row in rows]


def _submission(row: Row[Any]) -> PortalSubmission:
    return PortalSubmission(row.event_id, row.username, row.event_type, row.case_id, row.at)
