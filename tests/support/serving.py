"""``povezimo serve`` in a process of its own, as an operator starts it, for end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.support.brokers import TEST_SESSION_TIMEOUT_MS, free_port, wait_for_port


@contextlib.contextmanager
def serving(workdir: Path, data_dir: Path, *options: str) -> Iterator[str]:
    """The server's URL while it runs; its log (``workdir/serve.log``) holds no traceback after.

    The test's own ``POVEZIMO_*`` settings stay out of it: only ``options`` configure it.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POVEZIMO_")}
    env["POVEZIMO_SESSION_TIMEOUT_MS"] = str(TEST_SESSION_TIMEOUT_MS)
    log_path = workdir / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--data-dir", str(data_dir), *options],
            cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_for_port(port, timeout=60)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert "Traceback" not in log_path.read_text()
