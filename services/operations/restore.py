"""`povezimo restore`: the bus again after a broker lost what it held.

A broker that restarts empty (tansu keeps nothing; a Kafka cluster rebuilt without its disks)
has lost every topic. The platform's own stores still know everything that matters: the archive
holds every record of ``case-events`` and ``access-log`` with its position, the exchange knows
what it accepted, each projection knows the offsets it consumed, and each institution's outbox
holds every event it submitted. Restoring, with the exchange, the projections and the API stopped:

1. ``case-events`` and ``access-log`` are written again from the archive, in the order it chained
   them, each record with its key, headers and original time. Keys choose partitions, so every
   record lands at the offset the archive names (checked before anything is written, and after):
   the archive recognises them as already chained and ``audit verify`` finds them equal.
2. Events the exchange accepted that the archive had not chained yet (it runs behind the log) are
   listed in ``exchange_resend_queue``, with their original order where the views saw them: when
   an outbox sends one again, the exchange puts it back on case-events (in that order) instead of
   dropping it as a duplicate (see ``consumers.resend_queue``).
3. Stored offsets: a projection of the restored topics resumes at its stored offset, or at the
   restored end if it had read past it (what it read there comes back as (2) is resent, and it
   drops what it already applied by ``event_id``). The exchange's offsets on ``submissions.*``
   are dropped: those topics start again at offset 0.
4. The projections that publish (inbox pushes, deadline expiries) are rebuilt from offset 0 when
   they next run, so what they had pushed is on the bus again, in the same order.

Then every institution resends its outbox (``povezimo outbox resend``) and the platform is
started again. Rejections answered before the loss are not sent again (their outcome stays in
the exchange's table); a resent event that was rejected is answered ``event_id_reused``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Row, delete, func, insert, select, update

from consumers.archive import Archive, archive_records, decode_headers
from consumers.decisions import accepted_cases
from consumers.pipeline import partitions_of
from consumers.resend_queue import resend_queue_table
from consumers.runner import offsets_table
from consumers.views import timeline
from schemas.topics import CASE_EVENTS
from services.bus import Bus, TopicPartition
from services.bus.partitioning import partition_for

if TYPE_CHECKING:
    from services.bootstrap import Platform

RESTORED_TOPICS = tuple(Archive.topics)
# Projections whose outputs (inbox messages, expiries) were on the lost bus: rebuilt on next run.
REPUBLISHING = ("inbox", "deadlines")
_CHUNK = 2000


class RestoreError(RuntimeError):
    """The bus cannot be restored as asked; nothing, or only the checked replay, was written."""


@dataclass
class Restored:
    """What ``restore_bus`` did, for the operator's record."""

    records: Counter[str] = field(default_factory=Counter)  # replayed, by topic
    ends: dict[TopicPartition, int] = field(default_factory=dict)
    awaiting_resend: int = 0
    offsets_lowered: Counter[str] = field(default_factory=Counter)  # by projection
    offsets_dropped: Counter[str] = field(default_factory=Counter)  # by projection
    rebuilt: list[str] = field(default_factory=list)


def restore_bus(platform: Platform) -> Restored:
    """Steps 1–4 of the module's procedure, against the platform's (empty) bus."""
    bus = platform.bus
    done = Restored()
    expected = _expected_ends(bus, platform.archive_engine)
    done.records = _replay_archive(bus, platform.archive_engine)
    done.ends = bus.end_offsets(partitions_of(bus, list(RESTORED_TOPICS)))
    wrong = {tp: (end, expected.get(tp, 0)) for tp, end in done.ends.items()
             if end != expected.get(tp, 0)}  # fmt: skip
    if wrong:
        raise RestoreError(f"partitions end elsewhere than archived (now, archived): {wrong}")
    done.awaiting_resend = _list_lost_acceptances(platform)
    _reset_offsets(platform, done)
    return done


def _expected_ends(bus: Bus, archive: Engine) -> dict[TopicPartition, int]:
    """Where each restored partition must end; refuses a bus that cannot reproduce positions."""
    # Both topics first, before anything slower: a broker that creates a topic some client's
    # request names (tansu does; Kafka unless auto.create.topics.enable=false) gives it its own
    # partition count, and a client that outlived the broker (a relay of an older SDK, a tool)
    # may name them at any moment.
    for topic in RESTORED_TOPICS:
        bus.create_topic(topic)  # idempotent: an operator may have created them as deployed
    for topic in RESTORED_TOPICS:
        held = sum(bus.end_offsets(partitions_of(bus, [topic])).values())
        if held:
            raise RestoreError(
                f"{topic} already holds {held} records: restore writes into an empty topic only"
            )
    counts = {t: bus.partitions_for(t) for t in RESTORED_TOPICS}
    ends: dict[TopicPartition, int] = {}
    with archive.connect() as conn:
        rows = conn.execute(
            select(
                archive_records.c.topic,
                archive_records.c.partition,
                func.count(),
                func.max(archive_records.c.offset),
            ).group_by(archive_records.c.topic, archive_records.c.partition)
        ).all()
        for topic, partition, count, last in rows:
            if count != last + 1:
                raise RestoreError(
                    f"the archive holds {count} records of {topic}/{partition} up to offset "
                    f"{last}: with gaps, a replay cannot put records back at their offsets"
                )
            ends[TopicPartition(topic, partition)] = count
        _check_partitioning(conn, counts)
    return ends


