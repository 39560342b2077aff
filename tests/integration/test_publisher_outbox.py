"""The producer SDK: events wait in the outbox while the bus is down and take effect once each.

"Down" is the embedded bus locked by another writer (a relay with a short busy timeout gets
"database is locked", as it would get a refused connection from a broker), or a tansu broker cut
off the network by a loopback proxy while the relay's producer is connected to it."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, func, select, update
from typer.testing import CliRunner

from consumers.exchange import submissions_table
from consumers.views import timeline
from producers.publisher import InvalidEvent, Publisher, Relay, outbox_table, pending
from producers.scenario import urgent_measure_case
from services.bootstrap import Platform
from services.bus import BusError
from services.bus.kafka import KafkaBus
from services.bus.sqllog import SqlLogBus
from services.cli.main import app
from services.platform.sql import sql_engine
from tests.support.brokers import TansuBroker, free_port
from tests.support.pipeline import pipeline_of, platform_for, read_topic
from tests.support.tcp_proxy import TcpProxy

POLICE = "police.pu-beograd.lazarevac"
START = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)

# The police system's own database: its case notes and the SDK's outbox live side by side.
own = MetaData()
notes = Table("case_notes", own, Column("id", Integer, primary_key=True), Column("text", String))


def police_events(platform: Platform, cases: int) -> list:
    rng = random.Random(4)
    events = []
    for n in range(cases):
        script = urgent_measure_case(rng, START + dt.timedelta(days=n), vault=platform.vault)
        events += [s.event for s in script if s.institution == POLICE]
    return events


def assert_each_accepted_and_shown_once(platform: Platform, events: list[Any]) -> None:
    """Run the pipeline to the end: every event accepted, and once in the views' timeline."""
    pipeline = pipeline_of(platform)
    pipeline.drain()
    pipeline.close()
    ids = {str(e.header.event_id) for e in events}
    with platform.exchange_engine.connect() as conn:
        decided = conn.execute(
            select(submissions_table.c.event_id, submissions_table.c.status)
        ).all()
    with platform.views_engine.connect() as conn:
        shown = conn.execute(
            select(timeline.c.event_id, func.count()).group_by(timeline.c.event_id)
        ).all()
    assert {d.event_id for d in decided} == ids
    assert {d.status for d in decided} == {"accepted"}
    assert {event_id: count for event_id, count in shown} == dict.fromkeys(ids, 1)


def test_the_outbox_keeps_events_while_the_bus_is_down_and_delivers_each_once(
    tmp_path: Path,
) -> None:
    platform = platform_for(tmp_path)
    police_db = sql_engine(f"sqlite:///{tmp_path / 'police.db'}")
    own.create_all(police_db)
    publisher = Publisher(POLICE, platform.codec, police_db)
    events = police_events(platform, 3)
    platform.bus.create_topic(f"submissions.{POLICE}")

    # The bus goes down: another writer holds the log's write lock.
    bus_file = platform.settings.resolved_bus_url.removeprefix("sqlite:///")
    lock = sqlite3.connect(bus_file, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    down = SqlLogBus(
        create_engine(platform.settings.resolved_bus_url, connect_args={"timeout": 0.05})
    )

    # The SDK still accepts events, in the same transaction as the caller's own change.
    for n, event in enumerate(events):
        with police_db.begin() as tx:
            tx.execute(notes.insert().values(text=f"note {n}"))
            publisher.submit(event, tx)
    # A transaction that fails leaves neither the note nor the event behind.
    with pytest.raises(RuntimeError), police_db.begin() as tx:
        tx.execute(notes.insert().values(text="never"))
        publisher.submit(police_events(platform, 4)[-1], tx)
        raise RuntimeError("the caller's own change failed")
    with police_db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(notes)).scalar_one() == len(events)
    assert pending(police_db) == len(events)

    relay = Relay(police_db, down, POLICE)
    with pytest.raises(BusError):
        relay.deliver()
    waits: list[float] = []
    tries = iter(range(4))
    relay.run(stop=lambda: next(tries, None) is None, sleep=waits.append)
    assert waits == [0.2, 0.4, 0.8, 1.6]  # backing off while the bus stays down
    assert pending(police_db) == len(events)
    with police_db.connect() as conn:
        attempts = set(conn.execute(select(outbox_table.c.attempts)).scalars())
    assert attempts == {5}

    # The bus is back: the relay delivers everything, in order.
    lock.execute("ROLLBACK")
    lock.close()
    relay = Relay(police_db, platform.bus, POLICE)
    assert relay.run(stop=lambda: pending(police_db) == 0, sleep=lambda _s: None) == len(events)
    # A crash after publishing but before marking the rows sent: the relay sends them again.
    with police_db.begin() as tx:
        tx.execute(update(outbox_table).values(sent=0))
    assert relay.deliver() == len(events)
    assert len(read_topic(platform, f"submissions.{POLICE}")) == 2 * len(events)

    assert_each_accepted_and_shown_once(platform, events)
    platform.close()


