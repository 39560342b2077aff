"""What every route of the API stands on, built once per application and found on ``app.state``."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from fastapi import Request

from services.api.background import BackgroundPipeline
from services.api.limits import OpenWaits, WriteRate
from services.api.metrics import Metrics
from services.api.tokens import TokenStore
from services.bootstrap import Platform
from services.bus import Outgoing

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class RequestPublisher:
    """Publishes from request threads: every call is one durable batch, one call at a time.

    The engines' ``batch`` is per bus instance, so two request threads must not open one at the
    same time; a lock keeps each answer's events together and makes them durable before 2xx.
    """

    platform: Platform
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """For code that publishes on the platform's bus by itself (e.g. ``identify``)."""
        with self._lock:
            yield

    def publish(self, messages: Sequence[Outgoing]) -> None:
        if not messages:
            return
        bus = self.platform.bus
        with self._lock:
            with bus.batch():
                for topic, key, value, headers in messages:
                    bus.publish(topic, key, value, headers)
            bus.flush()


@dataclass
class ApiContext:
    platform: Platform
    tokens: TokenStore
    publisher: RequestPublisher
    metrics: Metrics
    waits: OpenWaits
    writes: WriteRate
    clock: Clock = utc_now
    pipeline: BackgroundPipeline | None = None


def api_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context
