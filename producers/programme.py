"""Building programme events: the programme's id, and headers for what is not about a case.

A programme event's ``case_id`` carries its programme's id (``programme_id``): a UUID derived from
the programme's code, so every institution that records the programme's work names it alike
without asking anyone, and its events stay in order on one partition of ``case-events``. Ids of
activities, agreements and services are derived the same way from the publisher's own reference,
so recording the same thing twice is a duplicate the exchange drops, not a second activity.
See docs/decisions/0021-programme-events-on-the-case-log.md.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from producers.event_builder import new_event, new_header
from schemas.models import EventModel

PROGRAMME_NAMESPACE = uuid.UUID("0b6c7d2e-5a41-4f0e-9c3b-2f7e8d1a6c55")
"""Fixed for ever: changing it would give every programme a new id."""
RECORDED_AT_HOUR = 9  # activities are kept by day: an event is placed at 09:00 UTC of its day


def programme_id(code: str) -> uuid.UUID:
    """The id of the programme called ``code`` (e.g. ``povezimo-zajednicu-2006``)."""
    return uuid.uuid5(PROGRAMME_NAMESPACE, f"programme:{code}")


def derived_id(programme: uuid.UUID, publisher: str, *parts: str) -> uuid.UUID:
    """An id for something ``publisher`` records in ``programme``, stable for the same parts."""
    return uuid.uuid5(programme, "\x1f".join((publisher, *parts)))


def at_day(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, RECORDED_AT_HOUR, tzinfo=dt.UTC)


def programme_event(
    event_type: str,
    *,
    programme: uuid.UUID,
    publisher: str,
    day: dt.date,
    reference: str,
    recorded_at: dt.datetime | None = None,
    actor_role: str = "COORDINATOR",
    **fields: Any,
) -> EventModel:
    """A validated programme event published by ``publisher`` about what happened on ``day``.

    ``reference`` is the publisher's own name for the thing recorded (a spreadsheet row's id, the
    seed's line): the event id is derived from it. The legal basis is OTHER: a programme event
    carries no personal data, so no basis for processing any is claimed.
    """
    header = new_header(
        event_type,
        case_id=programme,
        source=publisher,
        occurred_at=at_day(day),
        recorded_at=recorded_at,
        actor_role=actor_role,
        legal_basis="OTHER",
        event_id=derived_id(programme, publisher, event_type, reference),
    )
    return new_event(event_type, header, **fields)
