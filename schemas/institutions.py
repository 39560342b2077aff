"""The institution registry: who takes part in the exchange, of what kind, where, and what each
kind may publish.

An institution's id is a stable slug whose first segment names its kind (``csr.lazarevac``,
``police.pu-beograd.lazarevac``); it is also the suffix of its topics (``submissions.<id>``), so
it never changes once events carry it. Kinds come from the Avro enum ``InstitutionKind``: the
schema is the one list, this module only says what each kind may do.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.catalogue import catalogue

PLATFORM_INSTITUTION = "platform.povezimo"
"""The source of events the platform itself publishes (expiries, erasures, access records)."""

KINDS: tuple[str, ...] = tuple(catalogue().named["rs.povezimo.common.InstitutionKind"]["symbols"])

# The first segment of an id names the kind, so a topic name alone tells a reader who writes it.
ID_PREFIX: dict[str, str | None] = {
    "CSR": "csr.",
    "POLICE": "police.",
    "PROSECUTOR": "prosecutor.",
    "COURT": "court.",
    "HEALTH": "health.",
    "SCHOOL": "school.",
    "LEGAL_AID": "legal-aid.",
    "MOBILE_TEAM": "mobile-team.",
    "NGO": "ngo.",
    "LOCAL_GOVERNMENT": "local-gov.",
    "PLATFORM": "platform.",
    "OTHER": None,  # anything else (e.g. the National Employment Service) names itself
}

_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
SLUG_PATTERN = re.compile(rf"^{_SLUG}$")
# Segments may hold hyphens ("legal-aid.", "mobile-team."); every character is legal in a Kafka
# topic name, and the length leaves room for the longest prefix ("rejections.") under Kafka's 249.
ID_PATTERN = re.compile(rf"^{_SLUG}(?:\.{_SLUG})+$")
ID_MAX_LENGTH = 200

# Groups of event types, named by what an institution does when it publishes them.
_OPENS = frozenset({"CaseOpened", "ReportReceived", "SubjectRegistered"})  # the opener registers
_OWNS = frozenset({"CaseClosed", "CaseReopened"})  # the case owner is whoever opened it
_REFERS = frozenset({"ReferralSent", "ReferralRevoked"})
_ANSWERS = frozenset({"ReferralAccepted", "ReferralDeclined", "ReferralCompleted"})
_CASEWORK = _OPENS | _OWNS | _REFERS | _ANSWERS
_CONSENT = frozenset({"ConsentGiven", "ConsentWithdrawn"})  # whoever holds the relationship
_CONFERENCE = frozenset({"CaseConferenceScheduled", "CaseConferenceHeld", "ProtectionPlanAdopted"})
_URGENT = frozenset({"UrgentMeasureImposed", "UrgentMeasureServed", "UrgentMeasureBreached"})
_EXECUTES = frozenset({"PlanMeasureCompleted"})  # the executor of an individual-plan measure
_DELIVERS = _EXECUTES | {"ServiceProvided"}
PLATFORM_ONLY = frozenset({"ReferralExpired", "SubjectErased", "AccessRecorded"})
# The programme's own work (agreements, trainings, meetings, campaigns, media, services set up):
# about a programme, not a case (docs/decisions/0021-programme-events-on-the-case-log.md).
PROGRAMME_EVENTS = frozenset(
    {
        "CooperationAgreementSigned",
        "CooperationAgreementAmended",
        "CooperationAgreementEnded",
        "ActivityHeld",
        "ServiceEstablished",
    }
)

PUBLISHABLE: dict[str, frozenset[str]] = {
    # Assesses risk at once, imposes and serves urgent measures and records breaches (LPDV
    # Art. 15-17, 36); opens most cases; executes plan measures given to it (Art. 31).
    "POLICE": _CASEWORK | _CONSENT | _URGENT | _EXECUTES | {"RiskAssessed"},
    # Evaluates the police assessment and proposes the extension (Art. 18); chairs the
    # coordination group formed in the area of every basic prosecutor's office (Art. 25-26).
    # Holds no care relationship with the victim, so records no consent.
    "PROSECUTOR": _CASEWORK | _CONFERENCE | _EXECUTES | {"RiskAssessed", "ExtensionProposed"},
    # Decides on extensions (Art. 19) and issues Family Law protection orders (FL Art. 198);
    # never opens a case: it acts on a proposal or a petition.
    "COURT": _ANSWERS | _EXECUTES | {"ExtensionDecided", "ProtectionOrderIssued"},
    # Gives its opinion on risk (Art. 15(3)), convenes case conferences, provides services, and
    # as guardianship authority holds consent and owns many cases.
    "CSR": _CASEWORK | _CONSENT | _CONFERENCE | _DELIVERS | {"RiskAssessed"},
    # Health services must report violence (Art. 13) and treat and counsel victims.
    "HEALTH": _CASEWORK | _CONSENT | _DELIVERS,
    # Schools report and may attend the group (Art. 25(4)) but deliver no protection service and
    # do not hold the subject's consent (the CSR does, as guardianship authority).
    "SCHOOL": _CASEWORK | _EXECUTES,
    # Associations such as AŽC run SOS lines, shelters and counselling, and open cases (DESIGN);
    # the coordinating NGO of a programme records its agreements, activities and services.
    "NGO": _CASEWORK | _CONSENT | _DELIVERS | PROGRAMME_EVENTS,
    # Free legal aid (Art. 30; Law on Free Legal Aid 2019) acts on referral: it opens no case.
    "LEGAL_AID": _REFERS | _ANSWERS | _CONSENT | _DELIVERS,
    # Mobile teams are CSR outreach teams: they act on a case the CSR or police opened.
    "MOBILE_TEAM": _REFERS | _ANSWERS | _CONSENT | _DELIVERS,
    # Municipalities fund and sometimes deliver services (e.g. Lazarevac's contracted lawyers),
    # sign the cooperation agreements and hold the programme's activities in their communities.
    "LOCAL_GOVERNMENT": _ANSWERS | _DELIVERS | PROGRAMME_EVENTS,
    # Only the platform speaks for deadlines, erasure and disclosure; no institution may forge them.
    "PLATFORM": PLATFORM_ONLY,
    # E.g. the National Employment Service (Art. 25(4)): executes the measures it is given.
    "OTHER": _ANSWERS | _DELIVERS,
}


def may_publish(kind: str, event_type: str) -> bool:
    """Whether an institution of ``kind`` may be the source of ``event_type``."""
    return event_type in PUBLISHABLE.get(kind, frozenset())


class Institution(BaseModel):
    """One participant of the exchange."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(max_length=ID_MAX_LENGTH, description="Stable slug, e.g. csr.lazarevac.")
    kind: str = Field(description="A symbol of the InstitutionKind enum.")
    name: str = Field(min_length=1, description="Official name, in Serbian.")
    municipality: str | None = Field(default=None, description="Slug of the seat.")
    district: str | None = Field(default=None, description="Slug of the administrative district.")
    serves: list[str] = Field(
        default_factory=list, description="Municipalities served; defaults to the seat."
    )
    active: bool = True

    @model_validator(mode="before")
    @classmethod
    def _serves_the_seat_by_default(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("serves") and data.get("municipality"):
            return {**data, "serves": [data["municipality"]]}
        return data

    @field_validator("id")
    @classmethod
    def _id_is_a_slug(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError(
                f"{value!r} is not an institution id: dot-separated lowercase slugs, "
                "e.g. csr.lazarevac or police.pu-beograd.lazarevac"
            )
        return value

    @field_validator("kind")
    @classmethod
    def _kind_is_in_the_schema(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"unknown kind {value!r}: one of {', '.join(KINDS)}")
        return value

    @field_validator("municipality", "district")
    @classmethod
    def _place_is_a_slug(cls, value: str | None) -> str | None:
        if value is not None and not SLUG_PATTERN.match(value):
            raise ValueError(f"{value!r} is not a slug (lowercase, digits, hyphens)")
        return value

    @field_validator("serves")
    @classmethod
    def _served_places_are_slugs(cls, value: list[str]) -> list[str]:
        for place in value:
            cls._place_is_a_slug(place)
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _id_names_the_kind(self) -> Institution:
        prefix = ID_PREFIX[self.kind]
        if prefix and not self.id.startswith(prefix):
            raise ValueError(f"a {self.kind} id must begin with {prefix!r}, got {self.id!r}")
        return self

    def may_publish(self, event_type: str) -> bool:
        """An inactive institution keeps its id (old events name it) but publishes nothing new."""
        return self.active and may_publish(self.kind, event_type)


PLATFORM = Institution(
    id=PLATFORM_INSTITUTION, kind="PLATFORM", name="Povezimo – platforma za razmenu podataka"
)


class InstitutionRegistry:
    """The institutions of a region by id; always includes the platform itself."""

    FILE_NAME = "institutions.json"

    def __init__(self, institutions: Iterable[Institution] = ()) -> None:
        self._by_id: dict[str, Institution] = {}
        for institution in institutions:
            self.add(institution)
        if PLATFORM.id not in self._by_id:
            self.add(PLATFORM)

    def add(self, institution: Institution) -> None:
        if institution.id in self._by_id:
            raise ValueError(f"institution {institution.id!r} is already registered")
        if institution.id == PLATFORM.id and institution.kind != "PLATFORM":
            raise ValueError(f"{PLATFORM.id!r} is the platform itself: its kind is PLATFORM")
        self._by_id[institution.id] = institution

    def get(self, institution_id: str) -> Institution | None:
        return self._by_id.get(institution_id)

    def __contains__(self, institution_id: object) -> bool:
        return institution_id in self._by_id

    def __iter__(self) -> Iterator[Institution]:
        return iter(sorted(self._by_id.values(), key=lambda i: i.id))

    def __len__(self) -> int:
        return len(self._by_id)

    def by_municipality(self, municipality: str) -> list[Institution]:
        """Institutions seated in or serving ``municipality`` (a court may serve several)."""
        return [i for i in self if municipality in i.serves]

    def serving(self, municipality: str, kind: str) -> Institution | None:
        """The active institution of ``kind`` for ``municipality``, preferring one seated there."""
        found = [i for i in self.by_municipality(municipality) if i.kind == kind and i.active]
        found.sort(key=lambda i: (i.municipality != municipality, i.id))
        return found[0] if found else None

    def serving_id(self, municipality: str, kind: str) -> str | None:
        found = self.serving(municipality, kind)
        return found.id if found else None

    def to_json(self) -> dict[str, Any]:
        return {"institutions": [i.model_dump(mode="json") for i in self]}

    @classmethod
    def load(cls, path: Path) -> InstitutionRegistry:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: {error}") from error
        if not isinstance(raw, dict) or not isinstance(raw.get("institutions"), list):
            raise ValueError(f'{path}: expected {{"institutions": [...]}}')
        try:
            return cls(Institution.model_validate(item) for item in raw["institutions"])
        except ValueError as error:  # pydantic's ValidationError is a ValueError too
            raise ValueError(f"{path}: {error}") from error

    def save(self, path: Path) -> None:
        """Write atomically: a reader (or a crash) sees the old file or the new one, never half."""
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n"
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> InstitutionRegistry:
        """The registry of ``data_dir``, seeded with the default network on first use."""
        path = data_dir / cls.FILE_NAME
        if not path.exists():
            cls.default().save(path)
        return cls.load(path)

    @classmethod
    def default(cls) -> InstitutionRegistry:
        """The seed network of the Povežimo zajednicu programme (2006-2007)."""
        return cls(_seed_network())


# --- The seed network -------------------------------------------------------------------------

BELGRADE = "grad-beograd"


class _Municipality(NamedTuple):
    slug: str
    name: str
    district: str
    local_government: str
    police_unit: str  # middle segment of the police id: the police administration
    police_name: str
    population: int  # 2022 census, approximate; the aggregate pools small municipalities


SEED_MUNICIPALITIES: tuple[_Municipality, ...] = (
    _Municipality("lazarevac", "Lazarevac", BELGRADE, "Gradska opština Lazarevac", "pu-beograd",
                  "Policijska uprava za grad Beograd – Policijska stanica Lazarevac", 55_146),
    _Municipality("palilula", "Palilula", BELGRADE, "Gradska opština Palilula", "pu-beograd",
                  "Policijska uprava za grad Beograd – Policijska stanica Palilula", 182_624),
    _Municipality("zvezdara", "Zvezdara", BELGRADE, "Gradska opština Zvezdara", "pu-beograd",
                  "Policijska uprava za grad Beograd – Policijska stanica Zvezdara", 172_625),
    _Municipality("vozdovac", "Voždovac", BELGRADE, "Gradska opština Voždovac", "pu-beograd",
                  "Policijska uprava za grad Beograd – Policijska stanica Voždovac", 174_864),
    _Municipality("kragujevac", "Kragujevac", "sumadijski", "Grad Kragujevac", "pu-kragujevac",
                  "Policijska uprava Kragujevac", 171_186),
    _Municipality("loznica", "Loznica", "macvanski", "Grad Loznica", "pu-sabac",
                  "Policijska uprava Šabac – Policijska stanica Loznica", 72_062),
    _Municipality("cuprija", "Ćuprija", "pomoravski", "Opština Ćuprija", "pu-jagodina",
                  "Policijska uprava Jagodina – Policijska stanica Ćuprija", 26_018),
    _Municipality("golubac", "Golubac", "branicevski", "Opština Golubac", "pu-pozarevac",
                  "Policijska uprava Požarevac – Policijska stanica Golubac", 6_744),
    _Municipality("smederevska-palanka", "Smederevska Palanka", "podunavski",
                  "Opština Smederevska Palanka", "pu-smederevo",
                  "Policijska uprava Smederevo – Policijska stanica Smederevska Palanka", 44_709),
)  # fmt: skip

MUNICIPALITIES: dict[str, _Municipality] = {m.slug: m for m in SEED_MUNICIPALITIES}


# Basic courts and basic public prosecutors' offices serving the nine municipalities, by the Law
# on Seats and Territorial Jurisdiction of Courts and Public Prosecutors' Offices (Sl. glasnik RS
# 101/2013). The urgent-measure chain goes to the basic court and prosecutor of the victim's
# residence (LPDV Art. 18), so `serves` must be right for the seed municipalities; neighbours are
# listed only where confirmed. The Belgrade offices sit in the City of Belgrade, not in one
# city municipality, so they have no seat municipality, only the areas they serve.
_JUDICIARY: tuple[tuple[str, str, str | None, str, tuple[str, ...]], ...] = (
    ("court.os-lazarevac", "Osnovni sud u Lazarevcu", "lazarevac", BELGRADE, ()),
    ("prosecutor.ojt-lazarevac", "Osnovno javno tužilaštvo u Lazarevcu", "lazarevac", BELGRADE, ()),
    ("court.os-beograd-1", "Prvi osnovni sud u Beogradu", None, BELGRADE,
     ("stari-grad", "vracar", "zvezdara", "savski-venac", "palilula")),
    ("prosecutor.ojt-beograd-1", "Prvo osnovno javno tužilaštvo u Beogradu", None, BELGRADE,
     ("stari-grad", "vracar", "zvezdara", "savski-venac", "palilula")),
    ("court.os-beograd-2", "Drugi osnovni sud u Beogradu", None, BELGRADE,
     ("vozdovac", "cukarica", "rakovica", "grocka")),
    ("prosecutor.ojt-beograd-2", "Drugo osnovno javno tužilaštvo u Beogradu", None, BELGRADE,
     ("vozdovac", "cukarica", "rakovica", "grocka")),
    ("court.os-kragujevac", "Osnovni sud u Kragujevcu", "kragujevac", "sumadijski", ()),
    ("prosecutor.ojt-kragujevac", "Osnovno javno tužilaštvo u Kragujevcu", "kragujevac",
     "sumadijski", ()),
    ("court.os-loznica", "Osnovni sud u Loznici", "loznica", "macvanski", ()),
    ("prosecutor.ojt-loznica", "Osnovno javno tužilaštvo u Loznici", "loznica", "macvanski", ()),
    ("court.os-paracin", "Osnovni sud u Paraćinu", "paracin", "pomoravski", ("paracin", "cuprija")),
    ("prosecutor.ojt-paracin", "Osnovno javno tužilaštvo u Paraćinu", "paracin", "pomoravski",
     ("paracin", "cuprija")),
    ("court.os-veliko-gradiste", "Osnovni sud u Velikom Gradištu", "veliko-gradiste",
     "branicevski", ("veliko-gradiste", "golubac")),
    # Unconfirmed: Golubac's prosecutor may be an office in Veliko Gradište rather than Požarevac.
    ("prosecutor.ojt-pozarevac", "Osnovno javno tužilaštvo u Požarevcu", "pozarevac",
     "branicevski", ("pozarevac", "veliko-gradiste", "golubac")),
    ("court.os-velika-plana", "Osnovni sud u Velikoj Plani", "velika-plana", "podunavski",
     ("velika-plana", "smederevska-palanka")),
    ("prosecutor.ojt-velika-plana", "Osnovno javno tužilaštvo u Velikoj Plani", "velika-plana",
     "podunavski", ("velika-plana", "smederevska-palanka")),
)  # fmt: skip


def _municipal(m: _Municipality) -> list[Institution]:
    """The CSR, police, health centre, free-legal-aid service and local government of one seed
    municipality (the local government signs the programme's agreements and records its work)."""

    def here(id_: str, kind: str, name: str) -> Institution:
        return Institution(id=id_, kind=kind, name=name, municipality=m.slug, district=m.district)

    csr = (
        f"Gradski centar za socijalni rad u Beogradu – Odeljenje {m.name}"
        if m.district == BELGRADE
        else f"Centar za socijalni rad {m.name}"
    )
    legal_aid = f"Služba besplatne pravne pomoći – {m.local_government}"
    return [
        here(f"csr.{m.slug}", "CSR", csr),
        here(f"police.{m.police_unit}.{m.slug}", "POLICE", m.police_name),
        here(f"health.dz-{m.slug}", "HEALTH", f"Dom zdravlja {m.name}"),
        here(f"legal-aid.{m.slug}", "LEGAL_AID", legal_aid),
        here(f"local-gov.{m.slug}", "LOCAL_GOVERNMENT", m.local_government),
    ]


def _judiciary() -> list[Institution]:
    return [
        Institution(
            id=id_,
            kind="COURT" if id_.startswith("court.") else "PROSECUTOR",
            name=name,
            municipality=seat,
            district=district,
            serves=list(serves),
        )
        for id_, name, seat, district, serves in _JUDICIARY
    ]


def _seed_network() -> list[Institution]:
    nine = [m.slug for m in SEED_MUNICIPALITIES]
    teams = [
        Institution(
            id=f"mobile-team.{slug}",
            kind="MOBILE_TEAM",
            name=f"Mobilni tim za nasilje u porodici – GCSR Odeljenje {name}",
            municipality=slug,
            district=BELGRADE,
        )
        for slug, name in (("vozdovac", "Voždovac"), ("palilula", "Palilula"))
    ]
    # AŽC signed the cooperation agreements with all nine municipalities and their CSRs.
    azc = Institution(
        id="ngo.azc", kind="NGO", name="Autonomni ženski centar", district=BELGRADE, serves=nine
    )
    municipal = [i for m in SEED_MUNICIPALITIES for i in _municipal(m)]
    return [*municipal, *_judiciary(), *teams, azc, PLATFORM]
