"""A producer publishing straight to its submissions topic (as a Kafka producer does, past the
HTTP ingest) cannot register a person under sealed bytes that nobody can open: the exchange
itself opens them under the subject's key in the vault, or refuses with ``sealed_key_unknown``.

Accepted, such a registration would be read back later as an erased person, and an institution
could plant a "person" that no auditor can identify.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from producers.scenario import CaseScript
from services.bootstrap import Platform
from services.platform.vault import PersonalData, sealed_off
from tests.support.pipeline import decoded, pipeline_of, platform_for, read_topic, submit_raw

T0 = dt.datetime(2026, 2, 2, 8, 0, tzinfo=dt.UTC)
POLICE = "police.pu-beograd.lazarevac"
OFFICER = "COMPETENT_POLICE_OFFICER"


@pytest.fixture
def platform(tmp_path: Any) -> Iterator[Platform]:
    system = platform_for(tmp_path / "data", f"sqlite:///{tmp_path / 'bus.db'}")
    yield system
    system.close()


def person() -> PersonalData:
    return PersonalData(given_name="Vesna", family_name="Ilić", jmbg="0101990715007")


def decide(platform: Platform, script: CaseScript, sealings: list[dict[str, Any]]) -> list[Any]:
    """Open the case, then one registration per ``sealed``; what the exchange refused."""
    pipeline = pipeline_of(platform, ["exchange"])
    opened = script.emit(POLICE, OFFICER, T0, "CaseOpened", report_id=uuid.uuid4(),
                         municipality="lazarevac", report_channel="POLICE_CALL",
                         relationship="SPOUSE", children_present=False)  # fmt: skip
    events = [opened]
    for sealed in sealings:
        events.append(
            script.emit(
                POLICE,
                OFFICER,
                T0,
                "SubjectRegistered",
                subject_id=script.victim,
                role="VICTIM",
                sex="FEMALE",
                birth_year=1990,
                municipality="lazarevac",
                sealed=sealed,
            )
        )
    for event in events:
        value = platform.codec.encode(event.event_type, event.to_avro())
        submit_raw(platform, POLICE, value, key=str(script.case_id).encode())
        pipeline.drain()
    pipeline.close()
    return [r.record for r in decoded(platform, read_topic(platform, f"rejections.{POLICE}"))]


def test_sealed_bytes_under_a_key_the_vault_never_made_are_refused(platform: Platform) -> None:
    script = CaseScript(random.Random(11), "lazarevac")
    refused = decide(platform, script, [sealed_off(script.victim, person())])
    assert [r["code"] for r in refused] == ["sealed_key_unknown"]
    assert "no such key" in refused[0]["reason"]


def test_a_copied_key_id_with_made_up_bytes_is_refused(platform: Platform) -> None:
    """The key id of a real registration of the same subject is visible in the log; bytes
    beside it that do not open under that key are refused all the same."""
    script = CaseScript(random.Random(12), "lazarevac", platform.vault)
    genuine = platform.vault.seal(script.victim, person())
    forged = genuine | {"ciphertext": bytes(len(genuine["ciphertext"]))}
    wrong_nonce = genuine | {"nonce": b"\x01" * 5}
    refused = decide(platform, script, [genuine, forged, wrong_nonce])
    assert [r["code"] for r in refused] == ["sealed_key_unknown", "sealed_key_unknown"]
    assert "do not authenticate" in refused[0]["reason"]
    assert "not a sealed record" in refused[1]["reason"]


def test_a_registration_sealed_by_the_vault_is_accepted(platform: Platform) -> None:
    script = CaseScript(random.Random(13), "lazarevac", platform.vault)
    refused = decide(platform, script, [platform.vault.seal(script.victim, person())])
    assert refused == []
    registered = [
        event.record
        for event in decoded(platform, read_topic(platform, "case-events"))
        if event.event_type == "SubjectRegistered"
    ]
    assert len(registered) == 1
    assert platform.vault.unseal(script.victim, registered[0]["sealed"]) == person()
