"""A submission as it goes on the bus: the bytes the producer SDK and the HTTP ingest both send.

An institution's event is keyed by its case id (so a case stays on one partition, in order),
framed and encoded by the codec, and published to the institution's own submissions topic with
its type in a header. The SDK writes the key and value to its outbox when the event is submitted
and its relay makes the message later; the HTTP ingest does both at once. Both go through here.
"""

from __future__ import annotations

import uuid
from typing import Any

from schemas import Codec
from schemas.models import EventModel
from schemas.topics import EVENT_TYPE, SUBMITTED_VIA, submissions_topic
from schemas.writer import uuid_ascii
from services.bus import Headers, Outgoing


def encode_submission(codec: Codec, event: EventModel) -> tuple[bytes, bytes]:
    """The key (the case id as text) and the framed Avro value of a validated event.

    ``EncodeError`` when the codec cannot encode it."""
    value = codec.encode_model(event)  # first: it remembers the header's ids as text
    return id_text(event.header.case_id), value  # type: ignore[attr-defined]


def submission_headers(event_type: str, via: bytes | None = None) -> Headers:
    """The headers of a submission: its event type, and how it came in when not through the SDK."""
    headers = [(EVENT_TYPE, event_type.encode())]
    if via is not None:
        headers.append((SUBMITTED_VIA, via))
    return tuple(headers)


def submission_message(institution: str, key: bytes, value: bytes, headers: Headers) -> Outgoing:
    """What goes on the bus for ``institution``'s submission."""
    return submissions_topic(institution), key, value, headers


def id_text(value: Any) -> bytes:
    """An id of the header as the bytes of its text (a UUID's text is remembered)."""
    return uuid_ascii(value) if value.__class__ is uuid.UUID else str(value).encode()
