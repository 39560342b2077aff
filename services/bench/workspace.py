"""Where a benchmark run keeps its data: one registry for every measurement, a platform per bus.

The registry is shared so the schema ids framed into the generated events mean the same thing in
every platform the run builds; each measurement gets its own bus and views, so none reads
another's leftovers.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from schemas import Codec, open_registry
from schemas.topics import CASE_EVENTS, EVENT_TYPE, SUBMITTED_BY
from services.bench.brokers import TansuBroker
from services.bench.sample_events import EventSet
from services.bootstrap import Platform
from services.bus import Bus
from services.platform.files import owner_only_process
from services.platform.settings import Settings
from services.platform.sql import sql_engine
from services.platform.vault import KeyVault

BUSES = ("sqlite", "kafka")
# tansu completes a group join in about session_timeout / 2; a short one keeps joins out of the way.
SESSION_TIMEOUT_MS = 2000
LOAD_BATCH = 5000


@dataclass
class Workspace:
    root: Path

    def __post_init__(self) -> None:
        owner_only_process()  # the platforms it builds refuse stores others can read
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def registry_url(self) -> str:
        return f"sqlite:///{self.root / 'registry.db'}"

    @property
    def vault_url(self) -> str:
        # One key vault for every platform of the run, as one registry: the events are made (and
        # their people sealed) once, before any platform exists, and an exchange refuses a
        # registration that no key of its vault opens.
        return f"sqlite:///{self.root / 'vault.db'}"

    @cached_property
    def vault(self) -> KeyVault:
        return KeyVault(sql_engine(self.vault_url))

    @cached_property
    def codec(self) -> Codec:
        codec = Codec(open_registry(self.registry_url))
        codec.register_all()
        return codec

    def settings(self, name: str, bus_url: str | None) -> dict[str, str]:
        """Plain settings (they cross into child processes) for a fresh platform called ``name``."""
        data_dir = self.root / name
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
        found = {
            "data_dir": str(data_dir),
            "registry_url": self.registry_url,
            "vault_url": self.vault_url,
        }
        if bus_url:
            found["bus_url"] = bus_url
        return found

    @contextlib.contextmanager
    def bus_url(self, bus: str) -> Iterator[str | None]:
        """``None`` (the embedded SQLite log of the data dir) or a fresh tansu broker's URL."""
        if bus == "sqlite":
            yield None
            return
        if bus != "kafka":
            raise ValueError(f"unknown bus {bus!r}: choose from {BUSES}")
        broker = TansuBroker(log_path=self.root / "tansu.log").start()
        try:
            yield broker.url
        finally:
            broker.stop()


def platform_of(settings: dict[str, str]) -> Platform:
    return Platform(Settings(**settings), session_timeout_ms=SESSION_TIMEOUT_MS)  # type: ignore[arg-type]


def append_case_log(
    bus: Bus, events: EventSet, progress: Callable[[int], object] | None = None
) -> None:
    """Write ``events`` to ``case-events`` as the exchange appends accepted submissions.

    The exchange appends an institution's bytes unchanged, keyed by case id, with these headers;
    the bench events are all accepted (tests/integration/test_bench_events.py proves it), so this
    is the log a live run would leave, written without waiting for the exchange.
    """
    bus.create_topic(CASE_EVENTS)
    for start in range(0, len(events), LOAD_BATCH):
        stop = min(start + LOAD_BATCH, len(events))
        with bus.batch():
            for i in range(start, stop):
                bus.publish(
                    CASE_EVENTS,
                    events.keys[i],
                    events.values[i],
                    [
                        (EVENT_TYPE, events.event_types[i].encode()),
                        (SUBMITTED_BY, events.institutions[i].encode()),
                    ],
                )
        bus.flush()
        if progress:
            progress(stop - start)
