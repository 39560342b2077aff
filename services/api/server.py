"""How the API is served: uvicorn with the platform's limits and log redaction, in the console
(``povezimo serve``) or in a thread (tests, benchmarks)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from services.platform.logredact import redact_access_logs


def server_config(app: FastAPI, host: str, port: int, log_level: str = "info") -> uvicorn.Config:
    """uvicorn's settings for the API: its access log names no person and no token."""
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level)
    redact_access_logs()  # after the config, which (re)configures uvicorn's loggers
    return config


def serve_forever(app: FastAPI, host: str, port: int) -> None:
    """Serve ``app`` in this thread until Ctrl-C or SIGTERM."""
    uvicorn.Server(server_config(app, host, port)).run()


@dataclass
class ThreadedServer:
    """A server running in a thread of this process until ``stop``."""

    server: uvicorn.Server
    thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def serve_in_thread(
    app: FastAPI, host: str, port: int, *, timeout: float = 30.0, log_level: str = "info"
) -> ThreadedServer:
    """Serve ``app`` in a daemon thread; returns once it accepts connections."""
    server = uvicorn.Server(server_config(app, host, port, log_level))
    thread = threading.Thread(target=server.run, name=f"api-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the API did not start on {host}:{port}")
        time.sleep(0.05)
    return ThreadedServer(server, thread)
