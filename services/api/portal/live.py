"""The inbox page kept current: ``GET /portal/inbox/stream`` tells an open page, by server-sent
events, that what it shows has changed; the page's script then fetches itself again.

An event carries only a version (a digest of the inbox topic's end offsets and of the
referrals' statuses), never case data: what changed is read by fetching the page, which is
access-logged as any page. The page holds its own version, so a change between rendering and
connecting, or while an EventSource reconnects (the version is the event id, sent back as
``Last-Event-ID``), is not missed.

As the API's ``/v1/inbox/stream``, a stream holds no worker (it sleeps on the event loop) and
counts against the same cap of open waits, here per account (429 ``too_many_waits`` beyond). It
ends when the session does (sign-out, idle or eight hours, the account disabled) with an
``ended`` event, and after ``duration`` seconds in any case; the browser then reconnects. Asking
whether the session lives does not count as the person's request: an open page alone does not
keep an idle session alive.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from consumers import queries
from schemas.topics import inbox_topic
from services.api.context import ApiContext, api_context
from services.api.errors import ApiError
from services.api.inbox import KEEP_ALIVE_S
from services.api.portal.pages import SESSION_COOKIE, SignedIn, session_holder
from services.bus import Bus, TopicPartition

router = APIRouter(prefix="/portal", include_in_schema=False)

POLL_S = 1.0  # how often a stream looks for a change: a person does not notice a second


def inbox_version(bus: Bus, institution: str, statuses: Mapping[tuple[str, str], int]) -> str:
    """A short digest of what the inbox page shows: it changes when a message arrives in the
    institution's inbox, or a referral arrives or moves on (``statuses``: how many referrals
    the institution received and sent, by direction and status)."""
    topic = inbox_topic(institution)
    ends: list[tuple[int, int]] = []
    if topic in bus.list_topics():
        partitions = [TopicPartition(topic, p) for p in range(bus.partitions_for(topic))]
        ends = sorted((tp.partition, end) for tp, end in bus.end_offsets(partitions).items())
    counted = sorted([*direction_status, count] for direction_status, count in statuses.items())
    digest = hashlib.sha256(json.dumps([ends, counted]).encode())
    return digest.hexdigest()[:16]


def status_counts(
    received: Iterable[Mapping[str, Any]], sent: Iterable[Mapping[str, Any]]
) -> dict[tuple[str, str], int]:
    """What ``queries.referral_status_counts`` reads, from rows a page has already read."""
    counts: Counter[tuple[str, str]] = Counter()
    for direction, rows in (("received", received), ("sent", sent)):
        counts.update((direction, str(row["status"])) for row in rows)
    return dict(counts)


def current_version(context: ApiContext, institution: str) -> str:
    # Counted, not listed: a stream asks every second, whatever the institution's history.
    with context.platform.views_engine.connect() as conn:
        statuses = queries.referral_status_counts(conn, institution)
    return inbox_version(context.platform.bus, institution, statuses)


def _stream_key(signed: SignedIn) -> str:
    # The API's cap of open waits, keyed apart from any token id.
    return f"portal:{signed.account.account_id}"


@router.get("/inbox/stream")
async def inbox_stream(
    request: Request,
    since: Annotated[str | None, Query(max_length=64)] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=64)] = None,
    duration: Annotated[float, Query(gt=0, le=3600)] = 300,
) -> StreamingResponse:
    session_id = request.cookies.get(SESSION_COOKIE, "")
    signed = await run_in_threadpool(session_holder, request, session_id, seen=False)
    if not session_id or signed is None:
        raise ApiError(401, "not_signed_in", "sign in at /portal first")
    context = api_context(request)
    context.waits.open(_stream_key(signed))  # 429 now, before the stream starts
    return StreamingResponse(
        _changes(request, session_id, signed, last_event_id or since, duration),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store"},
    )


async def _changes(
    request: Request, session_id: str, signed: SignedIn, shown: str | None, duration: float
) -> AsyncIterator[str]:
    """An ``inbox`` event each time the version differs from the one last shown, until the
    session ends (``ended``) or ``duration`` does; the wait is released however it ends."""
    context = api_context(request)
    try:
        yield "retry: 5000\n\n"
        ends_at, quiet_since = time.monotonic() + duration, time.monotonic()
        while time.monotonic() < ends_at:
            if await run_in_threadpool(session_holder, request, session_id, seen=False) is None:
                yield "event: ended\ndata: {}\n\n"
                return
            version = await run_in_threadpool(current_version, context, signed.account.institution)
            if shown is not None and version != shown:
                yield f"id: {version}\nevent: inbox\ndata: {json.dumps({'version': version})}\n\n"
                quiet_since = time.monotonic()
            shown = version
            if time.monotonic() - quiet_since > KEEP_ALIVE_S:
                yield ": keep-alive\n\n"
                quiet_since = time.monotonic()
            await asyncio.sleep(POLL_S)
    finally:
        context.waits.close(_stream_key(signed))
