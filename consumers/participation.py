"""Who takes part in a case: the rule behind need-to-know, shared by the exchange and the views.

An institution sees a case only while it is a participant: the one that opened it, the statutory
recipients of an urgent measure (the basic public prosecutor and the centre for social work of the
municipality), the court a proposal names, the sender and recipient of a referral (until it is
declined, revoked or expires), the members of a case conference, the executors of plan measures.
Each participation is tied to what created it (``via``), so it can end with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from consumers.rows import TableRows

OPENING_EVENTS = frozenset({"CaseOpened", "ReportReceived"})
REFERRAL_ENDINGS = frozenset({"ReferralDeclined", "ReferralRevoked", "ReferralExpired"})
# The only events whose participation change depends on the case's municipality (who serves it).
NEEDS_MUNICIPALITY = frozenset({"UrgentMeasureImposed"})

# Who serves a municipality for a kind of institution: (municipality, kind) → institution id.
Serving = Callable[[str, str], str | None]


@dataclass(frozen=True, slots=True)
class Participation:
    institution: str
    role: str
    via: str  # the case, referral, conference or plan that made it a participant


@dataclass(frozen=True, slots=True)
class Change:
    """Participations an event adds, and the ``via`` whose recipient participation it ends."""

    added: tuple[Participation, ...] = ()
    ended_referral: str | None = None


def participation_change(
    event_type: str,
    body: dict[str, Any],
    *,
    case_municipality: str | None,
    serving: Serving,
) -> Change:
    """What ``event_type`` changes in the participants of its case."""
    header = body["header"]
    source, case_id = header["source_institution"], str(header["case_id"])
    if event_type in OPENING_EVENTS:
        added = [Participation(source, "opener", case_id)]
        forwarded = body.get("forwarded_to_institution")
        if forwarded:
            added.append(Participation(forwarded, "statutory", case_id))
        return Change(tuple(added))
    if event_type == "UrgentMeasureImposed" and case_municipality:
        # The police deliver the order to the basic public prosecutor and inform the centre for
        # social work (LPDV Art. 17-18); both take part from then on.
        notified = (serving(case_municipality, kind) for kind in ("PROSECUTOR", "CSR"))
        via = str(body["measure_id"])
        return Change(tuple(Participation(i, "statutory", via) for i in notified if i))
    if event_type == "ExtensionProposed":
        return Change(
            (Participation(body["court_institution_id"], "court", str(body["measure_id"])),)
        )
    if event_type == "ReferralSent":
        via = str(body["referral_id"])
        return Change(
            (
                Participation(source, "referral_sender", via),
                Participation(body["to_institution"], "referral_recipient", via),
            )
        )
    if event_type in REFERRAL_ENDINGS:
        return Change(ended_referral=str(body["referral_id"]))
    if event_type == "CaseConferenceScheduled":
        via = str(body["conference_id"])
        members = [body["chair_institution"]["institution_id"], *body["invited_institution_ids"]]
        return Change(tuple(Participation(m, "conference_member", via) for m in members))
    if event_type == "CaseConferenceHeld":
        via = str(body["conference_id"])
        return Change(
            tuple(
                Participation(m, "conference_member", via)
                for m in body["attending_institution_ids"]
            )
        )
    if event_type == "ProtectionPlanAdopted":
        via = str(body["plan_id"])
        executors = sorted({m["executor_institution"]["institution_id"] for m in body["measures"]})
        return Change(tuple(Participation(e, "plan_executor", via) for e in executors))
    return Change()


def add_participants(rows: TableRows, case_id: str, added: Sequence[Participation]) -> None:
    """Record participations in ``rows`` (case_id, institution, role, via), once each."""
    for p in added:
        key = (case_id, p.institution, p.role, p.via)
        if rows.get(key) is None:
            rows.add(
                {"case_id": case_id, "institution": p.institution, "role": p.role, "via": p.via}
            )


def end_referral_participation(rows: TableRows, case_id: str, referral: str) -> None:
    """The recipient of ``referral`` takes no more part through it (declined, revoked, expired)."""
    for row in rows.group("case_id", case_id):
        if row["role"] == "referral_recipient" and row["via"] == referral:
            rows.remove((case_id, row["institution"], row["role"], row["via"]))