def test_an_event_that_does_not_match_its_schema_is_refused_at_once(tmp_path: Path) -> None:
    platform = platform_for(tmp_path)
    publisher = Publisher(POLICE, platform.codec, sql_engine(f"sqlite:///{tmp_path / 'p.db'}"))
    event = police_events(platform, 1)[0].model_dump()
    event["report_channel"] = "CARRIER_PIGEON"
    with pytest.raises(InvalidEvent) as refused:
        publisher.submit(event)
    assert refused.value.event_type == "CaseOpened"
    assert any("report_channel" in str(e["loc"]) for e in refused.value.errors)
    assert publisher.pending() == 0
    # Submitting the same event twice writes it once.
    good = police_events(platform, 1)[0]
    publisher.submit(good)
    publisher.submit(good)
    assert publisher.pending() == 1
    platform.close()


@pytest.fixture
def broker_behind_proxy(tmp_path: Path) -> Iterator[TcpProxy]:
    port = free_port()
    broker = TansuBroker(log_path=tmp_path / "tansu.log", advertised_port=port).start()
    proxy = TcpProxy(target=broker.port, port=port)
    yield proxy
    proxy.close()
    broker.stop()


@pytest.mark.kafka
def test_over_kafka_the_outbox_keeps_events_while_the_broker_is_cut_off_and_delivers_each_once(
    tmp_path: Path, broker_behind_proxy: TcpProxy
) -> None:
    proxy = broker_behind_proxy
    url = f"kafka://127.0.0.1:{proxy.port}"
    platform = platform_for(tmp_path / "data", url)
    police_db = sql_engine(f"sqlite:///{tmp_path / 'police.db'}")
    publisher = Publisher(POLICE, platform.codec, police_db)
    events = police_events(platform, 3)
    bus = KafkaBus.from_url(url)
    bus.flush_timeout = 3.0
    relay = Relay(police_db, bus, POLICE)
    publisher.submit(events[0])
    assert relay.deliver() == 1  # the relay's producer is connected when the broker goes

    proxy.cut()
    for event in events[1:]:
        publisher.submit(event)  # the SDK still accepts events
    started = time.monotonic()
    with pytest.raises(BusError):
        relay.deliver()
    # It gives up after its flush timeout, not kafka-python's two-minute delivery timeout.
    assert time.monotonic() - started < 30
    waits: list[float] = []
    tries = iter(range(3))
    relay.run(stop=lambda: next(tries, None) is None, sleep=waits.append)
    assert waits == [0.2, 0.4, 0.8]  # backing off while the broker stays away
    assert pending(police_db) == len(events) - 1  # nothing unsent was marked sent
    with police_db.connect() as conn:
        attempts = conn.execute(
            select(outbox_table.c.attempts).where(outbox_table.c.sent == 0)
        ).scalars()
        assert set(attempts) == {4}

    proxy.restore()
    assert relay.run(stop=lambda: pending(police_db) == 0, sleep=time.sleep) == len(events) - 1
    bus.close()

    assert_each_accepted_and_shown_once(platform, events)
    case_events = read_topic(platform, "case-events")
    assert len(case_events) == len(events)  # each accepted event once on case-events
    platform.close()


