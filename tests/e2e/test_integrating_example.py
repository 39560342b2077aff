"""docs/integrating.md's worked example, run as written against a lone ``povezimo serve`` on a
Kafka-protocol broker (tansu): Confluent's ``AvroSerializer`` with ``auto.register.schemas=False``
submits through our registry's lookup, the exchange accepts the event, and Confluent's
``AvroDeserializer`` reads it back from ``case-events``, and a refusal from ``rejections.*``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from typer.testing import CliRunner

from schemas.topics import (
    CASE_EVENTS,
    REJECTION_CODE,
    SUBMITTED_BY,
    rejections_topic,
    submissions_topic,
)
from services.cli.main import app as cli
from tests.support.serving import serving

ROOT = Path(__file__).resolve().parents[2]
INSTITUTION = "csr.lazarevac"
pytestmark = pytest.mark.kafka


def example_code() -> str:
    """The Python block that docs/integrating.md says a test runs."""
    page = (ROOT / "docs" / "integrating.md").read_text(encoding="utf-8")
    marker = "<!-- run by tests/e2e/test_integrating_example.py -->"
    [code] = re.findall(re.escape(marker) + r"\n```python\n(.*?)```", page, re.S)
    return code


@pytest.fixture
def served(tmp_path: Path, fresh_tansu_url: str) -> Iterator[tuple[str, str]]:
    """``povezimo serve`` with its pipeline on a broker of its own; the registry filled by
    ``povezimo schemas register`` and the institution's topic created, as an operator would."""
    data_dir = tmp_path / "data"
    registered = CliRunner().invoke(cli, ["schemas", "register", "--data-dir", str(data_dir)])
    assert registered.exit_code == 0, registered.output
    bootstrap = fresh_tansu_url.removeprefix("kafka://")
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(submissions_topic(INSTITUTION), 1)]).values():
        future.result(30)
    with serving(tmp_path, data_dir, "--bus", fresh_tansu_url, "--with-pipeline") as url:
        yield url, bootstrap


def run_example(registry_url: str, bootstrap: str, institution: str) -> str:
    env = {
        **os.environ,
        "INSTITUTION": institution,
        "SCHEMA_REGISTRY_URL": registry_url,
        "BOOTSTRAP_SERVERS": bootstrap,
        "READ_SECONDS": "2",
    }
    result = subprocess.run(
        [sys.executable, "-c", example_code()], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def read_until(
    bootstrap: str, registry_url: str, topic: str, wanted: Any, timeout: float = 90
) -> tuple[Message, dict[str, Any]]:
    """The first record of ``topic`` (every partition, from the start) that ``wanted`` accepts,
    decoded by Confluent's deserializer with the writer's schema fetched by id."""
    deserialize = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"test.{uuid.uuid4()}"})
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            metadata = consumer.list_topics(topic, timeout=10).topics[topic]
            if metadata.error is None and metadata.partitions:
                break
            time.sleep(0.5)
        partitions = list(metadata.partitions)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        while time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None or message.error():
                continue
            context = SerializationContext(topic, MessageField.VALUE)
            record = deserialize(message.value(), context)
            if wanted(record):
                return message, record
    finally:
        consumer.close()
    raise AssertionError(f"nothing wanted on {topic} within {timeout}s")


def test_the_documented_producer_is_accepted_and_its_event_read_from_case_events(
    served: tuple[str, str],
) -> None:
    registry_url, bootstrap = served
    output = run_example(registry_url, bootstrap, INSTITUTION)
    event_id, case_id = re.search(r"submitted (\S+) for case (\S+)", output).groups()  # type: ignore[union-attr]
    message, record = read_until(
        bootstrap, registry_url, CASE_EVENTS, lambda r: str(r["header"]["event_id"]) == event_id
    )
    assert message.key() == case_id.encode()
    assert dict(message.headers() or [])[SUBMITTED_BY] == INSTITUTION.encode()
    assert record["header"]["event_type"] == "CaseOpened"
    assert record["municipality"] == "lazarevac" and record["relationship"] == "SPOUSE"


def test_an_event_naming_another_institution_is_answered_on_the_rejections_topic(
    served: tuple[str, str],
) -> None:
    """The example run for a centre that writes to another's topic: the exchange refuses it, and
    Confluent's deserializer reads the refusal (``SubmissionRejected``)."""
    registry_url, bootstrap = served
    admin = AdminClient({"bootstrap.servers": bootstrap})
    impostor = "csr.zvezdara"
    for future in admin.create_topics([NewTopic(submissions_topic(impostor), 1)]).values():
        future.result(30)
    # The example names INSTITUTION as the source in the header and writes to its own topic, so
    # pointing it at another centre's topic takes a one-word change of its code.
    code = example_code().replace(
        'topic = f"submissions.{INSTITUTION}"', f'topic = "{submissions_topic(impostor)}"'
    )
    assert code != example_code()
    env = {**os.environ, "INSTITUTION": INSTITUTION, "SCHEMA_REGISTRY_URL": registry_url,
           "BOOTSTRAP_SERVERS": bootstrap, "READ_SECONDS": "1"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    message, refusal = read_until(
        bootstrap, registry_url, rejections_topic(impostor), lambda r: True
    )
    assert refusal["code"] == "source_mismatch"
    assert dict(message.headers() or [])[REJECTION_CODE] == b"source_mismatch"
