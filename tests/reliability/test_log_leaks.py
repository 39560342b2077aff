"""No secret in any log line, at any level: scripted cases with synthetic people (sealed by the
vault) run through the whole platform while every logger, kafka-python's and SQLAlchemy's
included, writes at DEBUG; the captured text is searched for every identifier, key and cipher.

What counts as an identifier in a log: the direct identifiers (name, JMBG, address, phone, birth
date), the vault's data keys, the sealed ciphertexts and nonces, the pseudonym key, and subject
ids (a subject id follows one person across cases and institutions: a shipped log would link
them). Case ids may appear: they name a case file every participant already holds, are the key
of every record on the bus, and an operator needs them to trace a submission.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from consumers.programme import ALL_TABLES as PROGRAMME_TABLES
from producers.scenario import in_waves
from producers.simulator import simulate
from schemas.institutions import PROGRAMME_EVENTS
from schemas.topics import CASE_EVENTS
from services.demo.programme import seed_submissions
from services.demo.run import Network, run_network
from services.platform.vault import keys_table
from tests.reliability.figures import PSEUDONYM_KEY, record
from tests.reliability.support import scripted_cases
from tests.support.pipeline import (
    decoded,
    pipeline_of,
    platform_for,
    read_topic,
    submit,
    submit_raw,
)

NOISY = ("kafka", "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "consumers", "services")


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # with any traceback: it is part of the line


@pytest.fixture
def everything_logged() -> Iterator[Capture]:
    capture = Capture()
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in NOISY}
    root_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield capture
    root.removeHandler(capture)
    root.setLevel(root_level)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def forms(secret: bytes) -> list[str]:
    """How bytes could show in a log: hex, base64 (both alphabets), or a bytes repr's text."""
    escaped = repr(secret)[2:-1]
    found = [
        secret.hex(),
        base64.b64encode(secret).decode(),
        base64.urlsafe_b64encode(secret).decode(),
    ]
    # A repr shows printable bytes as themselves: search a long stretch of it, not a short one
    # that could occur by chance.
    found += [escaped[i : i + 24] for i in range(0, max(len(escaped) - 24, 1), 24)]
    return found


def test_no_identifier_key_or_cipher_in_any_log_line(
    tmp_path: Path, pipeline_bus_url: str, everything_logged: Capture
) -> None:
    platform = platform_for(tmp_path / "data", pipeline_bus_url)
    pipeline = pipeline_of(platform)
    scripts = scripted_cases(platform, 1, seed=31)
    # The opening and the registrations one by one (so the sealed records are accepted and
    # flow on), the rest at once: kafka-python at DEBUG writes thousands of lines a drain.
    waves = in_waves([s.submissions for s in scripts])
    for wave in [*waves[:3], [item for later in waves[3:] for item in later]]:
        submit(platform, wave)
        pipeline.drain()
    # A registration sent on another institution's topic: its rejection carries the sealed bytes.
    registration = next(s for s in scripts[0].submissions if s.event_type == "SubjectRegistered")
    encoded = platform.codec.encode(registration.event_type, registration.event.to_avro())
    submit_raw(platform, "csr.golubac", encoded)
    pipeline.drain()
    for script in scripts:  # an authorised read opens every sealed record once
        for s in script.submissions:
            if s.event_type == "SubjectRegistered":
                sealed = s.event.to_avro()["sealed"]
                assert platform.vault.unseal(s.event.to_avro()["subject_id"], sealed) is not None
    pipeline.close()

    needles: dict[str, str] = {}
    for script in scripts:
        for subject_id, person in script.people.items():
            for value in person.identifiers():
                needles[value] = "direct identifier"
            needles[str(subject_id)] = needles[subject_id.hex] = "subject id"
        for s in script.submissions:
            if s.event_type == "SubjectRegistered":
                sealed = s.event.to_avro()["sealed"]
                for part in ("ciphertext", "nonce"):
                    for form in forms(sealed[part]):
                        needles[form] = f"sealed {part}"
    with platform.vault.engine.connect() as conn:
        keys = list(conn.execute(select(keys_table.c.data_key)).scalars())
    assert len(keys) == 2
    for key in keys:
        for form in forms(key):
            needles[form] = "vault key"
    needles[PSEUDONYM_KEY] = "pseudonym key"

    # The scan can see what an unredacted debug line would show.
    assert any(n in repr(encoded) for n in needles)
    lines = everything_logged.lines
    assert len(lines) > 200, "logging was not captured"
    assert any(line.startswith("DEBUG sqlalchemy") for line in lines)
    if pipeline_bus_url.startswith("kafka"):
        assert any(line.startswith("DEBUG kafka") for line in lines)
    text = "\n".join(lines)  # one search per needle over all of it, then find the lines
    found = [n for n in needles if n in text]
    leaks = [(needles[n], line[:200]) for n in found for line in lines if n in line]
    assert not leaks, f"{len(leaks)} leaks, e.g. {leaks[:3]}"
    engine = "kafka" if pipeline_bus_url.startswith("kafka") else "sqlite"
    record(
        f"log scan ({engine} bus)",
        log_lines=len(lines),
        needles=len(needles),
        leaks=0,
    )
    platform.close()


