"""What the exchange remembers of programmes: their ids and the agreements signed in them.

Enough to judge the next programme event (``consumers.programme_rules``) and to keep a programme id
and a case id apart: a case may not be opened under a programme's id, nor a programme event sent
under a case's. Read and written in the exchange's batch transaction, like ``BatchState``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    insert,
    select,
    update,
)

from consumers.programme_rules import AMENDED, ENDED, SIGNED, Agreement

metadata = MetaData()
programmes_table = Table(
    "exchange_programmes",
    metadata,
    Column("programme_id", String(36), primary_key=True),
    Column("registered_by", String(120), nullable=False),  # who published its first event
)
agreements_table = Table(
    "exchange_agreements",
    metadata,
    Column("agreement_id", String(36), primary_key=True),
    Column("programme_id", String(36), nullable=False),
    Column("parties", Text, nullable=False),  # institution ids, comma-separated
    Column("ended", Boolean, nullable=False, default=False),
)
TABLES = (programmes_table, agreements_table)
_IDS: Any = bindparam("ids", expanding=True)
_PROGRAMMES_OF = select(programmes_table.c.programme_id).where(
    programmes_table.c.programme_id.in_(_IDS)
)
_CHUNK = 500


class ProgrammeLedger:
    """Programmes and agreements as one exchange batch sees them; ``flush`` writes the changes."""

    def __init__(self, tx: Connection, is_case: Any) -> None:
        self.tx = tx
        self._is_case = is_case  # the batch's own view of cases (``BatchState.case``)
        self._programmes: dict[str, bool] = {}
        self._agreements: dict[str, Agreement | None] = {}
        self._new_programmes: dict[str, str] = {}
        self._new_agreements: dict[str, Agreement] = {}
        self._changed_agreements: dict[str, Agreement] = {}

    def preload(self, ids: Iterable[str]) -> None:
        """Which of ``ids`` (the batch's case ids) are programmes, in a query per 500."""
        wanted = sorted(set(ids) - set(self._programmes))
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            self._programmes.update(dict.fromkeys(chunk, False))
            found = self.tx.execute(_PROGRAMMES_OF, {"ids": chunk}).scalars()
            self._programmes.update(dict.fromkeys(found, True))

    # -- reads (``ProgrammeFacts``) ----------------------------------------------------------

    def is_programme(self, programme_id: str) -> bool:
        if programme_id not in self._programmes:
            self.preload([programme_id])
        return self._programmes[programme_id]

    def is_case(self, case_id: str) -> bool:
        return bool(self._is_case(case_id))

    def agreement(self, agreement_id: str) -> Agreement | None:
        if agreement_id not in self._agreements:
            row = self.tx.execute(
                select(agreements_table).where(agreements_table.c.agreement_id == agreement_id)
            ).first()
            self._agreements[agreement_id] = (
                None
                if row is None
                else Agreement(row.agreement_id, row.programme_id,
                               tuple(row.parties.split(",")), bool(row.ended))
            )  # fmt: skip
        return self._agreements[agreement_id]

    # -- writes ------------------------------------------------------------------------------

    def accepted(self, institution: str, event_type: str, event: dict[str, Any]) -> None:
        """Remember what an accepted programme event changes."""
        programme_id = str(event["header"]["case_id"])
        if not self.is_programme(programme_id):
            self._programmes[programme_id] = True
            self._new_programmes[programme_id] = institution
        agreement_id = str(event.get("agreement_id"))
        parties = tuple(p["institution_id"] for p in event.get("parties") or [])
        if event_type == SIGNED:
            made = Agreement(agreement_id, programme_id, parties)
            self._agreements[agreement_id] = self._new_agreements[agreement_id] = made
        elif event_type in (AMENDED, ENDED):
            found = self.agreement(agreement_id)
            if found is None:
                return
            if event_type == AMENDED:
                found.parties = parties
            found.ended = event_type == ENDED
            if agreement_id not in self._new_agreements:
                self._changed_agreements[agreement_id] = found

    def flush(self) -> None:
        if self._new_programmes:
            self.tx.execute(
                insert(programmes_table),
                [{"programme_id": p, "registered_by": i} for p, i in self._new_programmes.items()],
            )
        if self._new_agreements:
            self.tx.execute(
                insert(agreements_table), [_row(a) for a in self._new_agreements.values()]
            )
        for found in self._changed_agreements.values():
            self.tx.execute(
                update(agreements_table)
                .where(agreements_table.c.agreement_id == found.agreement_id)
                .values(parties=",".join(found.parties), ended=found.ended)
            )
        self._new_programmes.clear()
        self._new_agreements.clear()
        self._changed_agreements.clear()


def _row(agreement: Agreement) -> dict[str, Any]:
    return {
        "agreement_id": agreement.agreement_id,
        "programme_id": agreement.programme_id,
        "parties": ",".join(agreement.parties),
        "ended": agreement.ended,
    }
