"""A consumer-group member that reads records and is killed (SIGKILL) before it commits.

Run as ``python -m tests.contract.die_before_commit BUS_URL GROUP TOPIC COUNT``.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from services.bus import open_bus
from tests.support.brokers import TEST_SESSION_TIMEOUT_MS


def main(bus_url: str, group: str, topic: str, count: int) -> None:
    consumer = open_bus(bus_url).consumer(
        group, [topic], session_timeout_ms=TEST_SESSION_TIMEOUT_MS
    )
    read = 0
    deadline = time.monotonic() + 30
    while read < count and time.monotonic() < deadline:
        read += len(consumer.poll(timeout=0.5))
    print(f"read {read}", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