def test_a_demo_run_logs_no_identifier_key_or_cipher(
    tmp_path: Path, everything_logged: Capture
) -> None:
    """The demo's network (`povezimo demo` without its printing): the exchange here, every
    projection in the follower process, whose log records come back to this one and are scanned
    with the rest."""
    platform = platform_for(tmp_path / "data")
    start = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    simulation = simulate(7, start=start, months=1, scale=0.03, vault=platform.vault)
    run_network(platform, simulation)

    needles: dict[str, str] = {PSEUDONYM_KEY: "pseudonym key"}
    for case in simulation.cases:
        for s in case.submissions:
            if s.event_type != "SubjectRegistered":
                continue
            body = s.event.to_avro()
            person = platform.vault.unseal(body["subject_id"], body["sealed"])
            assert person is not None
            for value in person.identifiers():
                needles[value] = "direct identifier"
            subject = uuid.UUID(str(body["subject_id"]))
            needles[str(subject)] = needles[subject.hex] = "subject id"
            for part in ("ciphertext", "nonce"):
                for form in forms(body["sealed"][part]):
                    needles[form] = f"sealed {part}"
    with platform.vault.engine.connect() as conn:
        for key in conn.execute(select(keys_table.c.data_key)).scalars():
            for form in forms(key):
                needles[form] = "vault key"
    assert sum(kind == "direct identifier" for kind in needles.values()) > 10

    lines = everything_logged.lines
    assert any(line.startswith("DEBUG sqlalchemy") for line in lines)
    assert any("aggregate" in line or "archive" in line for line in lines), "no follower line"
    text = "\n".join(lines)
    leaks = [(needles[n], line[:200]) for n in needles if n in text for line in lines if n in line]
    assert not leaks, f"{len(leaks)} leaks, e.g. {leaks[:3]}"
    record(
        "log scan (demo run, two processes)", log_lines=len(lines), needles=len(needles), leaks=0
    )
    platform.close()


def test_the_programmes_record_and_the_demo_leak_no_identifier_to_logs_or_stores(
    tmp_path: Path, everything_logged: Capture
) -> None:
    """`povezimo demo --programme`'s network: the seed programme's events go through the same
    exchange and projections as the cases; no log line and no store (log, views, exchange,
    aggregate, archive, outbox) holds a person's identifier in clear, and the programme's own
    events and tables hold nothing of any case's subjects."""
    data_dir = tmp_path / "data"
    platform = platform_for(data_dir)
    start = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    with Network(platform) as network:
        simulation = simulate(11, start=start, months=1, scale=0.03, vault=platform.vault)
        network.record(seed_submissions(dt.datetime.now(dt.UTC)))
        network.run(simulation)

    identifiers: set[str] = set()
    subjects: set[str] = set()
    for case in simulation.cases:
        for s in case.submissions:
            if s.event_type == "SubjectRegistered":
                body = s.event.to_avro()
                person = platform.vault.unseal(body["subject_id"], body["sealed"])
                assert person is not None
                identifiers.update(v for v in person.identifiers() if len(v) >= 6)
                subjects.add(str(body["subject_id"]))
    assert len(identifiers) > 10

    text = "\n".join(everything_logged.lines)
    assert not [n for n in identifiers | {PSEUDONYM_KEY} if n in text], "a log line leaks"
    stores = [f for f in data_dir.rglob("*") if f.is_file() and f.suffix != ".key"]
    for store in stores:
        content = store.read_bytes()
        assert not [n for n in identifiers if n.encode() in content], store.name

    logged = read_topic(platform, CASE_EVENTS)
    programme = [d for d in decoded(platform, logged) if d.event_type in PROGRAMME_EVENTS]
    assert len(programme) == len(seed_submissions(dt.datetime.now(dt.UTC)))
    words = " ".join(map(str, _values(programme)))
    assert not [n for n in identifiers | subjects if n in words]
    with platform.views_engine.connect() as conn:
        rows = [r for t in PROGRAMME_TABLES for r in conn.execute(select(t)).all()]
    assert rows and not [n for n in identifiers | subjects if n in " ".join(map(str, rows))]
    record("store scan (programme and demo)", stores=len(stores), needles=len(identifiers), leaks=0)
    platform.close()


def _values(records: list[Any]) -> list[Any]:
    found: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)
        else:
            found.append(value)

    for item in records:
        walk(item.record)
    return found
