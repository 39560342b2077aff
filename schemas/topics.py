"""Every topic and header name of the bus: the only module that spells them.

Topic and header names are a public interface (institutions' systems, Kafka ACLs, kcat scripts and
``deploy/`` use them), so they are written once, here, and everything else builds them with the
helpers below. An institution's id is the suffix of its topics, so a topic's name alone says who
writes it (``submissions.<id>``) or who reads it (``inbox.<id>``, ``rejections.<id>``).
"""

from __future__ import annotations

import re

from schemas.institutions import PLATFORM_INSTITUTION

# -- topics -------------------------------------------------------------------------------------

CASE_EVENTS = "case-events"
"""The canonical log: every accepted event, keyed by case id, kept forever."""
ACCESS_LOG = "access-log"
"""Every read of identified data (``AccessRecorded``), published by the platform."""

SUBMISSIONS_PREFIX = "submissions."
REJECTIONS_PREFIX = "rejections."
INBOX_PREFIX = "inbox."

SUBMISSIONS = re.compile(re.escape(SUBMISSIONS_PREFIX) + ".+")
"""Every institution's submissions topic: what the exchange subscribes to."""

# An institution's submissions topic carries one institution's traffic (a few events an hour at
# the busiest) and is read by the exchange together with every other institution's: one
# partition each keeps a case's order and makes every fetch of the exchange a third of what three
# would (a broker answers for each partition asked, data or not: ≈ 10 ms for 165 on tansu).
SUBMISSIONS_PARTITIONS = 1
PARTITIONS_BY_PREFIX: dict[str, int] = {SUBMISSIONS_PREFIX: SUBMISSIONS_PARTITIONS}
"""Partitions of a new topic by the start of its name; the bus is given it by the bootstrap."""


def submissions_topic(institution: str) -> str:
    """Where ``institution`` submits events (only it may write there)."""
    return SUBMISSIONS_PREFIX + institution


def rejections_topic(institution: str) -> str:
    """Where the exchange answers ``institution``'s refused submissions, with the original bytes."""
    return REJECTIONS_PREFIX + institution


def inbox_topic(institution: str) -> str:
    """What ``institution`` is sent: referrals to it and updates of the cases it takes part in."""
    return INBOX_PREFIX + institution


def submitter_of(topic: str) -> str:
    """The institution whose submissions topic ``topic`` is."""
    return topic.removeprefix(SUBMISSIONS_PREFIX)


def inbox_owner(topic: str) -> str:
    """The institution whose inbox ``topic`` is."""
    return topic.removeprefix(INBOX_PREFIX)


def topic_family(topic: str) -> str:
    """``submissions.*``, ``rejections.*`` or ``inbox.*`` for an institution's topic; any other
    topic is its own family. What may be shown where no institution may be named."""
    for prefix in (SUBMISSIONS_PREFIX, REJECTIONS_PREFIX, INBOX_PREFIX):
        if topic.startswith(prefix):
            return prefix + "*"
    return topic


def is_submissions(topic: str) -> bool:
    return topic.startswith(SUBMISSIONS_PREFIX)


def is_inbox(topic: str) -> bool:
    return topic.startswith(INBOX_PREFIX)


PLATFORM_SUBMISSIONS = submissions_topic(PLATFORM_INSTITUTION)
"""Where the platform submits its own events (expiries, erasures) through the exchange."""

# -- headers ------------------------------------------------------------------------------------
# Kafka headers beside the Avro value, so routers and tools read them without decoding it.

EVENT_TYPE = "event-type"
"""The event's type (``ReferralSent``): on submissions, case-events, inboxes and the access log."""
EVENT_ID = "event-id"
"""The event's id, on inbox messages."""
SUBMITTED_BY = "submitted-by"
"""On case-events: the institution whose submissions topic the event came from."""
SUBMISSION = "submission"
"""On case-events: where the accepted submission was read (``topic/partition/offset``)."""
SUBMITTED_VIA = "submitted-via"
"""On a submission: ``http`` when the HTTP ingest published it for a token."""
INBOX_REASON = "inbox-reason"
"""On an inbox message: why the institution is sent it (``referral``, ``case-update``, …)."""
REJECTION_CODE = "rejection-code"
"""On a rejection: its machine-readable code."""
TOKEN_ID = "token-id"
"""On the access log: the id (never the secret) of the token that read identified data."""

VIA_HTTP = b"http"
