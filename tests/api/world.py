"""A small region for API tests: two cases in two municipalities, a referral in each, tokens for
every role, all as real events through the real exchange and projections."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from producers.event_builder import new_event, new_header
from producers.identities import synthetic_person
from schemas.models import EventModel
from services.api.tokens import Role, TokenStore
from services.bootstrap import Platform
from services.platform.vault import PersonalData

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
OWNER = "csr.lazarevac"  # opens case X and refers it to the NGO
NGO = "ngo.azc"  # the recipient of X's referral: takes part in X, never in Y
FOREIGN = "csr.kragujevac"  # opens case Y, which the NGO must never see
FOREIGN_RECIPIENT = "legal-aid.kragujevac"


def event(
    event_type: str, source: str, case_id: uuid.UUID, at: dt.datetime, **fields: Any
) -> EventModel:
    header = new_header(
        event_type, case_id=case_id, source=source, occurred_at=at, actor_role="CASE_MANAGER"
    )
    return new_event(event_type, header, **fields)


def case_opened(source: str, case_id: uuid.UUID, municipality: str, at: dt.datetime) -> EventModel:
    return event(
        "CaseOpened",
        source,
        case_id,
        at,
        report_id=uuid.uuid4(),
        municipality=municipality,
        report_channel="IN_PERSON",
        violence_types=["PSYCHOLOGICAL"],
        relationship="SPOUSE",
        children_present=False,
    )


def referral_sent(
    source: str, case_id: uuid.UUID, referral_id: uuid.UUID, to: str, at: dt.datetime
) -> EventModel:
    return event(
        "ReferralSent",
        source,
        case_id,
        at,
        referral_id=referral_id,
        to_institution=to,
        service_type="COUNSELLING",
        urgency="P2",
        subject_ids=[uuid.uuid4()],
        basis={"kind": "STATUTORY"},
    )


def as_json(model: EventModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


@dataclass
class World:
    platform: Platform
    case_x: uuid.UUID = field(default_factory=uuid.uuid4)
    case_y: uuid.UUID = field(default_factory=uuid.uuid4)
    referral_x: uuid.UUID = field(default_factory=uuid.uuid4)
    referral_y: uuid.UUID = field(default_factory=uuid.uuid4)
    subject_x: uuid.UUID = field(default_factory=uuid.uuid4)
    subject_y: uuid.UUID = field(default_factory=uuid.uuid4)
    tokens: dict[str, str] = field(default_factory=dict)
    people: dict[uuid.UUID, PersonalData] = field(default_factory=dict)

    def script(self) -> list[tuple[str, EventModel]]:
        """(submitter, event) in causal order."""
        at = NOW - dt.timedelta(days=2)
        return [
            (OWNER, case_opened(OWNER, self.case_x, "lazarevac", at)),
            (FOREIGN, case_opened(FOREIGN, self.case_y, "kragujevac", at)),
            (OWNER, self.registered(OWNER, self.case_x, self.subject_x, "lazarevac", at)),
            (FOREIGN, self.registered(FOREIGN, self.case_y, self.subject_y, "kragujevac", at)),
            (
                OWNER,
                referral_sent(OWNER, self.case_x, self.referral_x, NGO, at + dt.timedelta(hours=1)),
            ),
            (
                FOREIGN,
                referral_sent(
                    FOREIGN,
                    self.case_y,
                    self.referral_y,
                    FOREIGN_RECIPIENT,
                    at + dt.timedelta(hours=1),
                ),
            ),
        ]

    def registered(
        self, source: str, case_id: uuid.UUID, subject_id: uuid.UUID, place: str, at: dt.datetime
    ) -> EventModel:
        """A victim registered with made-up identifiers sealed by the platform's vault."""
        person = synthetic_person(random.Random(str(subject_id)), female=True, birth_year=1990,
                                  municipality=place)  # fmt: skip
        self.people[subject_id] = person
        return event(
            "SubjectRegistered",
            source,
            case_id,
            at,
            subject_id=subject_id,
            role="VICTIM",
            sex="FEMALE",
            birth_year=1990,
            municipality=place,
            sealed=self.platform.vault.seal(subject_id, person),
        )

    def issue(self, name: str, institution: str, role: Role) -> str:
        issued = TokenStore(self.platform.views_engine).issue(institution, role, now=NOW)
        self.tokens[name] = issued.secret
        return issued.secret

    def headers(self, name: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}", **extra}
