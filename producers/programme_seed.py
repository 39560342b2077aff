"""The seed programme's own work (Povežimo zajednicu, June 2006 - December 2007) as events.

What ``/work/shared/seed`` reports, recorded as the coordinating NGO (``ngo.azc``) and the local
governments would have: 28 consultative meetings, at which the nine cooperation agreements between
AŽC, each municipality and its centre for social work were signed; 10 one-day seminars on
coordinated action and 21 one-day elective seminars on five topics; 3 professional meetings for
educational institutions, 4 presenting the model in Lazarevac and 1 joint meeting of every partner;
the Council of Europe campaign in all nine municipalities; 101 media appearances; a case register
in every CSR, regular case conferences in five, Lazarevac's agreement with 10 law offices, mobile
teams in Voždovac and Palilula, and free legal aid with Zvezdara.

The seed gives totals only. Where it is silent the demo fills in plainly and says so in
docs/programme.md: days spread evenly over the programme's months, meetings and seminars spread
over the nine municipalities in the seed's order, the 21 electives split 5/4/4/4/4 over their
topics, which five CSRs hold conferences. It invents no figure the seed does not give: the basic
two-day seminars (their number is missing in the text), the "numerous" tribunes and lectures and
participant counts are not recorded at all. Ids are derived from the line of the seed each event
stands for, so recording the seed twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from producers.programme import derived_id, programme_event, programme_id
from schemas.institutions import SEED_MUNICIPALITIES
from schemas.models import EventModel

PROGRAMME_CODE = "povezimo-zajednicu-2006"
PROGRAMME = programme_id(PROGRAMME_CODE)
COORDINATOR = "ngo.azc"
STARTED, ENDED = dt.date(2006, 6, 1), dt.date(2007, 12, 31)
NINE = tuple(m.slug for m in SEED_MUNICIPALITIES)
ELECTIVES = (
    ("WORK_WITH_VICTIMS", 5),
    ("CASE_CONFERENCES", 4),
    ("WORK_WITH_PERPETRATORS", 4),
    ("SELF_HELP_GROUPS", 4),
    ("PROFESSIONAL_STRESS", 4),
)
CONFERENCE_CSRS = NINE[:5]  # "5 centres hold case conferences regularly": the seed names none
MEDIA_APPEARANCES = 101
CONSULTATIVE_MEETINGS = 28


def days(count: int, first: dt.date, last: dt.date) -> list[dt.date]:
    """``count`` days spread evenly from ``first`` to ``last`` (both included when count > 1)."""
    if count == 1:
        return [first]
    span = (last - first).days
    return [first + dt.timedelta(days=round(i * span / (count - 1))) for i in range(count)]


def places(count: int, among: Sequence[str] = NINE) -> list[str]:
    """``count`` places taken in turn from ``among`` (the seed's order)."""
    return [among[i % len(among)] for i in range(count)]


def seed_programme(recorded_at: dt.datetime | None = None) -> list[EventModel]:
    """Every event of the seed programme, in the order of their days."""
    made = [
        *_agreements(recorded_at),
        *_activities(recorded_at),
        *_campaign(recorded_at),
        *_services(recorded_at),
    ]
    return sorted(made, key=lambda e: e.header.occurred_at)  # type: ignore[attr-defined]


def _event(
    event_type: str, day: dt.date, reference: str, recorded_at: dt.datetime | None, **fields: Any
) -> EventModel:
    publisher = fields.pop("publisher", COORDINATOR)
    role = "COORDINATOR" if publisher == COORDINATOR else "LOCAL_GOVERNMENT_OFFICER"
    return programme_event(
        event_type, programme=PROGRAMME, publisher=publisher, day=day, reference=reference,
        recorded_at=recorded_at, actor_role=role, **fields,
    )  # fmt: skip


def _agreements(recorded_at: dt.datetime | None) -> Iterator[EventModel]:
    """Signed at the first consultative meeting in each municipality, summer and autumn 2006."""
    scope = ["SHARED_DEFINITIONS", "COMMON_PROCEDURES", "LOCAL_ACTION_PLAN", "TRAINING",
             "CASE_REGISTER", "CASE_CONFERENCES"]  # fmt: skip
    for slug, day in zip(NINE, _first_meetings(), strict=True):
        parties = [
            {"institution_id": COORDINATOR, "kind": "NGO"},
            {"institution_id": f"local-gov.{slug}", "kind": "LOCAL_GOVERNMENT"},
            {"institution_id": f"csr.{slug}", "kind": "CSR"},
        ]
        yield _event(
            "CooperationAgreementSigned", day, f"agreement/{slug}", recorded_at,
            agreement_id=_id(f"agreement/{slug}"), parties=parties, scope=scope,
            municipality=slug, signed_on=day, in_force_from=day, in_force_until=ENDED,
        )  # fmt: skip


def _first_meetings() -> list[dt.date]:
    return days(len(NINE), dt.date(2006, 6, 15), dt.date(2006, 10, 31))


def _activities(recorded_at: dt.datetime | None) -> Iterator[EventModel]:
    later = days(CONSULTATIVE_MEETINGS - len(NINE), dt.date(2006, 11, 15), dt.date(2007, 11, 15))
    meeting_days = [*_first_meetings(), *later]
    for n, (slug, day) in enumerate(zip(places(CONSULTATIVE_MEETINGS), meeting_days, strict=True)):
        yield _held("consultative", n, day, slug, "CONSULTATIVE_MEETING", "LOCAL_ACTIVITY_PLANNING",
                    recorded_at)  # fmt: skip
    seminar = {"programme": "COORDINATED_ACTION", "days": 1}
    coordinated = days(10, dt.date(2006, 10, 10), dt.date(2007, 6, 20))
    for n, (slug, day) in enumerate(zip(places(10), coordinated, strict=True)):
        yield _held("coordinated-action", n, day, slug, "SEMINAR", "COORDINATED_LOCAL_ACTION",
                    recorded_at, seminar=seminar)  # fmt: skip
    electives = [topic for topic, count in ELECTIVES for _ in range(count)]
    elective_days = days(len(electives), dt.date(2007, 1, 20), dt.date(2007, 11, 30))
    rows = zip(electives, places(len(electives)), elective_days, strict=True)
    for n, (topic, slug, day) in enumerate(rows):
        yield _held("elective", n, day, slug, "SEMINAR", topic, recorded_at,
                    seminar={"programme": "ELECTIVE", "days": 1})  # fmt: skip
    yield from _professional_meetings(recorded_at)
    media = days(MEDIA_APPEARANCES, dt.date(2006, 7, 1), dt.date(2007, 12, 15))
    for n, (slug, day) in enumerate(zip(places(MEDIA_APPEARANCES), media, strict=True)):
        # Local or national, which outlet, how many it reached: the seed does not say.
        yield _held("media", n, day, slug, "MEDIA_APPEARANCE", "PROGRAMME_AND_LOCAL_INITIATIVES",
                    recorded_at, media={"scope": "OTHER", "medium": "OTHER"})  # fmt: skip


def _professional_meetings(recorded_at: dt.datetime | None) -> Iterator[EventModel]:
    education = days(3, dt.date(2007, 2, 15), dt.date(2007, 5, 15))
    for n, (slug, day) in enumerate(zip(places(3), education, strict=True)):
        yield _held("education-meeting", n, day, slug, "PROFESSIONAL_MEETING",
                    "PROTECTION_IN_EDUCATION", recorded_at)  # fmt: skip
    for n, day in enumerate(days(4, dt.date(2007, 3, 1), dt.date(2007, 9, 1))):
        yield _held("model-presentation", n, day, "lazarevac", "PROFESSIONAL_MEETING",
                    "COOPERATION_MODEL_PRESENTATION", recorded_at)  # fmt: skip
    # One joint meeting of every municipality and CSR: regional, so no municipality.
    yield _held("partners-meeting", 0, dt.date(2007, 10, 25), None, "PROFESSIONAL_MEETING",
                "PROGRAMME_PARTNERS_MEETING", recorded_at)  # fmt: skip


def _campaign(recorded_at: dt.datetime | None) -> Iterator[EventModel]:
    """Each local government printed the campaign's posters and leaflets with its own funds."""
    for slug, day in zip(NINE, days(len(NINE), dt.date(2007, 3, 8), dt.date(2007, 4, 30)),
                         strict=True):  # fmt: skip
        yield _held("campaign", 0, day, slug, "CAMPAIGN_ACTION", "COUNCIL_OF_EUROPE_CAMPAIGN",
                    recorded_at, publisher=f"local-gov.{slug}")  # fmt: skip


def _held(
    line: str,
    n: int,
    day: dt.date,
    municipality: str | None,
    kind: str,
    topic: str,
    recorded_at: dt.datetime | None,
    **fields: Any,
) -> EventModel:
    reference = f"{line}/{municipality or 'regional'}/{n}"
    return _event(
        "ActivityHeld", day, reference, recorded_at, activity_id=_id(reference), kind=kind,
        topic=topic, municipality=municipality, held_from=day, **fields,
    )  # fmt: skip


def _services(recorded_at: dt.datetime | None) -> Iterator[EventModel]:
    registers = days(len(NINE), dt.date(2006, 12, 1), dt.date(2007, 3, 30))
    for slug, day in zip(NINE, registers, strict=True):
        yield _established(slug, "CASE_REGISTER", day, recorded_at, institution_id=f"csr.{slug}")
    for slug, day in zip(CONFERENCE_CSRS, days(5, dt.date(2007, 4, 1), dt.date(2007, 9, 1)),
                         strict=True):  # fmt: skip
        yield _established(slug, "CASE_CONFERENCES", day, recorded_at, institution_id=f"csr.{slug}")
    yield _established(
        "lazarevac", "LEGAL_AID_AGREEMENT", dt.date(2007, 5, 15), recorded_at,
        institution_id="local-gov.lazarevac", law_offices=10, supported_by=[COORDINATOR],
        publisher="local-gov.lazarevac",
    )  # fmt: skip
    for slug, day in (("vozdovac", dt.date(2007, 6, 1)), ("palilula", dt.date(2007, 6, 15))):
        team = f"mobile-team.{slug}"
        yield _established(
            slug, "MOBILE_TEAM", day, recorded_at, institution_id=team, supported_by=[COORDINATOR]
        )
    yield _established(
        "zvezdara", "FREE_LEGAL_AID", dt.date(2007, 7, 1), recorded_at,
        institution_id="local-gov.zvezdara", supported_by=[COORDINATOR],
        publisher="local-gov.zvezdara",
    )  # fmt: skip


def _established(
    municipality: str, service: str, day: dt.date, recorded_at: dt.datetime | None, **fields: Any
) -> EventModel:
    reference = f"service/{service}/{municipality}"
    return _event(
        "ServiceEstablished", day, reference, recorded_at, establishment_id=_id(reference),
        service=service, municipality=municipality, established_on=day, **fields,
    )  # fmt: skip


def _id(reference: str) -> uuid.UUID:
    return derived_id(PROGRAMME, COORDINATOR, reference)
