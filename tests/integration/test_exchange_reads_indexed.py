"""The exchange's reads for each batch go through an index, however long the region's history.

Every batch asks what its events' cases already hold (outcomes, cases, participants, referrals,
events waiting to be put back): each question must be a search, not a scan of every row ever
decided, or a batch costs more the longer the exchange has run.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import insert

from consumers.exchange_state import (
    BatchState,
    cases_table,
    metadata,
    participants_table,
    referrals_table,
    submissions_table,
)
from consumers.lease import metadata as lease_metadata
from consumers.programme_ledger import metadata as programme_metadata
from consumers.resend_queue import metadata as resend_metadata
from consumers.resend_queue import resend_queue_table
from services.platform.sql import sql_engine
from tests.support.sql_plans import plans_of


def test_no_read_of_a_batch_scans_a_table(tmp_path: Path) -> None:
    engine = sql_engine(f"sqlite:///{tmp_path / 'exchange.db'}")
    metadata.create_all(engine)
    resend_metadata.create_all(engine)
    programme_metadata.create_all(engine)
    lease_metadata.create_all(engine)
    cases = [str(uuid.uuid4()) for _ in range(300)]
    events = [str(uuid.uuid4()) for _ in cases]
    with engine.begin() as tx:
        tx.execute(
            insert(cases_table),
            [{"case_id": c, "opened_by": "csr.zvezdara", "closed": False} for c in cases],
        )
        tx.execute(
            insert(submissions_table),
            [
                {"event_id": e, "status": "accepted", "institution": "csr.zvezdara",
                 "case_id": c, "topic": "submissions.csr.zvezdara", "partition": 0, "offset": n}
                for n, (e, c) in enumerate(zip(events, cases, strict=True))
            ],
        )  # fmt: skip
        tx.execute(
            insert(participants_table),
            [{"case_id": c, "institution": "police.pu-beograd.zvezdara", "role": "opener",
              "via": c} for c in cases],
        )  # fmt: skip
        tx.execute(
            insert(referrals_table),
            [{"referral_id": str(uuid.uuid4()), "case_id": c, "sender": "csr.zvezdara",
              "recipient": "ngo.azc", "status": "sent"} for c in cases],
        )  # fmt: skip
        # One event waiting to be put back: the queue is read only when it holds any.
        tx.execute(
            insert(resend_queue_table),
            {"event_id": events[0], "case_id": cases[0], "lost": True},
        )

    def preload(conn: object) -> None:
        state = BatchState(conn)  # type: ignore[arg-type]
        state.preload(events[:30], cases[:30])
        assert state.case(cases[0]) is not None

    plans = plans_of(engine, preload)
    assert len(plans) >= 5, plans
    for statement, plan in plans:
        if statement.rstrip().endswith("LIMIT ? OFFSET ?") or " LIMIT " in statement:
            continue  # "is anything queued at all": the first row of an index, at any size
        assert "SCAN exchange_" not in plan, (statement, plan)
    engine.dispose()
