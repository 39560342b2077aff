"""A small region scripted for the aggregate's tests: four cases whose indicators are known.

Every case registers its victim and perpetrator (SubjectRegistered, synthetic identifiers
sealed). A (Lazarevac, January 2026): the whole coordinated path. B (Lazarevac, February): the
whole path again. C (Golubac, January, pooled into Braničevo): urgent measure path, then a breach
and a referral to free legal aid that is declined. D (Lazarevac, March): A's victim again (a
repeat within 12 months), urgent measure path, closed 20 days later without a group meeting
(review missed).
"""

from __future__ import annotations

import datetime as dt
import random

from producers.scenario import (
    DAY,
    HOUR,
    CaseScript,
    Submission,
    _coordination_path,
    urgent_measure_path,
)
from services.platform.vault import KeyVault

START = dt.datetime(2026, 1, 5, 7, 0, tzinfo=dt.UTC)


def region(vault: KeyVault | None = None) -> tuple[list[list[Submission]], dict[str, object]]:
    """The four cases (each in causal order) and the ids the tests look for."""
    a = CaseScript(random.Random(71), "lazarevac", vault)
    _coordination_path(a, urgent_measure_path(a, START))

    b = CaseScript(random.Random(72), "lazarevac", vault)
    _coordination_path(b, urgent_measure_path(b, START + 40 * DAY))

    c = CaseScript(random.Random(73), "golubac", vault)
    accepted = urgent_measure_path(c, START + 2 * DAY)
    (imposed,) = (x.event for x in c.submissions if x.event_type == "UrgentMeasureImposed")
    measure_id = imposed.measure_id  # type: ignore[attr-defined]
    referral_id = c.new_id()
    c.emit(c.police, "COMPETENT_POLICE_OFFICER", accepted + HOUR, "UrgentMeasureBreached",
           measure_id=measure_id, observed_at=accepted + HOUR,
           breach_category="CONTACTED_VICTIM_REMOTELY",
           misdemeanour_proceedings_initiated=True, reassessment_requested=False)  # fmt: skip
    c.emit(c.csr, "CASE_MANAGER", accepted + 2 * HOUR, "ReferralSent",
           referral_id=referral_id, to_institution="legal-aid.golubac",
           service_type="FREE_LEGAL_AID", urgency="P2", subject_ids=[c.victim],
           basis={"kind": "STATUTORY"})  # fmt: skip
    c.emit("legal-aid.golubac", "LEGAL_AID_OFFICER", accepted + 30 * HOUR, "ReferralDeclined",
           referral_id=referral_id, declined_at=accepted + 30 * HOUR,
           reason_code="NO_CAPACITY")  # fmt: skip

    d = CaseScript(random.Random(74), "lazarevac", vault)
    d.victim = a.victim
    accepted = urgent_measure_path(d, START + 70 * DAY)
    d.emit(d.police, "COMPETENT_POLICE_OFFICER", accepted + 20 * DAY, "CaseClosed",
           closed_at=accepted + 20 * DAY, reason="PROTECTION_ACHIEVED")  # fmt: skip

    scripts = [a, b, c, d]
    ids: dict[str, object] = {
        "cases": [str(s.case_id) for s in scripts],
        "subjects": sorted({str(x) for s in scripts for x in (s.victim, s.perpetrator)}),
        "identifiers": sorted(
            {i for s in scripts for p in s.people.values() for i in p.identifiers()}
        ),
    }
    return [s.submissions for s in scripts], ids
