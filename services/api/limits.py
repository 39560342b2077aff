"""What one caller may take of the server: bytes per request, events per second, open waits.

A valid token is not a trusted one: an institution's system with a bug in a loop, or a stolen
token, must not fill the disk, hold every worker, or slow another institution's reads. Each limit
answers with a machine-readable 4xx (413 or 429 with ``Retry-After``) before the work is done.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.errors import ApiError

Clock = Callable[[], float]


@dataclass
class OpenWaits:
    """Long-polls and event streams each token holds open: at most ``per_token`` at once.

    A wait holds no worker thread (it sleeps on the event loop), but each one still polls the bus:
    the cap keeps one token's share of that small whatever it opens.
    """

    per_token: int
    _open: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def hold(self, token_id: str) -> Iterator[None]:
        self.open(token_id)
        try:
            yield
        finally:
            self.close(token_id)

    def open(self, token_id: str) -> None:
        """One more wait for ``token_id``, or 429 when it holds its share already."""
        with self._lock:
            if self._open.get(token_id, 0) >= self.per_token:
                raise ApiError(
                    429,
                    "too_many_waits",
                    f"this token already holds {self.per_token} long-polls or streams open; "
                    "close one, or read without waiting",
                    headers={"Retry-After": "1"},
                )
            self._open[token_id] = self._open.get(token_id, 0) + 1

    def held(self, token_id: str) -> int:
        """How many waits ``token_id`` holds open now."""
        with self._lock:
            return self._open.get(token_id, 0)

    def close(self, token_id: str) -> None:
        with self._lock:
            left = self._open[token_id] - 1
            if left:
                self._open[token_id] = left
            else:
                del self._open[token_id]


@dataclass
class WriteRate:
    """Events each token may submit: ``burst`` at once, then ``rate`` a second (a token bucket)."""

    rate: float
    burst: int
    clock: Clock = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # tokens, updated at
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, token_id: str) -> None:
        """One event's allowance, or 429 saying how long until there is one."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(token_id, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens < 1.0:
                self._buckets[token_id] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / self.rate)
                raise ApiError(
                    429,
                    "write_rate_exceeded",
                    f"this token may submit {self.rate:g} events a second "
                    f"(and {self.burst} at once); try again in {wait} s",
                    headers={"Retry-After": str(wait)},
                )
            self._buckets[token_id] = (tokens - 1.0, now)


class BodyLimit:
    """Refuses a request body over ``limit`` bytes with 413, before anything parses it: at once
    when its ``Content-Length`` says so, else as soon as the bytes read pass the limit."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        read = 0

        async def counted() -> Message:
            nonlocal read
            message = await receive()
            read += len(message.get("body", b""))
            if read > self.limit:
                # FastAPI passes an HTTPException from the body on; the handler answers 413.
                raise HTTPException(413, self._message())
            return message

        return counted

    async def _refuse(self, send: Send) -> None:
        body = ApiError(413, "body_too_large", self._message()).body()
        payload = _json(body)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    def _message(self) -> str:
        return f"a request body may have at most {self.limit} bytes"


def _json(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
