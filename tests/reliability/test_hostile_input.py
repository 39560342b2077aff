"""Hostile input to the exchange: thousands of broken, forged and rule-breaking submissions are
each answered on rejections.<institution> with a code and their original bytes; the exchange keeps
running and no view changes by a single row."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from consumers.exchange import participants_table
from consumers.participation import OPENING_EVENTS
from consumers.pipeline import partitions_of
from producers.scenario import CaseScript, coordinated_script, in_waves
from schemas.topics import CASE_EVENTS
from services.bootstrap import Platform
from tests.reliability.figures import record, scaled
from tests.reliability.support import START, read_all, scripted_cases, view_checksums
from tests.support.hostile import Arena, Hostile, draw, hostile_submissions
from tests.support.pipeline import pipeline_of, platform_for, submit

HOSTILE = int(scaled(5_000, 100_000))
REJECTIONS = re.compile(r"rejections\..+")


def arena_of(platform: Platform, cases: list[CaseScript]) -> Arena:
    unopened = coordinated_script(random.Random(99), START, "lazarevac")
    with platform.exchange_engine.connect() as conn:
        taking_part = set(conn.execute(select(participants_table.c.institution)).scalars())
    return Arena(
        platform=platform,
        open_cases=[c.case_id for c in cases],
        municipality="lazarevac",
        non_participants=sorted(
            i.id for i in platform.institutions if i.id not in taking_part and i.kind != "PLATFORM"
        ),
        unopened_events=[
            (s.institution, platform.codec.encode(s.event_type, s.event.to_avro()))
            for s in unopened.submissions
            if s.event_type not in OPENING_EVENTS
        ],
        now=dt.datetime.now(dt.UTC),
        pool=int(scaled(25, 200)),
    )


def publish(platform: Platform, hostile: list[Hostile], chunk: int = 1_000) -> None:
    for start in range(0, len(hostile), chunk):
        with platform.bus.batch():
            for item in hostile[start : start + chunk]:
                platform.bus.publish(item.topic, b"hostile", item.value)
        platform.bus.flush()


@pytest.fixture(
    params=[
        pytest.param((HOSTILE, None), id="sqlite"),
        # Fewer on PostgreSQL: there a value that does not fit a column is an error, not a row.
        pytest.param((int(scaled(1_000, 10_000)), "postgres_url"), id="postgresql",
                     marks=pytest.mark.postgres),
    ]
)  # fmt: skip
def views(request: pytest.FixtureRequest) -> tuple[int, str | None]:
    count, fixture = request.param
    return count, request.getfixturevalue(fixture) if fixture else None


@pytest.mark.timeout(int(scaled(300, 3_600)))
def test_hostile_submissions_are_all_rejected_and_change_no_view(
    tmp_path: Path, views: tuple[int, str | None]
) -> None:
    count, views_url = views
    platform = platform_for(tmp_path / "data", f"sqlite:///{tmp_path / 'bus.db'}")
    if views_url:
        platform.settings.views_url = views_url
    pipeline = pipeline_of(platform)
    cases = scripted_cases(platform, 2)
    for wave in in_waves([c.submissions for c in cases]):
        submit(platform, wave)
        pipeline.drain()
    before = view_checksums(platform)
    log_end = platform.bus.end_offsets(partitions_of(platform.bus, [CASE_EVENTS]))
    replays = [
        Hostile(
            "replay", s.institution, platform.codec.encode(s.event_type, s.event.to_avro()), None
        )
        for s in cases[0].submissions
    ]

    began = time.monotonic()
    hostile = draw(hostile_submissions(arena_of(platform, cases)), count)
    drawn_in = time.monotonic() - began
    publish(platform, [*hostile, *replays])
    pipeline.drain(timeout=1_800)
    decided_in = time.monotonic() - began - drawn_in

    # Not one row of any view moved, and the canonical log did not grow.
    assert view_checksums(platform) == before
    assert platform.bus.end_offsets(partitions_of(platform.bus, [CASE_EVENTS])) == log_end

    # Each hostile submission has exactly one answer, carrying its bytes (their first 4 KiB and
    # digest when too large to read) and an expected code.
    answers = [platform.codec.decode(r.value or b"").record for r in read_all(platform, REJECTIONS)]
    for a in answers:
        if a["original"] is not None:
            assert a["original_size"] >= len(a["original"]) and len(a["original"]) <= 256 * 1024
    answered = Counter((a["source_institution"], a["original_sha256"]) for a in answers)
    sent = Counter((h.institution, _digest(h.value)) for h in hostile)
    assert answered == sent, f"{sum((sent - answered).values())} submissions without an answer"
    allowed: dict[tuple[str, str | None], set[str] | None] = {}
    for item in hostile:
        key = (item.institution, _digest(item.value))
        codes = allowed.get(key, set())
        allowed[key] = None if item.expected is None or codes is None else codes | item.expected
    wrong = [
        (a["code"], allowed[(a["source_institution"], a["original_sha256"])])
        for a in answers
        if allowed[(a["source_institution"], a["original_sha256"])] is not None
        and a["code"] not in allowed[(a["source_institution"], a["original_sha256"])]  # type: ignore[operator]
    ]
    assert not wrong, f"{len(wrong)} unexpected codes, e.g. {wrong[:5]}"
    assert all(a["reason"] and a["code"] != "unprocessable" for a in answers)

    # The exchange is still up: the next honest case goes through.
    honest = scripted_cases(platform, 1, seed=5)[0].submissions[:3]
    submit(platform, honest)
    pipeline.drain()
    assert platform.bus.end_offsets(partitions_of(platform.bus, [CASE_EVENTS])) != log_end

    kinds = Counter(h.kind for h in hostile)
    codes = Counter(a["code"] for a in answers)
    record(
        f"hostile input ({'postgresql' if views_url else 'sqlite'} views)",
        inputs=len(hostile),
        rejected_with_code=len(answers),
        replays_dropped=len(replays),
        views_changed=0,
        drawn_s=round(drawn_in, 1),
        decided_s=round(decided_in, 1),
    )
    print("\nhostile kinds:", dict(kinds), "\nrejection codes:", dict(codes))
    pipeline.close()
    platform.close()


def _digest(value: bytes | None) -> str | None:
    return None if value is None else hashlib.sha256(value).hexdigest()
