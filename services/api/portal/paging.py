"""Pages of the inbox page's lists, so that none is cut without saying so.

The inbox's messages page by the API's own cursors (``0:12,1:7``): ``before`` shows the newest
messages before it, ``after`` the oldest after it; both are listed newest first. Each page's
"older" link starts where its oldest message of each partition is, its "newer" link after its
newest, so a message arriving meanwhile never shifts a page. The referral lists are short and
ordered by what needs an answer first, so they page by position (``received=50``) and say which
of how many they show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from schemas.topics import inbox_topic
from services.api.access import Reader
from services.api.inbox import (
    Cursor,
    InboxMessage,
    format_cursor,
    parse_cursor,
    read_inbox,
    read_inbox_before,
)
from services.bus import TopicPartition

MESSAGES_PAGE = 50
REFERRALS_PAGE = 50
KEPT = ("before", "after", "received", "sent")  # what a link carries over (not ?done=, ?lang=)


def link(params: QueryParams, anchor: str = "updates-heading", **changes: str | None) -> str:
    """The inbox's address with this page's positions, some changed (``None`` drops one), at
    the list's heading."""
    kept: dict[str, str | None] = {k: v for k, v in params.items() if k in KEPT}
    kept.update(changes)
    query = urlencode({k: v for k, v in kept.items() if v is not None})
    return f"/portal/inbox?{query}#{anchor}" if query else f"/portal/inbox#{anchor}"


@dataclass(frozen=True)
class MessagePage:
    messages: list[InboxMessage]  # newest first
    older: str | None  # cursors for the links, None when there is nothing that way
    newer: str | None


def _ends(reader: Reader) -> Cursor:
    bus = reader.context.platform.bus
    topic = inbox_topic(reader.institution)
    if topic not in bus.list_topics():
        return {}
    partitions = [TopicPartition(topic, p) for p in range(bus.partitions_for(topic))]
    return {tp.partition: end for tp, end in bus.end_offsets(partitions).items()}


def message_page(reader: Reader, before: str | None, after: str | None) -> MessagePage:
    """A page of the inbox's messages (access-logged); ``ApiError`` 422 for a bad cursor."""
    size, ends = MESSAGES_PAGE, _ends(reader)
    if after is not None:
        start = parse_cursor(after)
        shown = read_inbox(reader, start, size)
        low, high = _bounds(shown, start, start)
    else:
        asked = parse_cursor(before)
        bound = {p: min(asked.get(p, end), end) for p, end in ends.items()}
        shown = read_inbox_before(reader, bound, size)
        low, high = _bounds(shown, bound, bound)
    older = format_cursor(low) if any(offset > 0 for offset in low.values()) else None
    newest = before is None and after is None
    later = any(high.get(p, 0) < end for p, end in ends.items())
    return MessagePage(
        list(reversed(shown)), older, None if newest or not later else format_cursor(high)
    )


def _bounds(shown: Sequence[InboxMessage], low: Cursor, high: Cursor) -> tuple[Cursor, Cursor]:
    """Where the page's older and newer neighbours start, in each partition: at its oldest and
    after its newest message there; where it shows none, where it was asked to start or end
    (what that partition holds beyond is older, or newer, than every message shown)."""
    low, high = dict(low), dict(high)
    for message in shown:
        p, offset = message.partition, message.offset
        low[p] = min(low.get(p, offset), offset)
        high[p] = max(high.get(p, 0), offset + 1)
    return low, high


@dataclass(frozen=True)
class ListPage:
    """Which rows of a list a page shows, of how many, and the links to its neighbours."""

    rows: list[Any]
    first: int  # counted from 1, as a person reads "51-100 of 120"
    last: int
    total: int
    previous: str | None
    next: str | None


def list_page(rows: Sequence[Any], params: QueryParams, name: str, start: int) -> ListPage:
    """The rows from ``start`` on, a page's worth; the links change only this list's place."""
    size = REFERRALS_PAGE
    start = min(start, max(0, len(rows) - 1))
    shown = list(rows[start : start + size])
    anchor = f"{name}-heading"
    previous = link(params, anchor, **{name: str(max(0, start - size))}) if start else None
    following = (
        link(params, anchor, **{name: str(start + size)}) if start + size < len(rows) else None
    )
    return ListPage(shown, start + 1, start + len(shown), len(rows), previous, following)
