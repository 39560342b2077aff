"""Fixtures shared by every layer: real engines, started here or skipped with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.platform.files import owner_only_process
from tests.support.brokers import (
    KAFKA_URL,
    TansuBroker,
    docker_available,
    postgres_available,
    postgres_schema,
)


@pytest.fixture(scope="session", autouse=True)
def owner_only_files() -> None:
    """What the tests create is its owner's alone, as every ``povezimo`` command makes it (the
    command line's callback): without this, whether a test's store passed the loose-file check
    depended on whether an earlier test had run a command in the same process."""
    owner_only_process()


@pytest.fixture(scope="session")
def tansu_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Kafka-protocol broker (tansu, memory storage) for the whole session."""
    log = Path(tmp_path_factory.mktemp("tansu")) / "tansu.log"
    broker = TansuBroker(log_path=log).start()
    yield broker.url
    broker.stop()


@pytest.fixture(scope="session")
def apache_kafka_url() -> Iterator[str]:
    """Apache Kafka: an external broker named by POVEZIMO_TEST_KAFKA_URL, or testcontainers."""
    if KAFKA_URL:
        yield KAFKA_URL
        return
    reason = docker_available()
    if reason:
        pytest.skip(reason)
    from testcontainers.community.kafka import KafkaContainer

    with KafkaContainer().with_kraft() as kafka:
        yield "kafka://" + kafka.get_bootstrap_server()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    with postgres_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database on each SQL engine that can run here: a SQLite file, a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("tansu", marks=pytest.mark.kafka),
        pytest.param("apache-kafka", marks=pytest.mark.kafka),
    ]
)
def bus_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every bus engine that can run here; the contract suite runs once per engine."""
    engine = request.param
    if engine == "sqlite":
        return f"sqlite:///{tmp_path / 'bus.db'}"
    if engine == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    if engine == "tansu":
        return str(request.getfixturevalue("tansu_url"))
    return str(request.getfixturevalue("apache_kafka_url"))


@pytest.fixture
def names(request: pytest.FixtureRequest) -> str:
    """A prefix unique to the test, for topics and groups on a broker shared by the session."""
    import uuid

    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture(autouse=True)
def _no_stray_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings default to ./povezimo-data: keep tests out of the working tree."""
    monkeypatch.setenv("POVEZIMO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("POVEZIMO_BUS_URL", raising=False)


@pytest.fixture
def fresh_tansu_url(tmp_path: Path) -> Iterator[str]:
    """A broker of the test's own (tansu starts in milliseconds), for fixed topic names."""
    broker = TansuBroker(log_path=tmp_path / "tansu.log").start()
    yield broker.url
    broker.stop()


@pytest.fixture(params=["sqlite", pytest.param("tansu", marks=pytest.mark.kafka)])
def pipeline_bus_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The embedded bus and a Kafka-protocol broker, for the whole data path."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bus.db'}"
    return str(request.getfixturevalue("fresh_tansu_url"))
