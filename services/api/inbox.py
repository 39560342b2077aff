"""An institution's inbox over HTTP: long-poll (``GET /v1/inbox``) or server-sent events
(``GET /v1/inbox/stream``), for systems that cannot run a Kafka client.

The inbox is the topic ``inbox.<institution>``; a cursor says how far the caller has read in each
partition (``"0:12,1:7,2:0"``). Each message carries the cursor after it, so a client resumes
exactly where it stopped (for SSE it is the event id, sent back as ``Last-Event-ID``).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from schemas import DecodeError
from schemas.topics import EVENT_ID, EVENT_TYPE, INBOX_REASON, inbox_topic
from services.api.access import CaseReader, Reader
from services.api.errors import ApiError, ErrorBody, Problem
from services.bus import Bus, Record, TopicPartition

router = APIRouter(prefix="/v1", tags=["institutions"])
Cursor = dict[int, int]


class InboxMessage(BaseModel):
    cursor: str = Field(description="Read from here on to get what follows this message.")
    partition: int
    offset: int
    event_type: str | None
    event_id: str | None
    case_id: str | None
    reason: str | None = Field(description="Why it reached this inbox: referral, case-update, …")
    received_at: dt.datetime
    event: dict[str, Any] | None = Field(description="The event as JSON (bytes in base64).")


class InboxPage(BaseModel):
    messages: list[InboxMessage]
    cursor: str = Field(description="Pass as `after` to read on.")


def parse_cursor(text: str | None) -> Cursor:
    if not text:
        return {}
    cursor: Cursor = {}
    try:
        for part in text.split(","):
            partition, offset = part.split(":")
            cursor[int(partition)] = int(offset)
    except ValueError:
        raise ApiError(
            422,
            "invalid_cursor",
            "a cursor looks like 0:12,1:7,2:0",
            [Problem(location=["query", "after"], code="invalid_cursor", message=text[:100])],
        ) from None
    if any(p < 0 or o < 0 for p, o in cursor.items()):
        raise ApiError(422, "invalid_cursor", "partitions and offsets are never negative")
    return cursor


def format_cursor(cursor: Cursor) -> str:
    return ",".join(f"{p}:{o}" for p, o in sorted(cursor.items()))


def _read(bus: Bus, topic: str, cursor: Cursor, limit: int) -> list[Record]:
    """Records of ``topic`` after ``cursor``, in order of arrival, without joining a group."""
    partitions = bus.partitions_for(topic) if topic in bus.list_topics() else 0
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    ends = bus.end_offsets(tps)
    waiting = [tp for tp in tps if ends[tp] > cursor.get(tp.partition, 0)]
    if not waiting:
        return []
    found = _read_partitions(bus, waiting, cursor, ends, limit)
    found.sort(key=lambda r: (r.timestamp_ms, r.partition, r.offset))
    return found[:limit]


def _read_partitions(
    bus: Bus,
    waiting: list[TopicPartition],
    cursor: Cursor,
    ends: dict[TopicPartition, int],
    limit: int,
) -> list[Record]:
    """Up to ``limit`` records of each partition after the cursor (the cursor is the position:
    no group, nothing committed)."""
    reader = bus.reader({tp: cursor.get(tp.partition, 0) for tp in waiting})
    found: dict[TopicPartition, list[Record]] = {tp: [] for tp in waiting}

    def wanting() -> bool:
        return any(
            len(found[tp]) < limit and cursor.get(tp.partition, 0) + len(found[tp]) < ends[tp]
            for tp in waiting
        )

    deadline = time.monotonic() + 10
    try:
        while wanting() and time.monotonic() < deadline:
            for record in reader.poll(max_records=limit * len(waiting), timeout=0.5):
                found[record.topic_partition].append(record)
    finally:
        reader.close()
    return [r for records in found.values() for r in records[:limit]]


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, (uuid.UUID, dt.date)):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return value


def _header(record: Record, name: str) -> str | None:
    value = record.header(name)
    return value.decode() if value is not None else None


def read_inbox(reader: Reader, cursor: Cursor, limit: int) -> list[InboxMessage]:
    """The next messages of the caller's inbox, access-logged before they are returned."""
    platform = reader.context.platform
    records = _read(platform.bus, inbox_topic(reader.institution), cursor, limit)
    return _as_messages(reader, records, cursor)


def read_inbox_before(reader: Reader, before: Cursor, limit: int) -> list[InboxMessage]:
    """The newest ``limit`` messages of the caller's inbox before ``before`` (a partition it
    does not name: before its end), in order of arrival, access-logged; for reading backwards."""
    bus = reader.context.platform.bus
    topic = inbox_topic(reader.institution)
    partitions = bus.partitions_for(topic) if topic in bus.list_topics() else 0
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    ends = bus.end_offsets(tps)
    bound = {tp: min(before.get(tp.partition, ends[tp]), ends[tp]) for tp in tps}
    starts = {tp.partition: max(0, bound[tp] - limit) for tp in tps}
    waiting = [tp for tp in tps if bound[tp] > starts[tp.partition]]
    found = _read_partitions(bus, waiting, starts, bound, limit) if waiting else []
    found = [r for r in found if r.offset < bound[r.topic_partition]]
    found.sort(key=lambda r: (r.timestamp_ms, r.partition, r.offset))
    return _as_messages(reader, found[-limit:], starts)


