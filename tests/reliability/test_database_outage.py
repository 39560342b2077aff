"""A projection's PostgreSQL goes away while cases stream: first its connections are refused (the
port closed behind a proxy), then its sessions are killed mid-transaction (pg_terminate_backend).
Each projection waits, retries with backoff and ends with the views of a clean run: nothing
skipped, nothing applied twice."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from services.bus import open_bus
from services.platform.sql import sql_engine
from tests.reliability.figures import record, scaled
from tests.reliability.streaming import Institutions, Running, assert_exactly_once, during
from tests.reliability.support import streamed_waves
from tests.support.pipeline import platform_for
from tests.support.tcp_proxy import TcpProxy

OUTAGE_S = float(scaled(3, 30))
APPLICATION = "povezimo-projections"


class Retries(logging.Handler):
    """Counts the runner's 'retrying in' warnings: proof that it waited rather than died."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "retrying in" in record.getMessage():
            self.count += 1


def terminate_sessions(admin_url: str, seconds: float) -> tuple[threading.Event, list[int]]:
    """Kill the projections' sessions again and again for ``seconds``."""
    killed: list[int] = []
    done = threading.Event()

    def keep_killing() -> None:
        engine = sql_engine(admin_url)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with engine.begin() as conn:
                killed.append(
                    len(
                        conn.execute(
                            text(
                                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE application_name = :name AND pid <> pg_backend_pid()"
                            ),
                            {"name": APPLICATION},
                        ).all()
                    )
                )
            time.sleep(0.3)
        engine.dispose()
        done.set()

    threading.Thread(target=keep_killing, daemon=True).start()
    return done, killed


@pytest.mark.postgres
def test_projections_wait_out_a_postgresql_outage(
    tmp_path: Path, postgres_url: str, clean: dict[str, str]
) -> None:
    direct = make_url(postgres_url)
    proxy = TcpProxy(target=direct.port or 5432)
    proxied = direct.set(host="127.0.0.1", port=proxy.port).update_query_dict(
        {"application_name": APPLICATION}
    )
    platform = platform_for(tmp_path / "data", f"sqlite:///{tmp_path / 'bus.db'}")
    platform.settings.views_url = proxied.render_as_string(hide_password=False)
    watcher = sql_engine(postgres_url)
    retries = Retries()
    logging.getLogger("consumers.runner").addHandler(retries)
    waves = streamed_waves(platform)
    try:
        with Running(platform) as running:
            institutions = Institutions(
                platform, open_bus(platform.settings.resolved_bus_url), watcher
            )
            killing = None
            for index, wave in enumerate(waves):
                if index == len(waves) // 3:
                    during(OUTAGE_S, lambda: proxy.cut(refuse=True), proxy.restore)
                if index == 2 * len(waves) // 3:
                    killing = terminate_sessions(postgres_url, OUTAGE_S)
                institutions.send(wave)
            assert killing is not None
            killing[0].wait(OUTAGE_S + 30)
            running.wait_caught_up(institutions.bus)
            assert not running.errors
        accepted, copies = assert_exactly_once(platform, clean)
    finally:
        logging.getLogger("consumers.runner").removeHandler(retries)
        proxy.close()
        watcher.dispose()
    assert retries.count > 0, "no projection ever had to retry: the outage missed them"
    assert sum(killing[1]) > 0, "no session was terminated"
    record(
        "postgresql outage",
        refused_s=OUTAGE_S,
        sessions_killed=sum(killing[1]),
        retries_with_backoff=retries.count,
        accepted=accepted,
        copies_in_case_events=copies,
        skipped=0,
        applied_twice=0,
    )
    platform.close()
