"""The referral lifecycle: which event may follow which, and who may publish it."""

from __future__ import annotations

SENT, ACCEPTED, DECLINED, COMPLETED, REVOKED, EXPIRED = (
    "sent",
    "accepted",
    "declined",
    "completed",
    "revoked",
    "expired",
)

# Status a referral event leads to, from the statuses it may follow. An accepted referral can no
# longer expire (expiry is about an unanswered referral); every other end is final.
TRANSITIONS: dict[str, tuple[str, frozenset[str]]] = {
    "ReferralAccepted": (ACCEPTED, frozenset({SENT})),
    "ReferralDeclined": (DECLINED, frozenset({SENT})),
    "ReferralCompleted": (COMPLETED, frozenset({ACCEPTED})),
    "ReferralRevoked": (REVOKED, frozenset({SENT, ACCEPTED})),
    "ReferralExpired": (EXPIRED, frozenset({SENT})),
}

# Which side of the referral publishes each answer (the platform publishes expiries).
ANSWERED_BY_RECIPIENT = frozenset({"ReferralAccepted", "ReferralDeclined", "ReferralCompleted"})
ANSWERED_BY_SENDER = frozenset({"ReferralRevoked"})
OPEN = frozenset({SENT, ACCEPTED})


def next_status(current: str, event_type: str) -> str | None:
    """The status after ``event_type``, or None when the lifecycle forbids it from ``current``."""
    target, allowed_from = TRANSITIONS[event_type]
    return target if current in allowed_from else None
