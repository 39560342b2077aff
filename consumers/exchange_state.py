"""The exchange's own state (decided submissions, cases, participants, referrals) and the
batch-scoped view of it the exchange checks against.

The exchange decides records one by one, but reads what it needs for a whole batch in a few
queries and writes its decisions in bulk when the batch ends, inside the runner's transaction: a
batch that fails leaves nothing behind, and the next one starts from the tables again. Within a
batch every decision sees the ones before it, because reads and writes go through ``BatchState``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from consumers.participation import Participation
from consumers.programme_ledger import TABLES as PROGRAMME_TABLES
from consumers.programme_ledger import ProgrammeLedger
from consumers.resend_queue import ResendQueue, resend_queue_table

metadata = MetaData()
submissions_table = Table(
    "exchange_submissions",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("status", String(10), nullable=False),  # accepted | rejected
    Column("code", String(50), nullable=True),
    Column("reason", Text, nullable=True),
    Column("institution", String(120), nullable=False),
    Column("event_type", String(60), nullable=True),
    Column("case_id", String(36), nullable=True),
    Column("topic", String(249), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    # The lease epoch of the member that decided it (``consumers.lease``); none before leases.
    Column("epoch", BigInteger, nullable=True),
)
cases_table = Table(
    "exchange_cases",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("opened_by", String(120), nullable=False),
    Column("municipality", String(60), nullable=True),
    Column("closed", Boolean, nullable=False, default=False),
)
participants_table = Table(
    "exchange_participants",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("institution", String(120), primary_key=True),
    Column("role", String(30), primary_key=True),
    Column("via", String(36), primary_key=True),
)
referrals_table = Table(
    "exchange_referrals",
    metadata,
    Column("referral_id", String(36), primary_key=True),
    Column("case_id", String(36), nullable=False),
    Column("sender", String(120), nullable=False),
    Column("recipient", String(120), nullable=False),
    Column("status", String(12), nullable=False),
    # Each batch reads the referrals of its cases (``_REFERRALS_OF_CASES``): without it, a scan
    # of every referral ever sent, per batch.
    Index("exchange_referrals_by_case", "case_id"),
)
TABLES = (
    submissions_table,
    cases_table,
    participants_table,
    referrals_table,
    resend_queue_table,
    *PROGRAMME_TABLES,
)
_CHUNK = 500  # bound parameters per IN (…) list, well under every engine's limit

# Built once: a statement built per call spent more on SQLAlchemy's construction and cache keys
# than on the query (a sixth of the exchange's time in the demo).
_IDS: Any = bindparam("ids", expanding=True)
_OUTCOMES = select(
    submissions_table.c.event_id, submissions_table.c.status, submissions_table.c.institution
)
_OUTCOMES_OF = _OUTCOMES.where(submissions_table.c.event_id.in_(_IDS))
_CASES_OF = select(cases_table).where(cases_table.c.case_id.in_(_IDS))
_PARTICIPANTS_OF = select(participants_table.c.case_id, participants_table.c.institution).where(
    participants_table.c.case_id.in_(_IDS)
)
_REFERRALS_OF_CASES = select(referrals_table).where(referrals_table.c.case_id.in_(_IDS))
_REFERRALS_OF = select(referrals_table).where(referrals_table.c.referral_id.in_(_IDS))
_END_REFERRAL_PARTICIPATION = (
    delete(participants_table)
    .where(participants_table.c.case_id == bindparam("case"))
    .where(participants_table.c.role == "referral_recipient")
    .where(participants_table.c.via == bindparam("referral"))
)
_INSERT_REFERRALS = insert(referrals_table)
_INSERT_OUTCOMES = insert(submissions_table)
_SET_CLOSED = (
    update(cases_table)
    .where(cases_table.c.case_id == bindparam("case"))
    .values(closed=bindparam("is_closed"))
)
_SET_REFERRAL_STATUS = (
    update(referrals_table)
    .where(referrals_table.c.referral_id == bindparam("referral"))
    .values(status=bindparam("new_status"))
)


@dataclass
class Case:
    case_id: str
    opened_by: str
    municipality: str | None
    closed: bool


class Outcome(NamedTuple):
    """How an event_id was decided before, and for whom."""

    status: str  # accepted | rejected
    institution: str


@dataclass
class Referral:
    referral_id: str
    case_id: str
    sender: str
    recipient: str
    status: str


class BatchState:
    """What the exchange knows while it decides one batch; ``flush`` writes what it decided."""

    def __init__(self, tx: Connection, epoch: int | None = None) -> None:
        self.tx = tx
        self.epoch = epoch  # of the lease the transaction was fenced under: carried by decisions
        self._decided: dict[str, Outcome] = {}
        self._looked_up: set[str] = set()  # event ids whose decision (or none) is known
        self._cases: dict[str, Case | None] = {}
        self._participants: dict[str, set[str]] = {}
        self._referrals: dict[str, Referral | None] = {}
        self._outcomes: dict[str, dict[str, Any]] = {}
        self._new_cases: dict[str, Case] = {}
        self._new_participants: list[tuple[str, Participation]] = []
        # Changes to rows that exist already, written at ``flush`` (the last one wins).
        self._closed_changes: dict[str, bool] = {}
        self._new_referrals: dict[str, Referral] = {}
        self._status_changes: dict[str, str] = {}
        self.resend = ResendQueue(tx)  # accepted events a broker lost, put back in order
        # Programme ids and agreements: a programme event's case_id names a programme.
        self.programmes = ProgrammeLedger(tx, self.case)

    def preload(self, event_ids: Iterable[str], case_ids: Iterable[str]) -> None:
        """Read, in a few queries, what deciding these events will ask about."""
        tx = self.tx
        event_ids = set(event_ids)
        self._looked_up |= event_ids
        for chunk in _chunks(event_ids):
            self._remember(tx.execute(_OUTCOMES_OF, {"ids": chunk}).all())  # one fetch
        case_ids = set(case_ids)
        self.resend.preload(event_ids, case_ids)
        self.programmes.preload(case_ids)
        for chunk in _chunks(case_ids - set(self._cases)):
            for case_id in chunk:
                self._cases[case_id] = None
                self._participants[case_id] = set()
            for row in tx.execute(_CASES_OF, {"ids": chunk}).all():
                self._cases[row.case_id] = Case(
                    row.case_id, row.opened_by, row.municipality, bool(row.closed)
                )
            for case_id, institution in tx.execute(_PARTICIPANTS_OF, {"ids": chunk}).all():
                self._participants[case_id].add(institution)
            for row in tx.execute(_REFERRALS_OF_CASES, {"ids": chunk}).all():
                self._referrals[row.referral_id] = Referral(*row)

    # -- reads -------------------------------------------------------------------------------

    def outcome(self, event_id: str) -> Outcome | None:
        """The decision an event_id already has (in the database or earlier in this batch)."""
        if event_id not in self._decided and event_id not in self._looked_up:
            self._remember(self.tx.execute(_OUTCOMES_OF, {"ids": [event_id]}))
            self._looked_up.add(event_id)
        return self._decided.get(event_id)

    def _remember(self, rows: Iterable[Any]) -> None:
        for event_id, status, institution in rows:
            self._decided[event_id] = Outcome(status, institution)

    def case(self, case_id: str) -> Case | None:
        if case_id not in self._cases:
            self.preload((), [case_id])
        return self._cases[case_id]

    def participates(self, case_id: str, institution: str) -> bool:
        self.case(case_id)
        return institution in self._participants[case_id]

    def referral(self, referral_id: str) -> Referral | None:
        if referral_id not in self._referrals:
            row = self.tx.execute(_REFERRALS_OF, {"ids": [referral_id]}).first()
            self._referrals[referral_id] = Referral(*row) if row is not None else None
        return self._referrals[referral_id]

    # -- writes ------------------------------------------------------------------------------

    def record_outcome(self, **row: Any) -> None:
        """Remember a decision; an event_id keeps the one of the event that was accepted.

        A refused copy of a decided event_id has its answer on the rejections topic and is not
        remembered; an accepted event replaces another institution's refused copy.
        """
        event_id = row["event_id"]
        if self.outcome(event_id) is not None:
            if row["status"] == "rejected":
                return
            if self._outcomes.pop(event_id, None) is None:
                self.tx.execute(
                    delete(submissions_table).where(submissions_table.c.event_id == event_id)
                )
        self._decided[event_id] = Outcome(row["status"], row["institution"])
        self._outcomes[event_id] = {**row, "epoch": self.epoch}

    def open_case(self, case_id: str, opened_by: str, municipality: str | None) -> None:
        case = Case(case_id, opened_by, municipality, False)
        self._cases[case_id] = self._new_cases[case_id] = case
        self._participants.setdefault(case_id, set())

    def set_closed(self, case_id: str, closed: bool) -> None:
        case = self.case(case_id)
        if case is None:
            return
        case.closed = closed
        if case_id not in self._new_cases:
            self._closed_changes[case_id] = closed

    def add_participants(self, case_id: str, added: Sequence[Participation]) -> None:
        self.case(case_id)
        for participation in added:
            self._participants[case_id].add(participation.institution)
            self._new_participants.append((case_id, participation))

    def end_referral_participation(self, case_id: str, referral_id: str) -> None:
        self._flush_participants()
        self.tx.execute(_END_REFERRAL_PARTICIPATION, {"case": case_id, "referral": referral_id})
        # Another participation (opener, conference member, …) may keep the institution in.
        self._participants[case_id] = {
            institution for _, institution in self.tx.execute(_PARTICIPANTS_OF, {"ids": [case_id]})
        }

    def add_referral(self, referral: Referral) -> None:
        self._referrals[referral.referral_id] = self._new_referrals[referral.referral_id] = referral

    def set_referral_status(self, referral_id: str, status: str) -> None:
        referral = self.referral(referral_id)
        if referral is not None:
            referral.status = status  # a new referral is written with it
        if referral_id not in self._new_referrals:
            self._status_changes[referral_id] = status

    def flush(self) -> None:
        """Write what the batch decided (in the caller's transaction): cases and participants,
        then each kind of change in one statement."""
        self._flush_participants()  # new cases first: the rest refers to them
        self.programmes.flush()
        writes = (
            (_SET_CLOSED, [{"case": c, "is_closed": v} for c, v in self._closed_changes.items()]),
            (_INSERT_REFERRALS, [r.__dict__ for r in self._new_referrals.values()]),
            (
                _SET_REFERRAL_STATUS,
                [{"referral": r, "new_status": v} for r, v in self._status_changes.items()],
            ),
            (_INSERT_OUTCOMES, list(self._outcomes.values())),
        )
        for statement, rows in writes:
            if rows:
                self.tx.execute(statement, rows)
        for pending in (
            self._closed_changes,
            self._new_referrals,
            self._status_changes,
            self._outcomes,
        ):
            pending.clear()

    def _flush_participants(self) -> None:
        if self._new_cases:
            # Participants refer to their case: write the cases first.
            self.tx.execute(insert(cases_table), [c.__dict__ for c in self._new_cases.values()])
            self._new_cases.clear()
        if not self._new_participants:
            return
        rows = {
            (case_id, p.institution, p.role, p.via): None for case_id, p in self._new_participants
        }
        self._new_participants.clear()
        dialect = postgresql if self.tx.dialect.name == "postgresql" else sqlite
        self.tx.execute(
            dialect.insert(participants_table).on_conflict_do_nothing(),
            [
                dict(zip(("case_id", "institution", "role", "via"), row, strict=True))
                for row in rows
            ],
        )


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(values)
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
