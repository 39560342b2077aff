"""Every answer with a case's data is recorded as AccessRecorded on ``access-log``: who (institution
and staff role), what, when, why, and on which basis; a refused read records nothing."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from services.bootstrap import Platform
from tests.api.world import NGO, OWNER, World
from tests.support.pipeline import decoded, read_topic


def access_log(platform: Platform) -> list[dict[str, Any]]:
    if "access-log" not in platform.bus.list_topics():
        return []
    found = decoded(platform, read_topic(platform, "access-log", settle=0.2))
    assert {d.event_type for d in found} <= {"AccessRecorded"}
    return [d.record for d in found]


def test_reading_a_case_records_who_read_it_why_and_on_which_basis(
    client: TestClient, world: World, platform: Platform
) -> None:
    answer = client.get(
        f"/v1/cases/{world.case_x}",
        headers=world.headers(
            "ngo", **{"X-Purpose": "REFERRAL_PROCESSING", "X-Actor-Role": "NGO_COUNSELLOR"}
        ),
    )
    assert answer.status_code == 200
    client.get(f"/v1/cases/{world.case_x}/timeline", headers=world.headers("owner"))

    records = access_log(platform)
    assert len(records) == 2
    by_reader = {r["accessor_institution"]["institution_id"]: r for r in records}
    ngo, owner = by_reader[NGO], by_reader[OWNER]
    assert ngo["header"]["case_id"] == world.case_x
    assert ngo["header"]["source_institution"] == "platform.povezimo"
    assert ngo["accessor_institution"]["kind"] == "NGO"
    assert (ngo["accessor_role"], ngo["purpose"], ngo["access_basis"], ngo["resource"]) == (
        "NGO_COUNSELLOR",
        "REFERRAL_PROCESSING",
        "REFERRAL_RECIPIENT",
        "case",
    )
    assert ngo["identified"] is False  # the views hold pseudonymous references only
    assert (owner["purpose"], owner["access_basis"], owner["resource"]) == (
        "CASE_HANDLING",
        "CASE_OWNER",
        "case-timeline",
    )


def test_lists_and_the_inbox_record_every_case_they_show(
    client: TestClient, world: World, platform: Platform
) -> None:
    client.get("/v1/cases", headers=world.headers("owner"))
    client.get("/v1/referrals", headers=world.headers("ngo"))
    inbox = client.get("/v1/inbox", headers=world.headers("ngo")).json()
    assert inbox["messages"], "the referral reached the NGO's inbox"
    resources = sorted(
        (r["accessor_institution"]["institution_id"], r["resource"], str(r["header"]["case_id"]))
        for r in access_log(platform)
    )
    x = str(world.case_x)
    assert resources == sorted(
        [(NGO, "inbox", x), (NGO, "referral-list", x), (OWNER, "case-list", x)]
    )


def test_refused_and_empty_reads_record_nothing(
    client: TestClient, world: World, platform: Platform
) -> None:
    assert client.get(f"/v1/cases/{world.case_y}", headers=world.headers("ngo")).status_code == 404
    assert client.get(f"/v1/cases/{uuid.uuid4()}", headers=world.headers("ngo")).status_code == 404
    assert (
        client.get(f"/v1/cases/{world.case_x}", headers=world.headers("coordinator")).status_code
        == 403
    )
    assert client.get(f"/v1/cases/{world.case_x}", headers={}).status_code == 401
    bad_purpose = client.get(
        f"/v1/cases/{world.case_x}", headers=world.headers("ngo", **{"X-Purpose": "CURIOSITY"})
    )
    assert bad_purpose.status_code == 422
    assert bad_purpose.json()["problems"][0]["location"] == ["header", "X-Purpose"]
    assert client.get("/v1/cases?status=closed", headers=world.headers("ngo")).json() == []
    assert access_log(platform) == []
