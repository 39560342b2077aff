"""Projections that keep their own database, following the bus in a second process.

The aggregate and the archive write to databases of their own, so nothing they do waits on the
exchange and the views, or they on it: in a second process they use the second core while the
first runs the exchange. The process reads the bus like any other member of its groups; the
parent can ask it to settle (drain to the end as it is now, and say so, staying in its groups),
and tells it when nothing more will be written: it then drains to the end and exits. Its log
records and progress come back to the parent over queues, so they land where the parent's do.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import multiprocessing
import queue
import time
from collections.abc import Sequence
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Event
from typing import Any

from services.platform.settings import Settings

FOLLOW_PAUSE_S = 1.0  # between drains: fewer, larger transactions while the exchange works
FINISH_TIMEOUT_S = 900.0

log = logging.getLogger(__name__)


class FollowerFailed(RuntimeError):
    """The second process ended without draining (its traceback is in the log)."""


class FollowerProcess:
    """``names`` of the platform's projections, run until ``finish`` in a spawned process."""

    def __init__(
        self, settings: Settings, names: Sequence[str], session_timeout_ms: int | None = None
    ) -> None:
        context = multiprocessing.get_context("spawn")  # no inherited engines or sockets
        self.names = tuple(names)
        self._finish = context.Event()
        self._drains_asked: multiprocessing.Queue[int] = context.Queue()
        self._drains_done: multiprocessing.Queue[int] = context.Queue()
        self._asked = 0
        self._applied: multiprocessing.Queue[int] = context.Queue()
        self._logs: multiprocessing.Queue[logging.LogRecord] = context.Queue()
        self._listener = logging.handlers.QueueListener(self._logs, _Relog())
        self._listening = False
        self._process: SpawnProcess = context.Process(  # type: ignore[attr-defined]
            target=_follow,
            args=(settings, self.names, session_timeout_ms, self._finish, self._applied),
            kwargs={
                "asked": self._drains_asked,
                "done": self._drains_done,
                "logs": self._logs,
                "level": logging.getLogger().getEffectiveLevel(),
            },
            name=f"povezimo-{'+'.join(self.names)}",
            daemon=True,
        )

    def start(self) -> FollowerProcess:
        self._listener.start()
        self._listening = True
        self._process.start()
        return self

    def applied(self) -> int:
        """Events applied since the last call (for a progress bar)."""
        total = 0
        while True:
            try:
                total += self._applied.get_nowait()
            except queue.Empty:
                return total

    def settle(self, timeout: float = FINISH_TIMEOUT_S) -> None:
        """Return once every projection has read the log to where it ends now.

        The members stay in their groups: joining again would cost a rebalance (seconds on a
        broker) each time the caller needs the projections' outputs, such as the deadline
        watcher's expiries, before it goes on.
        """
        self._asked += 1
        self._drains_asked.put(self._asked)
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(queue.Empty):
                if self._drains_done.get(timeout=0.5) >= self._asked:
                    return
            if not self._process.is_alive():
                raise FollowerFailed(f"{self._process.name} exited with {self._process.exitcode}")
            if time.monotonic() > deadline:
                raise FollowerFailed(f"{self._process.name} did not drain in {timeout:.0f}s")

    def finish(self, timeout: float = FINISH_TIMEOUT_S) -> None:
        """Nothing more will be written: drain to the end, then stop."""
        self._finish.set()
        self._drains_asked.put(0)  # wakes it at once
        self._process.join(timeout)
        try:
            if self._process.is_alive():
                self._process.kill()
                raise FollowerFailed(f"{self._process.name} did not drain in {timeout:.0f}s")
            if self._process.exitcode != 0:
                raise FollowerFailed(f"{self._process.name} exited with {self._process.exitcode}")
        finally:
            self._stop_listening()

    def stop(self) -> None:
        """Stop at once (the caller failed); what was applied stays, offsets with it."""
        if self._process.is_alive():
            self._process.kill()
            self._process.join(10)
        self._stop_listening()

    def _stop_listening(self) -> None:
        if self._listening:
            self._listener.stop()  # hands on the records still queued first
            self._listening = False


class _Relog(logging.Handler):
    """Hands a record from the second process to the parent's logger of the same name."""

    def emit(self, record: logging.LogRecord) -> None:
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)


def _follow(
    settings: Settings,
    names: tuple[str, ...],
    session_timeout_ms: int | None,
    finish: Event,
    applied: multiprocessing.Queue[int],
    *,
    asked: multiprocessing.Queue[int],
    done: multiprocessing.Queue[int],
    logs: multiprocessing.Queue[Any],
    level: int,
) -> None:
    from consumers.pipeline import Pipeline
    from services.bootstrap import Platform

    root = logging.getLogger()
    root.handlers[:] = [logging.handlers.QueueHandler(logs)]
    root.setLevel(level)
    system = Platform(settings, session_timeout_ms)
    runners = [system.runner(p, max_records=50_000) for n, p in system.projections().items()
               if n in names]  # fmt: skip
    pipeline = Pipeline(runners, system.bus)
    try:
        requests: list[int] = []
        while True:
            # Read before draining: the drain then sees every write made before the request.
            last = finish.is_set()
            requests += _pending(asked)
            pipeline.drain(
                timeout=FINISH_TIMEOUT_S,
                progress=lambda _name, n: applied.put(n),
                side_by_side=True,
            )
            if requests:
                done.put(max(requests))
                requests = []
            if last:
                return
            with contextlib.suppress(queue.Empty):
                requests.append(asked.get(timeout=FOLLOW_PAUSE_S))
    except Exception:
        log.exception("projections %s stopped", ", ".join(names))
        raise
    finally:
        pipeline.close()
        system.close()


def _pending(requests: multiprocessing.Queue[int]) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(queue.Empty):
        while True:
            found.append(requests.get_nowait())
    return found
