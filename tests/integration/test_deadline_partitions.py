"""The deadline watcher judges each deadline by the clock of its own partition of case-events.

Partitions are read at different paces (small batches, a backlog after an outage). A busy partition
must not carry the clock past the due time of a referral whose on-time answer is still unread on
another partition: the expiry would reach the exchange first and the acceptance would be refused.
The watcher is driven here batch by batch, as the runner drives it, on a real SQLite database.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select

from consumers.deadline_watcher import DeadlineWatcher, open_deadlines, partition_clocks, verdicts
from consumers.runner import BatchOutput, metadata
from producers.event_builder import new_event, new_header
from schemas import Codec
from schemas.registry.embedded import EmbeddedRegistry
from schemas.topics import CASE_EVENTS, PLATFORM_SUBMISSIONS
from services.bus import Record

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
CSR, NGO = "csr.beograd", "ngo.sigurna-kuca"
SLOW, FAST = 0, 1  # partitions of case-events


@pytest.fixture(scope="module")
def codec(tmp_path_factory: pytest.TempPathFactory) -> Codec:
    path = tmp_path_factory.mktemp("registry") / "registry.db"
    return Codec(EmbeddedRegistry.from_url(f"sqlite:///{path}"))


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{tmp_path / 'deadlines.db'}")
    metadata.create_all(engine)
    for table in DeadlineWatcher.tables:
        table.create(engine, checkfirst=True)
    return engine


class Log:
    """Records of case-events, numbered per partition as a broker would."""

    def __init__(self, codec: Codec) -> None:
        self.codec = codec
        self.offsets: dict[int, itertools.count[int]] = {}

    def event(
        self,
        partition: int,
        event_type: str,
        case_id: uuid.UUID,
        recorded_at: dt.datetime,
        *,
        occurred_at: dt.datetime | None = None,
        source: str = CSR,
        **fields: Any,
    ) -> Record:
        header = new_header(
            event_type,
            case_id=case_id,
            source=source,
            occurred_at=occurred_at or recorded_at,
            recorded_at=recorded_at,
            actor_role="CASE_MANAGER",
        )
        value = self.codec.encode(event_type, new_event(event_type, header, **fields).to_avro())
        offset = next(self.offsets.setdefault(partition, itertools.count()))
        return Record(CASE_EVENTS, partition, offset, str(case_id).encode(), value)

    def referral(
        self, partition: int, case_id: uuid.UUID, referral_id: uuid.UUID, at: dt.datetime
    ) -> Record:
        """A P1 referral: its answer is due 24 hours after it was sent."""
        return self.event(
            partition,
            "ReferralSent",
            case_id,
            at,
            referral_id=referral_id,
            to_institution=NGO,
            service_type="COUNSELLING",
            urgency="P1",
            subject_ids=[uuid.uuid4()],
            basis={"kind": "STATUTORY"},
        )

    def acceptance(
        self, partition: int, case_id: uuid.UUID, referral_id: uuid.UUID, at: dt.datetime
    ) -> Record:
        return self.event(
            partition,
            "ReferralAccepted",
            case_id,
            at,
            source=NGO,
            referral_id=referral_id,
            accepted_at=at,
        )


def apply(watcher: DeadlineWatcher, engine: Engine, batch: Sequence[Record]) -> list[Any]:
    """One batch as the runner applies it; the expiries it would publish, decoded."""
    out = BatchOutput()
    with engine.begin() as tx:
        watcher.apply_batch(batch, tx, out)
    assert all(topic == PLATFORM_SUBMISSIONS for topic, *_ in out.messages)
    return [watcher.codec.decode(value or b"").record for _t, _k, value, _h in out.messages]


def expired_referrals(expiries: Iterable[Any]) -> set[uuid.UUID]:
    return {uuid.UUID(str(expiry["referral_id"])) for expiry in expiries}


def verdicts_of(engine: Engine) -> dict[tuple[str, str], tuple[str, dt.datetime | None]]:
    with engine.connect() as conn:
        return {(r.kind, r.ref): (r.status, r.met_at) for r in conn.execute(select(verdicts))}


def test_a_fast_partition_does_not_expire_a_referral_answered_on_a_slow_one(
    codec: Codec, engine: Engine
) -> None:
    log = Log(codec)
    watcher = DeadlineWatcher(codec)
    answered_case, answered = uuid.uuid4(), uuid.uuid4()
    unanswered_case, unanswered = uuid.uuid4(), uuid.uuid4()
    busy_case = uuid.uuid4()

    # The slow partition: two referrals sent at T0 (due T0 + 24 h); one is accepted after 2 h.
    assert apply(watcher, engine, [log.referral(SLOW, answered_case, answered, T0)]) == []
    assert apply(watcher, engine, [log.referral(SLOW, unanswered_case, unanswered, T0)]) == []

    # The fast partition races ten days ahead before the slow one's next record is read: with one
    # clock for the topic both referrals were expired here, and the acceptance below refused.
    for day in range(1, 11):
        busy = log.referral(FAST, busy_case, uuid.uuid4(), T0 + dt.timedelta(days=day))
        expiries = apply(watcher, engine, [busy])
        assert not expired_referrals(expiries) & {answered, unanswered}

    # The slow partition catches up: the acceptance on time, then time passes the due time.
    assert (
        apply(watcher, engine, [log.acceptance(SLOW, answered_case, answered, T0 + 2 * HOUR)]) == []
    )
    before_due = log.referral(SLOW, uuid.uuid4(), uuid.uuid4(), T0 + 23 * HOUR)
    assert not expired_referrals(apply(watcher, engine, [before_due])) & {answered, unanswered}
    past_due = log.referral(SLOW, uuid.uuid4(), uuid.uuid4(), T0 + 25 * HOUR)
    expiries = apply(watcher, engine, [past_due])

    # Only the referral really left unanswered expires, once its own partition has passed it.
    assert expired_referrals(expiries) == {unanswered}
    [expiry] = expiries
    assert uuid.UUID(str(expiry["header"]["case_id"])) == unanswered_case
    assert expiry["due_at"] == T0 + 24 * HOUR
    assert verdicts_of(engine)[("referral_answer", str(answered))] == ("met", T0 + 2 * HOUR)
    with engine.connect() as conn:
        clocks = {r.partition: r.now for r in conn.execute(select(partition_clocks))}
        stored = {r.ref: r.partition for r in conn.execute(select(open_deadlines))}
    assert clocks == {SLOW: T0 + 25 * HOUR, FAST: T0 + dt.timedelta(days=10)}
    assert stored[str(unanswered)] == SLOW


def test_a_partition_expires_its_own_overdue_referrals(codec: Codec, engine: Engine) -> None:
    log = Log(codec)
    watcher = DeadlineWatcher(codec)
    case, referral = uuid.uuid4(), uuid.uuid4()
    apply(watcher, engine, [log.referral(FAST, case, referral, T0)])
    expiries = apply(
        watcher, engine, [log.referral(FAST, uuid.uuid4(), uuid.uuid4(), T0 + 30 * HOUR)]
    )
    assert expired_referrals(expiries) == {referral}


def test_a_statutory_deadline_is_not_flagged_missed_by_another_partition(
    codec: Codec, engine: Engine
) -> None:
    log = Log(codec)
    watcher = DeadlineWatcher(codec)
    case, measure = uuid.uuid4(), uuid.uuid4()
    served = log.event(
        SLOW,
        "UrgentMeasureServed",
        case,
        T0,
        measure_id=measure,
        served_at=T0,
        expires_at=T0 + 48 * HOUR,
        extension_proposal_due_at=T0 + 24 * HOUR,
    )
    apply(watcher, engine, [served])
    apply(watcher, engine, [log.referral(FAST, uuid.uuid4(), uuid.uuid4(), T0 + 72 * HOUR)])
    assert verdicts_of(engine) == {}  # not flagged missed while the slow partition is behind

    proposed = T0 + 20 * HOUR
    proposal = log.event(
        SLOW,
        "ExtensionProposed",
        case,
        proposed,
        measure_id=measure,
        proposal_id=uuid.uuid4(),
        proposed_at=proposed,
        served_at=T0,
        proposal_due_at=T0 + 24 * HOUR,
        decision_due_at=proposed + 24 * HOUR,
        court_institution_id="court.beograd",
        evaluated_risk_level="IMMINENT_DANGER",
    )
    apply(watcher, engine, [proposal])
    assert verdicts_of(engine) == {("extension_proposal", str(measure)): ("met", proposed)}

    # The court's decision (due 24 h after the proposal) never comes: missed once the slow
    # partition's own time passes it, whatever the fast one said before.
    apply(watcher, engine, [log.referral(SLOW, uuid.uuid4(), uuid.uuid4(), proposed + 25 * HOUR)])
    assert verdicts_of(engine)[("extension_decision", str(measure))] == ("missed", None)


def _scenario(log: Log) -> dict[int, list[Record]]:
    """Two partitions, each in its own order: answers on time, late, and never."""
    slow_case, fast_case = uuid.uuid4(), uuid.uuid4()
    on_time, late, never, fast_ref = (uuid.uuid4() for _ in range(4))
    slow = [
        log.referral(SLOW, slow_case, on_time, T0),
        log.referral(SLOW, slow_case, late, T0 + HOUR),
        log.referral(SLOW, slow_case, never, T0 + 2 * HOUR),
        log.acceptance(SLOW, slow_case, on_time, T0 + 3 * HOUR),
        log.referral(SLOW, uuid.uuid4(), uuid.uuid4(), T0 + 30 * HOUR),
        log.acceptance(SLOW, slow_case, late, T0 + 31 * HOUR),
    ]
    fast = [
        log.referral(FAST, fast_case, fast_ref, T0),
        *(log.referral(FAST, uuid.uuid4(), uuid.uuid4(), T0 + d * 24 * HOUR) for d in range(2, 6)),
        log.acceptance(FAST, fast_case, fast_ref, T0 + 6 * 24 * HOUR),  # expired before: refused
    ]
    return {SLOW: slow, FAST: fast}


@pytest.mark.parametrize("pace", ["one-batch", "record-by-record", "fast-first", "slow-first"])
def test_which_referrals_expire_does_not_depend_on_the_pace_of_partitions(
    codec: Codec, tmp_path: Path, pace: str
) -> None:
    log = Log(codec)
    partitions = _scenario(log)
    slow, fast = partitions[SLOW], partitions[FAST]
    batches: list[list[Record]] = {
        "one-batch": [[*slow, *fast]],
        "record-by-record": [[r] for r in itertools.chain(*itertools.zip_longest(slow, fast)) if r],
        "fast-first": [[r] for r in fast] + [[r] for r in slow],
        "slow-first": [slow[:3], fast, slow[3:]],
    }[pace]
    engine = create_engine(f"sqlite:///{tmp_path / 'deadlines.db'}")
    metadata.create_all(engine)
    watcher = DeadlineWatcher(codec)
    for table in watcher.tables:
        table.create(engine)
    expired: set[uuid.UUID] = set()
    for batch in batches:
        expired |= expired_referrals(apply(watcher, engine, batch))

    sent = [_referral_id(codec, r) for r in slow[:3]] + [_referral_id(codec, fast[0])]
    on_time, late, never, fast_ref = sent
    # Answered before its own partition passed the due time: never expired, whatever the other
    # partition did. Left unanswered past it: expired (more than once is harmless: one event id).
    assert on_time not in expired
    assert never in expired
    # ``late`` and ``fast_ref`` are answered after a later record of their own partition: their
    # expiry depends on where a batch ends, as it always did (the exchange then refuses whichever
    # of the expiry and the answer comes second).
    # The verdicts, read from the log alone, are the same for every pace.
    assert verdicts_of(engine) == {
        ("referral_answer", str(on_time)): ("met", T0 + 3 * HOUR),
        ("referral_answer", str(late)): ("late", T0 + 31 * HOUR),
        ("referral_answer", str(fast_ref)): ("late", T0 + 6 * 24 * HOUR),
    }


def _referral_id(codec: Codec, record: Record) -> uuid.UUID:
    return uuid.UUID(str(codec.decode(record.value or b"").record["referral_id"]))


def _interleaved(first: list[Record], second: list[Record]) -> list[Record]:
    pairs = itertools.zip_longest(first, second)
    return [record for record in itertools.chain.from_iterable(pairs) if record is not None]