def test_an_operator_resends_what_a_broker_lost_from_a_time_on(tmp_path: Path) -> None:
    platform = platform_for(tmp_path / "data")
    outbox_url = f"sqlite:///{tmp_path / 'police.db'}"
    police_db = sql_engine(outbox_url)
    publisher = Publisher(POLICE, platform.codec, police_db)
    events = police_events(platform, 2)
    relay = Relay(police_db, platform.bus, POLICE)
    publisher.submit_many(events)
    assert relay.deliver() == len(events)
    # The first two went out before the broker lost its records, the rest after.
    with police_db.begin() as tx:
        tx.execute(update(outbox_table).where(outbox_table.c.seq <= 2).values(sent_at_ms=1_000))
        tx.execute(update(outbox_table).where(outbox_table.c.seq > 2).values(sent_at_ms=5_000))

    result = CliRunner().invoke(
        app,
        ["outbox", "resend", "--outbox", outbox_url, "--since", "1970-01-01T00:00:02"],
    )
    assert result.exit_code == 0, result.output
    assert f"{len(events) - 2} sent events marked for resending" in result.output
    assert pending(police_db) == len(events) - 2
    assert relay.resend_since(None) == 2  # everything else, as `resend` does without --since
    assert relay.deliver() == len(events)
    assert len(read_topic(platform, f"submissions.{POLICE}")) == 2 * len(events)
    platform.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def outbox_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The institution's own database: SQLite, or PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'police.db'}"
    return str(request.getfixturevalue("postgres_url"))


def test_outbox_rows_hold_what_the_codec_writes_and_each_case_reaches_the_bus_in_order(
    tmp_path: Path, outbox_url: str
) -> None:
    platform = platform_for(tmp_path / "data")
    police_db = sql_engine(outbox_url)
    publisher = Publisher(POLICE, platform.codec, police_db)
    events = police_events(platform, 4)
    halfway = len(events) // 2
    with police_db.begin() as tx:
        ids = publisher.submit_many(events[:halfway], tx)
    ids += publisher.submit_many([e.model_dump() for e in events[halfway:]])  # dicts validated
    assert ids == [e.header.event_id for e in events]
    assert publisher.submit_many(events[:2]) == ids[:2]  # again: nothing written twice
    with police_db.connect() as conn:
        rows = conn.execute(select(outbox_table).order_by(outbox_table.c.seq)).all()
    assert [r.event_id for r in rows] == [str(i) for i in ids]
    for row, event in zip(rows, events, strict=True):
        assert (row.institution, row.event_type, row.sent, row.attempts) == (
            POLICE,
            event.event_type,
            0,
            0,
        )
        assert row.key == str(event.header.case_id).encode()
        assert row.value == platform.codec.encode(event.event_type, event.to_avro())

    relay = Relay(police_db, platform.bus, POLICE, batch_size=3)
    assert relay.deliver() == len(events)
    assert pending(police_db) == 0
    delivered = read_topic(platform, f"submissions.{POLICE}")
    assert sorted(r.value for r in delivered) == sorted(r.value for r in rows)
    by_case: dict[bytes | None, list[bytes | None]] = {}
    for record in sorted(delivered, key=lambda r: (r.partition, r.offset)):
        assert (
            record.header("event-type") == platform.codec.decode(record.value).event_type.encode()
        )
        by_case.setdefault(record.key, []).append(record.value)
    for key, values in by_case.items():
        assert values == [r.value for r in rows if r.key == key]  # each case in submission order
    platform.close()


def test_a_relay_for_one_institution_sends_only_its_rows_of_a_shared_outbox(
    tmp_path: Path, outbox_url: str
) -> None:
    """One database may hold several institutions' outboxes (the one-site demo): a relay given
    an institution moves its rows only, and a relay given none moves the rest, each to its own
    topic in the order submitted."""
    platform = platform_for(tmp_path / "data")
    outbox = sql_engine(outbox_url)
    script = urgent_measure_case(random.Random(9), START)
    by_institution: dict[str, list[Any]] = {}
    for submission in script:
        by_institution.setdefault(submission.institution, []).append(submission.event)
    assert POLICE in by_institution and len(by_institution) > 2
    for institution, events in by_institution.items():
        Publisher(institution, platform.codec, outbox).submit_many(events)

    assert Relay(outbox, platform.bus, POLICE).deliver() == len(by_institution[POLICE])
    assert pending(outbox, POLICE) == 0
    others = sum(len(e) for i, e in by_institution.items() if i != POLICE)
    assert pending(outbox) == others
    assert Relay(outbox, platform.bus).deliver() == others
    assert pending(outbox) == 0
    for institution, events in by_institution.items():
        delivered = read_topic(platform, f"submissions.{institution}")
        sent = [str(platform.codec.decode(r.value).record["header"]["event_id"]) for r in delivered]
        assert sent == [str(e.header.event_id) for e in events]
    platform.close()
