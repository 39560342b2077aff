"""How the API is served: uvicorn with the platform's limits and log redaction, in the console
(``povezimo serve``) or in a thread (tests, benchmarks)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass
from types import FrameType

import uvicorn
from fastapi import FastAPI

from services.platform.logredact import redact_access_logs


def server_config(app: FastAPI, host: str, port: int, log_level: str = "info") -> uvicorn.Config:
    """uvicorn's settings for the API: its access log names no person and no token."""
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level)
    redact_access_logs()  # after the config, which (re)configures uvicorn's loggers
    return config


class CalmServer(uvicorn.Server):
    """uvicorn, waking once a second instead of ten times to see whether it should stop.

    uvicorn's main loop sleeps a tenth of a second between looks; on an idle platform that was
    the largest single cost (about 1 % of a core). This one looks once a second (its per-second
    work, the Date header, is unchanged) and at once when a signal or ``stop_soon`` asks it to.
    """

    _loop: asyncio.AbstractEventLoop | None = None
    _wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        ticks = 0
        should_exit = await self.on_tick(ticks)
        while not should_exit and not self.should_exit:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)
            ticks = (ticks + 10) % 864000  # ten of uvicorn's ticks: its once-a-second work
            should_exit = await self.on_tick(ticks)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self._wake_up()

    def stop_soon(self) -> None:
        """Ask the server to stop (from any thread)."""
        self.should_exit = True
        self._wake_up()

    def _wake_up(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)


def serve_forever(app: FastAPI, host: str, port: int) -> None:
    """Serve ``app`` in this thread until Ctrl-C or SIGTERM."""
    CalmServer(server_config(app, host, port)).run()


@dataclass
class ThreadedServer:
    """A server running in a thread of this process until ``stop``."""

    server: CalmServer
    thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        self.server.stop_soon()
        self.thread.join(timeout)


def serve_in_thread(
    app: FastAPI, host: str, port: int, *, timeout: float = 30.0, log_level: str = "info"
) -> ThreadedServer:
    """Serve ``app`` in a daemon thread; returns once it accepts connections."""
    server = CalmServer(server_config(app, host, port, log_level))
    thread = threading.Thread(target=server.run, name=f"api-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the API did not start on {host}:{port}")
        time.sleep(0.05)
    return ThreadedServer(server, thread)
