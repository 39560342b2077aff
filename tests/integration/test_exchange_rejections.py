"""Every rejection rule of the exchange: the offending submission comes back on
``rejections.<institution>`` with its code and its original bytes, and the exchange keeps going."""

from __future__ import annotations

import datetime as dt
import random
import struct
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from consumers.exchange import submissions_table
from producers.scenario import NGO, CaseScript
from schemas.models import EventModel
from services.bootstrap import Platform
from tests.support.pipeline import decoded, pipeline_of, platform_for, read_topic, submit_raw

T0 = dt.datetime(2026, 2, 2, 8, 0, tzinfo=dt.UTC)
POLICE = "police.pu-beograd.lazarevac"
CSR = "csr.lazarevac"


@dataclass
class Run:
    platform: Platform
    script: CaseScript
    offending: dict[str, tuple[str, bytes | None]] = field(default_factory=dict)
    rejections: list[Any] = field(default_factory=list)
    case_events: list[Any] = field(default_factory=list)


def encode(platform: Platform, event: EventModel) -> bytes:
    return platform.codec.encode(event.event_type, event.to_avro())


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("rejections")
    platform = platform_for(tmp / "data", f"sqlite:///{tmp / 'bus.db'}")
    pipeline = pipeline_of(platform, ["exchange"])
    script = CaseScript(random.Random(3), "lazarevac")
    result = Run(platform, script)

    def send(institution: str, value: bytes | None, rule: str | None = None) -> None:
        submit_raw(platform, institution, value, key=str(script.case_id).encode())
        pipeline.drain()  # each submission is decided before the next, as in real use
        if rule:
            result.offending[rule] = (institution, value)

    def event(institution: str, event_type: str, at: dt.datetime = T0, **fields: Any) -> bytes:
        role = "CASE_MANAGER" if institution.startswith("csr") else "COMPETENT_POLICE_OFFICER"
        return encode(platform, script.emit(institution, role, at, event_type, **fields))

    opening = {"municipality": "lazarevac", "report_channel": "POLICE_CALL",
               "relationship": "SPOUSE", "children_present": False}  # fmt: skip
    opened = event(POLICE, "CaseOpened", report_id=uuid.uuid4(), **opening)
    send(POLICE, opened)
    risk = {"assessment_id": uuid.uuid4(), "stage": "POLICE_ASSESSMENT", "assessed_by": "POLICE",
            "level": "HIGH"}  # fmt: skip

    send(POLICE, b"\x00\x00", "undecodable")
    send(POLICE, b"\x00" + struct.pack(">I", 424_242) + b"\x02\x04", "unknown_schema_id")
    send(POLICE, None, "undecodable-null")
    not_event = platform.codec.encode("SubmissionRejected", _rejection_record())
    send(POLICE, not_event, "not_an_event")
    send("ngo.ghost", event("ngo.ghost", "ReportReceived", report_id=uuid.uuid4(),
                            channel="IN_PERSON"), "unknown_institution")  # fmt: skip
    send(POLICE, event(CSR, "RiskAssessed", **risk), "source_mismatch")
    decision = {"measure_id": uuid.uuid4(), "decision_id": uuid.uuid4(),
                "instance": "BASIC_COURT", "granted": True, "decided_at": T0}  # fmt: skip
    send(CSR, event(CSR, "ExtensionDecided", **decision), "event_type_not_permitted")
    send("csr.golubac", event("csr.golubac", "RiskAssessed", **risk), "not_a_participant")
    send(POLICE, event(POLICE, "RiskAssessed", T0 + dt.timedelta(days=400), **risk),
         "occurred_in_future")  # fmt: skip
    send(POLICE, event(POLICE, "CaseOpened", report_id=uuid.uuid4(), **opening), "case_exists")
    stranger = CaseScript(random.Random(4), "lazarevac")
    orphan = stranger.emit(POLICE, "COMPETENT_POLICE_OFFICER", T0, "RiskAssessed", **risk)
    send(POLICE, encode(platform, orphan), "unknown_case")

    referral = {"to_institution": NGO, "service_type": "COUNSELLING", "urgency": "P2",
                "subject_ids": [script.victim], "basis": {"kind": "STATUTORY"}}  # fmt: skip
    send(POLICE, event(POLICE, "ReferralSent", referral_id=uuid.uuid4(), **referral
                       | {"to_institution": "ngo.nowhere"}), "unknown_recipient")  # fmt: skip
    referral_id = uuid.uuid4()
    send(POLICE, event(POLICE, "ReferralSent", referral_id=referral_id, **referral))
    send(POLICE, event(POLICE, "ReferralAccepted", referral_id=referral_id, accepted_at=T0),
         "not_the_recipient")  # fmt: skip
    send(NGO, event(NGO, "ReferralAccepted", referral_id=uuid.uuid4(), accepted_at=T0),
         "unknown_referral")  # fmt: skip
    send(NGO, event(NGO, "ReferralDeclined", referral_id=referral_id, declined_at=T0,
                    reason_code="OTHER"))  # fmt: skip
    send(NGO, event(NGO, "ReferralAccepted", referral_id=referral_id, accepted_at=T0),
         "accept_after_decline")  # fmt: skip
    send(POLICE, event(POLICE, "ReferralRevoked", referral_id=referral_id, revoked_at=T0,
                       reason="OTHER"), "referral_transition_forbidden")  # fmt: skip
    send(POLICE, opened, "duplicate")  # the very same event again: dropped, not rejected
    send(POLICE, event(POLICE, "CaseClosed", closed_at=T0 + dt.timedelta(days=1), reason="OTHER"))

    result.rejections = decoded(platform, read_topic(platform, f"rejections.{POLICE}"))
    for institution in sorted({CSR, "csr.golubac", NGO, "ngo.ghost"}):
        result.rejections += decoded(platform, read_topic(platform, f"rejections.{institution}"))
    result.case_events = read_topic(platform, "case-events")
    pipeline.close()
    yield result
    platform.close()


