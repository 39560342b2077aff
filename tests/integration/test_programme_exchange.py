"""The programme's own work through the same exchange as case events: the seed's 2006-2007
agreements, activities and services are accepted (dated before the law, which binds only case
events), land on case-events keyed by the programme, pass every case projection by, and build the
programme's record; what breaks a programme rule comes back on rejections.<institution>."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from consumers.exchange import submissions_table
from consumers.programme import activities, agreements, services
from consumers.runner import failures_table
from consumers.views import timeline
from producers.programme import programme_event, programme_id
from producers.programme_seed import PROGRAMME, seed_programme
from producers.scenario import CaseScript, Submission
from schemas.models import EventModel
from schemas.topics import CASE_EVENTS, rejections_topic
from services.bootstrap import Platform
from tests.support.pipeline import decoded, pipeline_of, platform_for, read_topic, submit

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
NOBODY = {"institution_kind": "CSR", "sex": "FEMALE", "count": 0}
AZC = "ngo.azc"


@dataclass
class World:
    platform: Platform
    seed: list[EventModel]


def submissions(events: list[EventModel]) -> list[Submission]:
    return [Submission(e.header.source_institution, e) for e in events]  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("programme")
    platform = platform_for(tmp / "data", f"sqlite:///{tmp / 'bus.db'}")
    seed = seed_programme(recorded_at=NOW)
    pipeline = pipeline_of(platform)
    submit(platform, submissions(seed))
    pipeline.drain()
    yield World(platform, seed)
    pipeline.close()
    platform.close()


def decide(world: World, event: EventModel) -> str | None:
    """Submit one event; its rejection code, or None when it was accepted."""
    platform = world.platform
    pipeline = pipeline_of(platform, ["exchange"])
    try:
        submit(platform, submissions([event]))
        pipeline.drain()
    finally:
        pipeline.close()
    with platform.exchange_engine.connect() as conn:
        row = conn.execute(
            select(submissions_table.c.status, submissions_table.c.code).where(
                submissions_table.c.event_id == str(event.header.event_id)  # type: ignore[attr-defined]
            )
        ).one()
    return None if row.status == "accepted" else str(row.code)


def activity(day: dt.date = dt.date(2007, 5, 5), publisher: str = AZC, **fields: Any) -> EventModel:
    values: dict[str, Any] = {"kind": "PROFESSIONAL_MEETING", "topic": "OTHER",
                              "municipality": "golubac"} | fields  # fmt: skip
    return programme_event(
        "ActivityHeld", programme=PROGRAMME, publisher=publisher, day=day,
        reference=str(uuid.uuid4()), recorded_at=NOW, activity_id=uuid.uuid4(),
        held_from=day, **values,
    )  # fmt: skip


def test_the_seed_is_accepted_whole_and_keyed_by_its_programme(world: World) -> None:
    seed_ids = [str(e.header.event_id) for e in world.seed]  # type: ignore[attr-defined]
    with world.platform.exchange_engine.connect() as conn:
        statuses = select(submissions_table.c.status).where(
            submissions_table.c.event_id.in_(seed_ids)
        )
        outcomes = Counter(r.status for r in conn.execute(statuses))
    assert outcomes == {"accepted": len(world.seed)}
    logged = read_topic(world.platform, CASE_EVENTS)
    ours = [(r.key, d.event_type) for r, d in zip(logged, decoded(world.platform, logged),
                                                  strict=True)
            if str(d.record["header"]["event_id"]) in seed_ids]  # fmt: skip
    assert {key for key, _ in ours} == {str(PROGRAMME).encode()}
    assert sorted(t for _, t in ours) == sorted(e.event_type for e in world.seed)


def test_the_programme_record_holds_the_seed_and_the_case_views_hold_nothing_of_it(
    world: World,
) -> None:
    with world.platform.views_engine.connect() as conn:
        count = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                 for t in (activities, agreements, services, timeline)}  # fmt: skip
        failed = conn.execute(select(func.count()).select_from(failures_table)).scalar_one()
    # At least the seed (other tests of the module add their own accepted events).
    assert count["programme_activities"] >= 177 and count["programme_agreements"] >= 9
    assert count["programme_services"] == 18 and count["view_timeline"] == 0
    assert failed == 0
    with world.platform.aggregate_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(failures_table)).scalar_one() == 0


def test_a_programme_event_dated_before_2002_is_a_broken_clock(world: World) -> None:
    assert decide(world, activity(dt.date(1970, 1, 1))) == "occurred_before_programmes"
    assert decide(world, activity(dt.date(2006, 6, 20))) is None


def test_a_case_event_dated_2006_is_still_refused_before_the_law(world: World) -> None:
    script = CaseScript(random.Random(5), "lazarevac")
    opened = script.emit(
        "police.pu-beograd.lazarevac", "COMPETENT_POLICE_OFFICER",
        dt.datetime(2006, 9, 1, 8, tzinfo=dt.UTC), "CaseOpened",
        report_id=uuid.uuid4(), municipality="lazarevac", report_channel="POLICE_CALL",
        relationship="SPOUSE", children_present=False,
    )  # fmt: skip
    assert decide(world, opened) == "occurred_before_law"


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: activity(publisher="csr.golubac"), "event_type_not_permitted"),
        (lambda: activity(municipality="atlantida"), "unknown_municipality"),
        (lambda: activity(kind="SEMINAR"), "seminar_details_missing"),
        (lambda: activity(kind="MEDIA_APPEARANCE"), "media_details_missing"),
        (lambda: activity(participants=[NOBODY]), "not_positive"),
        (lambda: activity(held_until=dt.date(2007, 5, 1)), "dates_out_of_order"),
    ],
)
def test_an_activity_that_breaks_a_rule_is_refused_with_its_code(
    world: World, make: Any, code: str
) -> None:
    assert decide(world, make()) == code
    refused = decoded(world.platform, read_topic(world.platform, rejections_topic(
        make().header.source_institution)))  # fmt: skip
    assert code in {d.record["code"] for d in refused}


def agreement_event(event_type: str, agreement: uuid.UUID, publisher: str = AZC,
                    **fields: Any) -> EventModel:  # fmt: skip
    day = dt.date(2008, 1, 10)
    return programme_event(event_type, programme=PROGRAMME, publisher=publisher, day=day,
                           reference=str(uuid.uuid4()), recorded_at=NOW,
                           agreement_id=agreement, **fields)  # fmt: skip


def test_an_agreement_is_changed_only_by_its_parties_and_only_while_in_force(world: World) -> None:
    parties = [{"institution_id": AZC, "kind": "NGO"},
               {"institution_id": "local-gov.golubac", "kind": "LOCAL_GOVERNMENT"}]  # fmt: skip
    day = dt.date(2008, 1, 10)
    signed = uuid.uuid4()
    sign: dict[str, Any] = {"parties": parties, "signed_on": day, "in_force_from": day}
    assert decide(world, agreement_event("CooperationAgreementSigned", signed, **sign)) is None
    again = agreement_event("CooperationAgreementSigned", signed, **sign)
    assert decide(world, again) == "agreement_exists"
    stranger = agreement_event("CooperationAgreementEnded", signed, "local-gov.loznica",
                               ended_on=day, reason="OTHER")  # fmt: skip
    assert decide(world, stranger) == "unknown_agreement"  # as if it did not exist
    amended = agreement_event("CooperationAgreementAmended", signed, "local-gov.golubac",
                              amended_on=day, parties=[*parties, {"institution_id": "csr.golubac",
                                                                  "kind": "CSR"}])  # fmt: skip
    assert decide(world, amended) is None
    ended = agreement_event("CooperationAgreementEnded", signed, "csr.golubac", ended_on=day,
                            reason="TERMINATED_BY_PARTY")  # fmt: skip
    assert decide(world, ended) == "event_type_not_permitted"  # a CSR records no programme work
    ended = agreement_event("CooperationAgreementEnded", signed, ended_on=day, reason="OTHER")
    assert decide(world, ended) is None
    late = agreement_event("CooperationAgreementAmended", signed, amended_on=day, parties=parties)
    assert decide(world, late) == "agreement_ended"
    one_party = agreement_event("CooperationAgreementSigned", uuid.uuid4(), parties=parties[:1],
                                signed_on=day, in_force_from=day)  # fmt: skip
    assert decide(world, one_party) == "too_few_parties"
    ghost = [*parties[:1], {"institution_id": "local-gov.atlantida", "kind": "LOCAL_GOVERNMENT"}]
    unknown = agreement_event("CooperationAgreementSigned", uuid.uuid4(), parties=ghost,
                              signed_on=day, in_force_from=day)  # fmt: skip
    assert decide(world, unknown) == "unknown_party"


def test_a_programme_id_and_a_case_id_never_name_the_same_thing(world: World) -> None:
    script = CaseScript(random.Random(6), "lazarevac")
    script.case_id = PROGRAMME
    opening = script.emit(
        "police.pu-beograd.lazarevac", "COMPETENT_POLICE_OFFICER", NOW, "CaseOpened",
        report_id=uuid.uuid4(), municipality="lazarevac", report_channel="POLICE_CALL",
        relationship="SPOUSE", children_present=False,
    )  # fmt: skip
    assert decide(world, opening) == "case_exists"
    case = CaseScript(random.Random(7), "lazarevac")
    opened = case.emit(
        "police.pu-beograd.lazarevac", "COMPETENT_POLICE_OFFICER", NOW, "CaseOpened",
        report_id=uuid.uuid4(), municipality="lazarevac", report_channel="POLICE_CALL",
        relationship="SPOUSE", children_present=False,
    )  # fmt: skip
    assert decide(world, opened) is None
    day = dt.date(2007, 5, 5)
    under_a_case = programme_event(
        "ActivityHeld", programme=case.case_id, publisher=AZC, day=day, reference="x",
        recorded_at=NOW, activity_id=uuid.uuid4(), kind="OTHER", topic="OTHER", held_from=day,
    )  # fmt: skip
    assert decide(world, under_a_case) == "not_a_programme"
    assert programme_id("povezimo-zajednicu-2006") == PROGRAMME
