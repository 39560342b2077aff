"""The exchange itself (and the projections behind it) killed with SIGKILL at random points while
institutions keep submitting: every accepted event takes effect once, every rejection is answered,
and the views equal those of a clean run."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from consumers.exchange import submissions_table
from consumers.views import timeline
from producers.scenario import Submission, in_waves
from schemas.topics import CASE_EVENTS
from services.bootstrap import Platform
from tests.reliability.figures import record, scaled
from tests.reliability.support import (
    case_event_ids,
    comparable,
    read_all,
    scripted_cases,
)
from tests.support.pipeline import pipeline_of, platform_for

KILLS = int(scaled(10, 50))
REJECTIONS = re.compile(r"rejections\..+")
FORGER = "csr.golubac"


def child(bus_url: str, views_url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.crashing_exchange", bus_url, views_url,
         str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip


def publish_wave(platform: Platform, wave: list[Submission]) -> None:
    """The wave as the institutions send it, plus a forged copy of its first event."""
    with platform.bus.batch():
        for item in wave:
            value = platform.codec.encode(item.event_type, item.event.to_avro())
            platform.bus.publish(
                f"submissions.{item.institution}", str(item.case_id).encode(), value
            )
        forged = platform.codec.encode(wave[0].event_type, wave[0].event.to_avro())
        platform.bus.publish(f"submissions.{FORGER}", b"forged", forged)
    platform.bus.flush()


def run(tmp: Path, name: str, kills: int, rng: random.Random) -> tuple[Platform, int]:
    """Wave after wave published and decided; the child platform killed ``kills`` times in all."""
    bus_url, views_url = f"sqlite:///{tmp / f'{name}-bus.db'}", f"sqlite:///{tmp / f'{name}.db'}"
    data = tmp / "data"
    platform = platform_for(data, bus_url)
    platform.settings.views_url = views_url  # before the vault: its first use fixes the stores
    waves = in_waves([c.submissions for c in scripted_cases(platform, 3)])
    # Spread the kills over the waves, so the exchange dies deciding every kind of event.
    per_wave = Counter(rng.randrange(len(waves)) for _ in range(kills))
    killed = 0
    for index, wave in enumerate(waves):
        publish_wave(platform, wave)
        for _ in range(per_wave[index]):
            process = child(bus_url, views_url, data)
            for _batch in range(rng.randrange(4)):
                if not process.stdout or not process.stdout.readline():
                    break
            time.sleep(rng.uniform(0.0, 0.03))
            if process.poll() is None:
                process.kill()
                killed += 1
            process.wait(30)
        # The rest of the wave is decided before the institutions send the next one, as in use.
        pipeline = pipeline_of(platform)
        pipeline.drain()
        pipeline.close()
    return platform, killed


def test_exchange_killed_at_random_points_ends_equal_to_a_clean_run(tmp_path: Path) -> None:
    clean, _ = run(tmp_path, "clean", 0, random.Random(1))
    expected = comparable(clean)
    clean_rejections = {
        clean.codec.decode(r.value or b"").record["rejection_id"]
        for r in read_all(clean, REJECTIONS)
    }

    crashed, killed = run(tmp_path, "crashed", KILLS, random.Random(2026))
    assert killed >= KILLS // 2, "the child finished before most kills: make the work longer"
    assert comparable(crashed) == expected

    # case-events may hold an event twice (published, then killed before the commit); each
    # projection applied it once, as the equal views show; no accepted event is missing.
    in_log = case_event_ids(crashed, read_all(crashed, [CASE_EVENTS]))
    with crashed.exchange_engine.connect() as conn:
        accepted = set(
            conn.execute(
                select(submissions_table.c.event_id).where(submissions_table.c.status == "accepted")
            ).scalars()
        )
        in_timeline = Counter(conn.execute(select(timeline.c.event_id)).scalars())
    assert set(in_log) == accepted == set(in_timeline)
    assert max(in_timeline.values()) == 1
    answered = [crashed.codec.decode(r.value or b"").record for r in read_all(crashed, REJECTIONS)]
    assert {a["rejection_id"] for a in answered} == clean_rejections
    record(
        "exchange crashes",
        kills=killed,
        accepted=len(accepted),
        rejections=len(clean_rejections),
        log_duplicates_dropped=sum(in_log.values()) - len(in_log),
        lost=0,
        applied_twice=0,
    )
