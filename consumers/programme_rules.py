"""The exchange's rules for programme events: agreements, activities and services set up.

A programme event is about a programme, not a case (its ``case_id`` is the programme's id), so the
case rules (an opener, participants, need-to-know) do not apply to it. What does: the programme id
names no case, every institution and municipality it names is registered, an agreement is amended
or ended only by one of its parties while it is in force, and the details a kind of activity needs
are there. Pure functions over what the exchange knows (``ProgrammeFacts``), tested without I/O.
See docs/decisions/0021-programme-events-on-the-case-log.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from schemas.institutions import InstitutionRegistry

Problem = tuple[str, str] | None
SIGNED, AMENDED, ENDED = (
    "CooperationAgreementSigned",
    "CooperationAgreementAmended",
    "CooperationAgreementEnded",
)


@dataclass
class Agreement:
    """An agreement as the exchange keeps it: enough to judge who may change it."""

    agreement_id: str
    programme_id: str
    parties: tuple[str, ...]
    ended: bool = False


class ProgrammeFacts(Protocol):
    def is_case(self, case_id: str) -> bool: ...

    def agreement(self, agreement_id: str) -> Agreement | None: ...


def programme_problem(
    institution: str,
    event_type: str,
    event: dict[str, Any],
    institutions: InstitutionRegistry,
    facts: ProgrammeFacts,
) -> Problem:
    """The first rule ``event`` (published by ``institution``) breaks, or None."""
    programme_id = str(event["header"]["case_id"])
    if facts.is_case(programme_id):
        return (
            "not_a_programme",
            "case_id names a case: a programme event carries its programme's id there",
        )
    place = event.get("municipality")
    if place is not None and not institutions.by_municipality(place):
        return ("unknown_municipality", "no registered institution serves the named municipality")
    check = _CHECKS.get(event_type)
    return check(institution, event, institutions, facts) if check else None


def _agreement_signed(
    institution: str, event: dict[str, Any], institutions: InstitutionRegistry, facts: Any
) -> Problem:
    if facts.agreement(str(event["agreement_id"])) is not None:
        return ("agreement_exists", f"agreement {event['agreement_id']} was already signed")
    until = event.get("in_force_until")
    if event["in_force_from"] < event["signed_on"] or (until and until < event["in_force_from"]):
        return ("dates_out_of_order", "signed_on ≤ in_force_from ≤ in_force_until")
    return _parties_problem(institution, event["parties"], institutions)


def _agreement_changed(
    institution: str, event: dict[str, Any], institutions: InstitutionRegistry, facts: Any
) -> Problem:
    found: Agreement | None = facts.agreement(str(event["agreement_id"]))
    in_programme = found is not None and found.programme_id == str(event["header"]["case_id"])
    # Only its parties learn that an agreement exists: to anyone else it answers like a missing one.
    if found is None or not in_programme or institution not in found.parties:
        return ("unknown_agreement", "no agreement with this id in this programme you are party to")
    if found.ended:
        return ("agreement_ended", f"agreement {found.agreement_id} is no longer in force")
    if "parties" in event:
        return _parties_problem(institution, event["parties"], institutions, joining=False)
    return None


def _parties_problem(
    institution: str,
    parties: list[dict[str, Any]],
    institutions: InstitutionRegistry,
    *,
    joining: bool = True,
) -> Problem:
    ids = [p["institution_id"] for p in parties]
    if len(set(ids)) < 2:
        return ("too_few_parties", "an agreement has at least two different parties")
    for party in parties:
        known = institutions.get(party["institution_id"])
        if known is None or known.kind != party["kind"]:
            return ("unknown_party", f"{party['institution_id'][:120]!r} is not a registered "
                                     f"{party['kind']}")  # fmt: skip
    if joining and institution not in ids:
        return ("not_a_party", "the publisher of an agreement is one of its parties")
    return None


def _activity(
    institution: str, event: dict[str, Any], institutions: InstitutionRegistry, facts: Any
) -> Problem:
    kind = event["kind"]
    if kind == "SEMINAR" and event.get("seminar") is None:
        return ("seminar_details_missing", "a SEMINAR names its programme and days (seminar)")
    if kind == "MEDIA_APPEARANCE" and event.get("media") is None:
        return ("media_details_missing", "a MEDIA_APPEARANCE names its outlet's scope (media)")
    if (event.get("seminar") or {}).get("days", 1) < 1:
        return ("not_positive", "seminar.days is at least 1")
    if any(p["count"] < 1 for p in event.get("participants") or []):
        return ("not_positive", "every participants[].count is at least 1")
    reach = (event.get("media") or {}).get("reach")
    if reach is not None and reach < 0:
        return ("not_positive", "media.reach is not negative")
    until: dt.date | None = event.get("held_until")
    if until is not None and until < event["held_from"]:
        return ("dates_out_of_order", "held_until is before held_from")
    return None


def _service(
    institution: str, event: dict[str, Any], institutions: InstitutionRegistry, facts: Any
) -> Problem:
    named: Iterable[str] = [*filter(None, [event.get("institution_id")]), *event["supported_by"]]
    for named_id in named:
        if named_id not in institutions:
            return ("unknown_institution_named", f"{named_id[:120]!r} is not registered")
    offices = event.get("law_offices")
    if event["service"] == "LEGAL_AID_AGREEMENT" and (offices is None or offices < 1):
        return ("law_offices_missing", "a LEGAL_AID_AGREEMENT says with how many law offices")
    if offices is not None and offices < 1:
        return ("not_positive", "law_offices is at least 1")
    return None


Check = Callable[[str, dict[str, Any], InstitutionRegistry, Any], Problem]
_CHECKS: dict[str, Check] = {
    SIGNED: _agreement_signed,
    AMENDED: _agreement_changed,
    ENDED: _agreement_changed,
    "ActivityHeld": _activity,
    "ServiceEstablished": _service,
}