def _check_partitioning(conn: Connection, counts: dict[str, int]) -> None:
    """Every archived record's key must choose its archived partition on the new topics."""
    query = select(
        archive_records.c.topic, archive_records.c.partition, archive_records.c.key
    ).execution_options(yield_per=_CHUNK)
    for topic, partition, key in conn.execute(query):
        if key is None or partition_for(key, counts[topic]) != partition:
            raise RestoreError(
                f"a record of {topic}/{partition} would land on another partition: create "
                f"{topic} with the partition count it had (now {counts[topic]}); if the broker "
                "created it for a client that named it, with its own default, delete it and "
                "restore again"
            )


def _replay_archive(bus: Bus, archive: Engine) -> Counter[str]:
    """Archived records back onto the bus, in chain order, with their keys, headers and time."""
    replayed: Counter[str] = Counter()
    for chunk in _archived_chunks(archive):
        with bus.batch():
            for row in chunk:
                bus.publish(
                    row.topic,
                    row.key,
                    row.value,
                    decode_headers(row.headers),
                    timestamp_ms=row.timestamp_ms,
                )
                replayed[row.topic] += 1
        bus.flush()
    return replayed


def _archived_chunks(archive: Engine) -> Iterator[list[Row[Any]]]:
    after = 0
    while True:
        with archive.connect() as conn:
            chunk = list(
                conn.execute(
                    select(archive_records)
                    .where(archive_records.c.seq > after)
                    .order_by(archive_records.c.seq)
                    .limit(_CHUNK)
                )
            )
        if not chunk:
            return
        yield chunk
        after = chunk[-1].seq


def _list_lost_acceptances(platform: Platform) -> int:
    """Accepted events the archive does not hold: the exchange puts them back when resent."""
    with platform.exchange_engine.connect() as conn:
        accepted = accepted_cases(conn)
    lost = set(accepted) - _archived_event_ids(platform)
    # Where the views read further than the archive, they saw the lost events' places.
    with platform.views_engine.connect() as conn:
        seen = conn.execute(
            select(timeline.c.event_id)
            .where(timeline.c.event_id.in_(sorted(lost)))  # a tail: the archive lags a little
            .order_by(timeline.c.partition, timeline.c.offset)
        ).scalars()
        ordinals = {event_id: n for n, event_id in enumerate(seen)}
    with platform.exchange_engine.begin() as tx:
        resend_queue_table.create(tx, checkfirst=True)
        tx.execute(delete(resend_queue_table))
        rows = [
            {"event_id": e, "case_id": accepted[e], "lost": True, "ordinal": ordinals.get(e)}
            for e in sorted(lost)
        ]
        if rows:
            tx.execute(insert(resend_queue_table), rows)
    return len(rows)


def _archived_event_ids(platform: Platform) -> set[str]:
    archived: set[str] = set()
    with platform.archive_engine.connect() as conn:
        values = conn.execute(
            select(archive_records.c.value)
            .where(archive_records.c.topic == CASE_EVENTS)
            .execution_options(yield_per=_CHUNK)
        ).scalars()
        for value in values:
            decoded = platform.codec.decode(value or b"")
            archived.add(str(decoded.record["header"]["event_id"]))
    return archived


def _reset_offsets(platform: Platform, done: Restored) -> None:
    for name, projection in platform.projections().items():
        runner = platform.runner(projection)
        if name in REPUBLISHING:
            runner.reset()
            done.rebuilt.append(name)
            continue
        with runner.engine.begin() as tx:
            stored = tx.execute(
                select(offsets_table).where(offsets_table.c.projection == name)
            ).all()
            for row in stored:
                at = (offsets_table.c.projection == name) & (offsets_table.c.topic == row.topic)
                at &= offsets_table.c.partition == row.partition
                end = done.ends.get(TopicPartition(row.topic, row.partition))
                if end is None:  # a topic the loss emptied and nothing refills: start at 0
                    tx.execute(delete(offsets_table).where(at))
                    done.offsets_dropped[name] += 1
                elif row.next_offset > end:
                    tx.execute(update(offsets_table).where(at).values(next_offset=end))
                    done.offsets_lowered[name] += 1
