"""Hostile submissions: what a broken or malicious system could put on its submissions topic.

Each strategy builds submissions around one intended fault and says which rejection codes may
answer it (``None``: any code, for byte-level noise whose first failing check is not fixed).
Every one must be refused: a strategy never builds something the exchange should accept.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from consumers.participation import OPENING_EVENTS
from schemas.catalogue import catalogue
from schemas.codec import frame
from schemas.institutions import PROGRAMME_EVENTS, Institution, may_publish
from services.bootstrap import Platform
from tests.support.avro_data import event_datum

UTC = dt.UTC
DECODE_CODES = frozenset({"undecodable", "unknown_schema_id", "not_an_event"})
# Look-alikes of registered ids (case, trailing dot, doubled separator, a suffix): each is a
# stranger to the exchange, however close it reads to a real institution.
UNREGISTERED = (
    "POLICE.pu-beograd.lazarevac", "police.pu-beograd.lazarevac-", "csr.lazarevac.",
    "csr..lazarevac", "ngo.azc2", "ngo", "court", "x", "csr.lazarevac.admin", "0",
    "platform.povezimo-", "police.pu-beograd", "health.dz-lazarevac_", "a" * 200,
)  # fmt: skip
# Ways to spell an institution id that read the same to a person but not to the exchange.
LOOKALIKES: tuple[Callable[[str], str], ...] = (
    lambda i: i + "\u200b",  # zero-width space
    lambda i: i.replace("a", "\u0430", 1),  # Cyrillic а
    lambda i: "\u202e" + i,  # right-to-left override
    lambda i: i.upper(),
    lambda i: i + "\x00",
    lambda i: " " + i,
    lambda i: i.replace(".", "\uff0e", 1),  # fullwidth full stop
)
BIG_CHARS = ("x", "ж", "🙂", "\u202e", "\x00", "\ufeff")


@dataclass(frozen=True)
class Hostile:
    """One submission as published, and the rejection codes that may answer it."""

    kind: str
    institution: str
    value: bytes | None
    expected: frozenset[str] | None

    @property
    def topic(self) -> str:
        return f"submissions.{self.institution}"


@dataclass
class Arena:
    """What the strategies build on: the platform, the open cases and encoded valid events."""

    platform: Platform
    open_cases: Sequence[uuid.UUID]
    municipality: str
    non_participants: Sequence[str]
    unopened_events: Sequence[tuple[str, bytes]]  # later events of a case never opened
    now: dt.datetime
    pool: int = 25
    _records: dict[str, st.SearchStrategy[dict[str, Any]]] = field(default_factory=dict)

    @property
    def institutions(self) -> list[Institution]:
        return [i for i in self.platform.institutions if i.active and i.kind != "PLATFORM"]

    def record_of(self, event_type: str) -> st.SearchStrategy[dict[str, Any]]:
        """Valid records of ``event_type``, from a pool hypothesis draws once per type.

        Drawing a whole event costs milliseconds; the faults live in the header and in the
        fields a strategy sets, so a pool of bodies keeps thousands of submissions fast.
        """
        found = self._records.get(event_type)
        if found is None:
            pool = draw(event_datum(self.platform.codec.catalogue.event(event_type)), self.pool)
            found = st.sampled_from(pool)
            self._records[event_type] = found
        return found

    def encode(self, event_type: str, record: dict[str, Any]) -> bytes:
        return self.platform.codec.encode(event_type, record)


def _times(low: dt.datetime, high: dt.datetime) -> st.SearchStrategy[dt.datetime]:
    return st.datetimes(
        min_value=low.replace(tzinfo=None), max_value=high.replace(tzinfo=None)
    ).map(lambda t: t.replace(tzinfo=UTC, microsecond=0))


def _event(
    arena: Arena,
    types: Sequence[str],
    header: Callable[[str], st.SearchStrategy[dict[str, Any]]],
    body: Callable[[str, dict[str, Any]], dict[str, Any]] = lambda _t, r: r,
) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """A valid record of one of ``types``, its header fields overridden by ``header(type)``."""

    def build(event_type: str) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
        record = arena.record_of(event_type)
        # A fresh event_id each: hypothesis likes to repeat values, and a reused id has a rule
        # of its own (event_id_reused) that would hide the fault the strategy is about.
        return st.tuples(st.just(event_type), record, header(event_type)).map(
            lambda t: (
                t[0],
                body(
                    t[0],
                    {**t[1], "header": {**t[1]["header"], **t[2], "event_id": uuid.uuid4()}},
                ),
            )
        )

    return st.sampled_from(sorted(types)).flatmap(build)


def _valid_times(arena: Arena) -> st.SearchStrategy[dict[str, Any]]:
    law = dt.datetime(2017, 6, 1, tzinfo=UTC)
    return _times(law, arena.now - dt.timedelta(hours=1)).map(
        lambda t: {"occurred_at": t, "recorded_at": t}
    )


def _with_municipality(arena: Arena) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    def fix(_event_type: str, record: dict[str, Any]) -> dict[str, Any]:
        if "municipality" in record:
            record["municipality"] = arena.municipality
        return record

    return fix


def random_bytes(arena: Arena) -> st.SearchStrategy[Hostile]:
    senders = st.sampled_from([i.id for i in arena.institutions])
    noise = st.one_of(
        st.none(),
        st.binary(max_size=300),
        st.binary(max_size=300).map(lambda b: b"\x00" + b),  # the magic byte, then anything
    )
    return st.builds(lambda i, v: Hostile("random_bytes", i, v, DECODE_CODES), senders, noise)


def corrupted_avro(arena: Arena) -> st.SearchStrategy[Hostile]:
    """A valid Confluent frame with a real schema id, and a payload that is not its record."""
    ids = sorted(arena.platform.codec.register_all().values())
    senders = st.sampled_from([i.id for i in arena.institutions])
    frames = st.builds(frame, st.sampled_from(ids), st.binary(max_size=400))
    return st.builds(lambda i, v: Hostile("corrupted_avro", i, v, None), senders, frames)


def mutated(arena: Arena) -> st.SearchStrategy[Hostile]:
    """Real events of a case never opened, with bytes flipped, cut, inserted or repeated."""

    def mutate(item: tuple[str, bytes], edits: list[tuple[int, int, int]]) -> Hostile:
        institution, value = item
        data = bytearray(value)
        for op, position, byte in edits:
            at = position % (len(data) + 1)
            if op == 0 and data:
                data[at % len(data)] ^= byte or 1
            elif op == 1:
                data.insert(at, byte)
            elif op == 2:
                del data[at:]
            else:
                data[at:at] = data[at : at + 16] * 4
        return Hostile("mutated", institution, bytes(data), None)

    edits = st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 10_000), st.integers(0, 255)),
        min_size=1,
        max_size=4,
    )
    return st.builds(mutate, st.sampled_from(list(arena.unopened_events)), edits)


def forged_source(arena: Arena) -> st.SearchStrategy[Hostile]:
    """The header names another institution (or a look-alike of the sender) than the topic."""
    ids = [i.id for i in arena.institutions]
    types = [e.name for e in arena.platform.codec.catalogue]

    def for_sender(sender: str) -> st.SearchStrategy[Hostile]:
        claimed = st.one_of(
            st.sampled_from([i for i in ids if i != sender]),
            st.sampled_from(LOOKALIKES).map(lambda spell: spell(sender)),
            st.text(max_size=40).filter(lambda s: s != sender),
        )
        event = _event(
            arena, types, lambda _t: st.fixed_dictionaries({"source_institution": claimed})
        )
        return event.map(
            lambda e: Hostile(
                "forged_source", sender, arena.encode(*e), frozenset({"source_mismatch"})
            )
        )

    return st.sampled_from(ids).flatmap(for_sender)


def unknown_institution(arena: Arena) -> st.SearchStrategy[Hostile]:
    types = [e.name for e in arena.platform.codec.catalogue]

    def for_sender(sender: str) -> st.SearchStrategy[Hostile]:
        event = _event(arena, types, lambda _t: st.just({"source_institution": sender}))
        expected = frozenset({"unknown_institution"})
        return event.map(
            lambda e: Hostile("unknown_institution", sender, arena.encode(*e), expected)
        )

    return st.sampled_from(UNREGISTERED).flatmap(for_sender)


def _as_sender(
    arena: Arena, kind: str, pairs: list[tuple[str, str]], header: Any, expected: set[str],
    body: Callable[[str, dict[str, Any]], dict[str, Any]] = lambda _t, r: r,
) -> st.SearchStrategy[Hostile]:  # fmt: skip
    """Events of permitted-or-not (sender, type) ``pairs``, signed by their own sender."""

    def for_pair(pair: tuple[str, str]) -> st.SearchStrategy[Hostile]:
        sender, event_type = pair
        fields = header(event_type).map(lambda h: {**h, "source_institution": sender})
        return _event(arena, [event_type], lambda _t: fields, body).map(
            lambda e: Hostile(kind, sender, arena.encode(*e), frozenset(expected))
        )

    return st.sampled_from(pairs).flatmap(for_pair)


def _pairs(
    arena: Arena, permitted: bool, types: Sequence[str] | None = None
) -> list[tuple[str, str]]:
    names = types if types is not None else [e.name for e in arena.platform.codec.catalogue]
    return [
        (i.id, t) for i in arena.institutions for t in names if may_publish(i.kind, t) == permitted
    ]


def not_permitted(arena: Arena) -> st.SearchStrategy[Hostile]:
    return _as_sender(
        arena, "not_permitted", _pairs(arena, False), lambda _t: st.just({}),
        {"event_type_not_permitted"},
    )  # fmt: skip


def far_future(arena: Arena) -> st.SearchStrategy[Hostile]:
    when = _times(arena.now + dt.timedelta(days=1), dt.datetime(2100, 1, 1, tzinfo=UTC))
    return _as_sender(
        arena, "far_future", _pairs(arena, True),
        lambda _t: when.map(lambda t: {"occurred_at": t}), {"occurred_in_future"},
    )  # fmt: skip


def far_past(arena: Arena) -> st.SearchStrategy[Hostile]:
    when = _times(dt.datetime(1970, 1, 1, tzinfo=UTC), dt.datetime(2017, 5, 31, tzinfo=UTC))
    cases = _as_sender(
        arena, "far_past", _pairs(arena, True, CASE_TYPES),
        lambda _t: when.map(lambda t: {"occurred_at": t, "recorded_at": t}),
        {"occurred_before_law"},
    )  # fmt: skip
    # A programme's history may reach before the law (a 2006 seminar), not before 2002.
    early = _times(dt.datetime(1970, 1, 1, tzinfo=UTC), dt.datetime(2001, 12, 31, tzinfo=UTC))
    programmes = _as_sender(
        arena, "far_past", _pairs(arena, True, sorted(PROGRAMME_EVENTS)),
        lambda _t: early.map(lambda t: {"occurred_at": t, "recorded_at": t}),
        {"occurred_before_programmes"},
    )  # fmt: skip
    return st.one_of(cases, programmes)


def oversized(arena: Arena) -> st.SearchStrategy[Hostile]:
    """A string far beyond any id or code; past a size, the whole submission is too large."""
    # Mostly just over the field bound; one in twenty over the whole submission's bound too
    # (300,000 characters are more than 256 KiB in any encoding), so a long run stays in memory.
    length = st.integers(0, 19).flatmap(
        lambda i: st.just(300_000) if i == 0 else st.integers(1_001, 4_000)
    )
    big = st.builds(lambda c, n: c * n, st.sampled_from(BIG_CHARS), length)
    return _as_sender(
        arena, "oversized", _pairs(arena, True),
        lambda _t: st.tuples(_valid_times(arena), big).map(lambda t: {**t[0], "consent_ref": t[1]}),
        {"field_too_long", "record_too_large"},
    )  # fmt: skip


def unknown_municipality(arena: Arena) -> st.SearchStrategy[Hostile]:
    """A case opened in a place no institution serves, spelled with unicode edge cases."""
    places = st.one_of(
        st.sampled_from(
            [
                arena.municipality + "\u200b", arena.municipality.upper(), "Лазаревац",
                arena.municipality + "\x00", "", "\U0001f3e0", "../../etc/passwd",
                "lazarevac' OR '1'='1",
            ]
        ),
        st.text(max_size=30).filter(lambda s: not arena.platform.institutions.by_municipality(s)),
    )  # fmt: skip

    pairs = _pairs(arena, True, ["CaseOpened"])
    return st.tuples(st.sampled_from(pairs), _valid_times(arena), places).flatmap(
        lambda t: _opened_in(arena, *t)
    )


def _opened_in(
    arena: Arena, pair: tuple[str, str], times: dict[str, Any], municipality: str
) -> st.SearchStrategy[Hostile]:
    sender, event_type = pair
    fields = {**times, "source_institution": sender}
    return _event(
        arena, [event_type], lambda _t: st.just(fields),
        lambda _t, r: {**r, "municipality": municipality},
    ).map(
        lambda e: Hostile(
            "unknown_municipality", sender, arena.encode(*e), frozenset({"unknown_municipality"})
        )
    )  # fmt: skip


def unknown_case(arena: Arena) -> st.SearchStrategy[Hostile]:
    """A later event of a case nobody opened (the case id is fresh)."""
    names = [n for n in CASE_TYPES if n not in OPENING_EVENTS]
    return _as_sender(
        arena, "unknown_case", _pairs(arena, True, names), lambda _t: _valid_times(arena),
        {"unknown_case", "unknown_referral", "outside_area"}, _with_municipality(arena),
    )  # fmt: skip


def not_a_participant(arena: Arena) -> st.SearchStrategy[Hostile]:
    """An institution writing into an open case it takes no part in."""
    ids = set(arena.non_participants)
    pairs = [p for p in _pairs(arena, True, CASE_TYPES) if p[0] in ids]
    header = st.tuples(_valid_times(arena), st.sampled_from(list(arena.open_cases))).map(
        lambda t: {**t[0], "case_id": t[1]}
    )
    return _as_sender(
        arena, "not_a_participant", pairs, lambda _t: header,
        {"unknown_case", "unknown_referral", "case_exists", "outside_area"},
        _with_municipality(arena),
    )  # fmt: skip


# What needs a case to be refused: programme events belong to no case (decision 0021), so a
# fresh or foreign case id is no fault of theirs; their own bounds are drawn by ``far_past``.
CASE_TYPES = [e.name for e in catalogue() if e.name not in PROGRAMME_EVENTS]

STRATEGIES = (
    random_bytes, corrupted_avro, mutated, forged_source, unknown_institution, not_permitted,
    far_future, far_past, oversized, unknown_municipality, unknown_case, not_a_participant,
)  # fmt: skip


def hostile_submissions(arena: Arena) -> st.SearchStrategy[Hostile]:
    # The pools first: drawing them lazily, inside the draw of a submission, would change what
    # hypothesis sees between a first run and a replay of the same example.
    for event in arena.platform.codec.catalogue:
        arena.record_of(event.name)
    return st.one_of([make(arena) for make in STRATEGIES])


def draw(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """``count`` examples of ``strategy``, drawn by hypothesis in one go (reproducibly)."""
    found: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(item: Any) -> None:
        found.append(item)

    collect()
    return found