def _rejection_record() -> dict[str, Any]:
    return {"rejection_id": uuid.uuid4(), "code": "x", "reason": "x", "source_institution": "x",
            "submission_topic": "x", "submission_partition": 0, "submission_offset": 0,
            "original": b"", "rejected_at": T0}  # fmt: skip


RULES = [
    ("undecodable", "undecodable"),
    ("undecodable-null", "undecodable"),
    ("unknown_schema_id", "unknown_schema_id"),
    ("not_an_event", "not_an_event"),
    ("unknown_institution", "unknown_institution"),
    ("source_mismatch", "source_mismatch"),
    ("event_type_not_permitted", "event_type_not_permitted"),
    ("not_a_participant", "unknown_case"),  # a stranger hears what a missing case answers
    ("occurred_in_future", "occurred_in_future"),
    ("case_exists", "case_exists"),
    ("unknown_case", "unknown_case"),
    ("unknown_recipient", "unknown_recipient"),
    ("not_the_recipient", "not_the_recipient"),
    ("unknown_referral", "unknown_referral"),
    ("accept_after_decline", "referral_transition_forbidden"),
    ("referral_transition_forbidden", "referral_transition_forbidden"),
]


@pytest.mark.parametrize(("rule", "code"), RULES, ids=[r for r, _ in RULES])
def test_the_offending_submission_is_rejected_with_its_code_and_original_bytes(
    run: Run, rule: str, code: str
) -> None:
    institution, original = run.offending[rule]
    matching = [r.record for r in run.rejections if r.record["original"] == original]
    assert len(matching) == 1, f"{rule}: {[r.record['code'] for r in run.rejections]}"
    (rejection,) = matching
    assert rejection["code"] == code
    assert rejection["reason"]
    assert rejection["source_institution"] == institution
    assert rejection["submission_topic"] == f"submissions.{institution}"


def test_a_duplicate_event_id_is_dropped_not_rejected_twice(run: Run) -> None:
    _institution, original = run.offending["duplicate"]
    assert not [r for r in run.rejections if r.record["original"] == original]
    assert [r.value for r in run.case_events].count(original) == 1


def test_the_exchange_keeps_going_after_every_bad_record(run: Run) -> None:
    types = [r.header("event-type") for r in run.case_events]
    assert types == [b"CaseOpened", b"ReferralSent", b"ReferralDeclined", b"CaseClosed"]
    assert len(run.rejections) == len(RULES)
    with run.platform.exchange_engine.connect() as conn:
        statuses = dict(
            conn.execute(select(submissions_table.c.status, submissions_table.c.event_id)).all()
        )
    assert set(statuses) == {"accepted", "rejected"}


def test_rejections_never_echo_personal_data_in_their_reason(run: Run) -> None:
    for rejection in run.rejections:
        assert str(run.script.victim) not in rejection.record["reason"]
