"""The exchange and every projection in background threads of the API process, so that a lone
``povezimo serve`` on the embedded bus works end to end with no second process to start.

Each runner gets a platform of its own (its own bus and database connections): the bus engines'
``batch`` belongs to one bus instance, and the runners and request threads must not share one.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from consumers.blue_green import rebuild_if_changed
from consumers.runner import ProjectionRunner
from services.bootstrap import Platform
from services.platform.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class BackgroundPipeline:
    settings: Settings
    session_timeout_ms: int | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _platforms: list[Platform] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def start(self) -> None:
        self.names = list(self._platform().projections())
        for name in self.names:
            platform = self._platform()
            runner = platform.runner(platform.projections()[name])
            thread = threading.Thread(
                target=self._run, args=(runner,), name=f"pipeline-{name}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        log.info("pipeline running in the background: %s", ", ".join(self.names))

    def _platform(self) -> Platform:
        platform = Platform(self.settings, session_timeout_ms=self.session_timeout_ms)
        self._platforms.append(platform)
        return platform

    def _run(self, runner: ProjectionRunner) -> None:
        try:
            rebuild_if_changed(runner, self._stop.is_set)  # the old rows serve meanwhile
            runner.run(self._stop.is_set)
        except Exception:  # the runner retries outages itself; anything else must be seen
            log.exception("%s stopped", runner.group)
        finally:
            runner.close()

    @property
    def running(self) -> list[str]:
        return [t.name.removeprefix("pipeline-") for t in self._threads if t.is_alive()]

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=timeout)
        for platform in self._platforms:
            platform.close()
        self._threads.clear()
        self._platforms.clear()