def _as_messages(reader: Reader, records: list[Record], cursor: Cursor) -> list[InboxMessage]:
    platform = reader.context.platform
    messages = []
    position = dict(cursor)
    for record in records:
        position[record.partition] = record.offset + 1
        try:
            event: dict[str, Any] | None = platform.codec.decode(record.value or b"").record
        except DecodeError:
            event = None  # still delivered, so the cursor moves past it; nothing is hidden
        messages.append(
            InboxMessage(
                cursor=format_cursor(position),
                partition=record.partition,
                offset=record.offset,
                event_type=_header(record, EVENT_TYPE),
                event_id=_header(record, EVENT_ID),
                case_id=record.key.decode() if record.key else None,
                reason=_header(record, INBOX_REASON),
                received_at=dt.datetime.fromtimestamp(record.timestamp_ms / 1000, dt.UTC),
                event=_json(event) if event is not None else None,
            )
        )
    reader.record("inbox", (m.case_id for m in messages if m.case_id))
    return messages


_WAITING: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorBody, "description": "too_many_waits: this token's cap."}
}


@router.get("/inbox", response_model=InboxPage, responses={422: {"model": ErrorBody}, **_WAITING})
async def poll_inbox(
    reader: CaseReader,
    after: Annotated[str | None, Query(description="Cursor of the last message read.")] = None,
    wait: Annotated[float, Query(ge=0, le=30, description="Seconds to wait for news.")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> InboxPage:
    """Messages in this institution's inbox after ``after``; waits up to ``wait`` s (long-poll).

    A token may hold a few waits open at once (429 ``too_many_waits`` beyond); a wait holds no
    worker: it sleeps on the event loop between reads."""
    cursor = parse_cursor(after)
    if wait > 0:
        with reader.context.waits.hold(reader.principal.token_id):
            messages = await _wait_for_news(reader, cursor, limit, wait)
    else:
        messages = await run_in_threadpool(read_inbox, reader, cursor, limit)
    return InboxPage(
        messages=messages, cursor=messages[-1].cursor if messages else format_cursor(cursor)
    )


async def _wait_for_news(
    reader: Reader, cursor: Cursor, limit: int, wait: float
) -> list[InboxMessage]:
    deadline = time.monotonic() + wait
    while True:
        messages = await run_in_threadpool(read_inbox, reader, cursor, limit)
        if messages or time.monotonic() >= deadline:
            return messages
        await asyncio.sleep(min(0.25, max(deadline - time.monotonic(), 0)))


KEEP_ALIVE_S = 15.0


@router.get(
    "/inbox/stream",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}},
        422: {"model": ErrorBody},
        **_WAITING,
    },
)
async def stream_inbox(
    reader: CaseReader,
    after: Annotated[str | None, Query(description="Cursor to start after.")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    duration: Annotated[
        float, Query(gt=0, le=3600, description="Seconds before the server ends the stream.")
    ] = 300,
) -> StreamingResponse:
    """Server-sent events: each inbox message as an event named by its type, with the cursor as
    its id. The stream ends after ``duration``; an EventSource reconnects and resumes."""
    cursor = parse_cursor(last_event_id or after)
    reader.context.waits.open(reader.principal.token_id)  # 429 now, before the stream starts
    return StreamingResponse(
        _inbox_events(reader, cursor, duration),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store"},
    )


async def _inbox_events(reader: Reader, cursor: Cursor, duration: float) -> AsyncIterator[str]:
    """The stream's events until ``duration`` ends it; its wait is released however it ends."""
    try:
        position = dict(cursor)
        ends_at = time.monotonic() + duration
        quiet_since = time.monotonic()
        yield "retry: 2000\n\n"
        while time.monotonic() < ends_at:
            messages = await run_in_threadpool(read_inbox, reader, position, 100)
            for message in messages:
                data = json.dumps(message.model_dump(mode="json"), separators=(",", ":"))
                kind = message.event_type or "message"
                yield f"id: {message.cursor}\nevent: {kind}\ndata: {data}\n\n"
                position = parse_cursor(message.cursor)
                quiet_since = time.monotonic()
            if time.monotonic() - quiet_since > KEEP_ALIVE_S:
                yield ": keep-alive\n\n"
                quiet_since = time.monotonic()
            if not messages:
                await asyncio.sleep(0.25)
    finally:
        reader.context.waits.close(reader.principal.token_id)
