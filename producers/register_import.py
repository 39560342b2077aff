"""Importing a centre for social work's case register (a CSV export) as case events.

One row is one case; the layout is documented in the README ("Importing a case register") and
``deploy/examples/csr-register.csv`` is a sample. A row becomes ``CaseOpened``, the victim's and
the perpetrator's ``SubjectRegistered`` (identifiers sealed by the key vault), ``RiskAssessed``
(the CSR's opinion) when a risk is given, a ``ProtectionPlanAdopted`` for the measures the centre
took, one ``ServiceProvided`` per service, and ``CaseClosed`` when the case is closed.

The register's case number identifies a family to anyone who can read the register, so it never
travels: the case id is a keyed hash of it (HMAC-SHA-256 with the importing site's secret key), and
so are event and subject ids, which makes a second import of the same file a no-op. A row that
cannot be imported is reported with its line and every reason; nothing is dropped silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from producers.event_builder import new_event, new_header
from producers.identities import jmbg_is_valid
from schemas.catalogue import catalogue
from schemas.models import EventModel
from services.platform.errors import KeepsItsParts
from services.platform.vault import KeyVault, PersonalData, sealed_off

COLUMNS = (
    "case_number", "opened_on", "report_channel", "violence_types", "relationship",
    "children_present", "risk_level",
    "victim_sex", "victim_birth_year", "victim_given_name", "victim_family_name", "victim_jmbg",
    "victim_address", "victim_phone",
    "perpetrator_sex", "perpetrator_birth_year", "perpetrator_given_name",
    "perpetrator_family_name", "perpetrator_jmbg", "perpetrator_address", "perpetrator_phone",
    "measures", "services", "closed_on", "close_reason",
)  # fmt: skip
REQUIRED = ("case_number", "opened_on", "violence_types", "relationship", "victim_sex")
SEX = {"F": "FEMALE", "Ž": "FEMALE", "Z": "FEMALE", "M": "MALE", "": "UNKNOWN"}
YES = {"da", "yes", "1", "true"}
NO = {"ne", "no", "0", "false", ""}
RECORDED_AT_HOUR = 8  # the register keeps dates only: events are placed at 08:00 UTC that day


def _symbols(name: str) -> frozenset[str]:
    return frozenset(catalogue().named[f"rs.povezimo.common.{name}"]["symbols"])


@dataclass(frozen=True)
class RowProblem:
    """A row that was not imported: its line in the file and every reason."""

    line: int
    reasons: tuple[str, ...]


@dataclass
class RegisterImport:
    events: list[EventModel] = field(default_factory=list)
    imported_rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)


class KeyedIds:
    """Ids derived from register values with a secret key: stable, and not reversible."""

    def __init__(self, key: bytes, institution: str) -> None:
        self._key = key
        self._institution = institution

    def __call__(self, *parts: str) -> uuid.UUID:
        message = "\x1f".join((self._institution, *parts)).encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return uuid.UUID(bytes=digest[:16], version=4)


def site_key(path: Path) -> bytes:
    """The importing site's secret (created on first use, readable by its owner only)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_bytes(hashlib.sha256(uuid.uuid4().bytes + uuid.uuid4().bytes).digest())
    return path.read_bytes()


def read_register(
    path: Path,
    *,
    institution: str,
    municipality: str,
    key: bytes,
    vault: KeyVault | None = None,
) -> RegisterImport:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            return RegisterImport(
                problems=[RowProblem(1, (f"header lacks column(s) {', '.join(missing)}",))]
            )
        rows = [(reader.line_num, row) for row in reader]
    return register_events(
        rows, institution=institution, municipality=municipality, key=key, vault=vault
    )


def register_events(
    rows: Iterable[tuple[int, dict[str, Any]]],
    *,
    institution: str,
    municipality: str,
    key: bytes,
    vault: KeyVault | None = None,
) -> RegisterImport:
    """Events for every good row, and the problems of every other row."""
    ids = KeyedIds(key, institution)
    result = RegisterImport()
    seen: dict[str, int] = {}
    for line, row in rows:
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        number = row.get("case_number", "")
        if number and number in seen:
            result.problems.append(
                RowProblem(line, (f"case number repeats the row on line {seen[number]}",))
            )
            continue
        try:
            events = _row_events(row, institution, municipality, ids, vault)
        except RowError as error:
            result.problems.append(RowProblem(line, tuple(error.reasons)))
            continue
        seen[number] = line
        result.events.extend(events)
        result.imported_rows += 1
    return result


class RowError(KeepsItsParts, Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class _Row:
    """Reads one row's fields, collecting every problem instead of stopping at the first."""

    def __init__(self, row: dict[str, str]) -> None:
        self.row = row
        self.reasons: list[str] = []

    def text(self, name: str, required: bool = False) -> str:
        value = self.row.get(name, "")
        if required and not value:
            self.reasons.append(f"{name} is empty")
        return value

    def date(self, name: str, required: bool = False) -> dt.datetime | None:
        value = self.text(name, required)
        if not value:
            return None
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            self.reasons.append(f"{name} {value!r} is not a date (YYYY-MM-DD)")
            return None
        return dt.datetime(day.year, day.month, day.day, RECORDED_AT_HOUR, tzinfo=dt.UTC)

    def symbol(self, name: str, enum: str, required: bool = False) -> str | None:
        value = self.text(name, required).upper().replace(" ", "_")
        if not value:
            return None
        if value not in _symbols(enum):
            self.reasons.append(f"{name} {value!r} is not a {enum}")
            return None
        return value

    def symbols(self, name: str, enum: str) -> list[str]:
        found = []
        for part in filter(None, (p.strip() for p in self.text(name).split(";"))):
            value = part.upper().replace(" ", "_")
            if value in _symbols(enum):
                found.append(value)
            else:
                self.reasons.append(f"{name}: {part!r} is not a {enum}")
        return found

    def flag(self, name: str) -> bool:
        value = self.text(name).lower()
        if value not in YES | NO:
            self.reasons.append(f"{name} {value!r} is neither da/yes nor ne/no")
        return value in YES

    def person(
        self, role: str, opened: dt.datetime | None
    ) -> tuple[str, int | None, PersonalData | None]:
        sex = SEX.get(self.text(f"{role}_sex").upper())
        if sex is None:
            self.reasons.append(f"{role}_sex {self.text(f'{role}_sex')!r} is not F, M or empty")
            sex = "UNKNOWN"
        year_text = self.text(f"{role}_birth_year")
        year = int(year_text) if year_text.isdigit() else None
        if year_text and (year is None or not 1900 <= year <= (opened.year if opened else 2100)):
            self.reasons.append(f"{role}_birth_year {year_text!r} is not a plausible year")
            year = None
        jmbg = self.text(f"{role}_jmbg")
        if jmbg and not jmbg_is_valid(jmbg):
            self.reasons.append(f"{role}_jmbg fails the JMBG check digit")
        given = self.text(f"{role}_given_name", required=True)
        family = self.text(f"{role}_family_name", required=True)
        if not (given and family):
            return sex, year, None
        birth_date = None
        if jmbg and jmbg_is_valid(jmbg):
            day, month, y3 = int(jmbg[:2]), int(jmbg[2:4]), int(jmbg[4:7])
            with_century = y3 + (1000 if y3 >= 900 else 2000)
            try:
                birth_date = dt.date(with_century, month, day)
            except ValueError:
                self.reasons.append(f"{role}_jmbg does not start with a valid birth date")
        return (
            sex,
            year,
            PersonalData(
                given_name=given,
                family_name=family,
                jmbg=jmbg or None,
                birth_date=birth_date,
                address=self.text(f"{role}_address") or None,
                phone=self.text(f"{role}_phone") or None,
            ),
        )


def _row_events(
    row: dict[str, str],
    institution: str,
    municipality: str,
    ids: KeyedIds,
    vault: KeyVault | None,
) -> list[EventModel]:
    r = _Row(row)
    number = r.text("case_number", required=True)
    opened = r.date("opened_on", required=True)
    channel = r.symbol("report_channel", "ReportChannel") or "CSR"
    violence = r.symbols("violence_types", "ViolenceType")
    if not violence and r.text("violence_types"):
        pass  # the reasons already say which values were wrong
    elif not violence:
        r.reasons.append("violence_types is empty")
    relationship = r.symbol("relationship", "Relationship", required=True)
    children = r.flag("children_present")
    risk = r.symbol("risk_level", "RiskLevel")
    victim = r.person("victim", opened)
    perpetrator = r.person("perpetrator", opened)
    measures = r.symbols("measures", "PlanMeasureCode")
    services = _services(r, opened)
    closed = r.date("closed_on")
    reason = r.symbol("close_reason", "CloseReason")
    if closed and opened and closed < opened:
        r.reasons.append("closed_on is before opened_on")
    if closed and not reason:
        reason = "OTHER"
    if r.reasons or opened is None or relationship is None:
        raise RowError(r.reasons)

    case_id = ids(number, "case")
    seal = vault.seal if vault is not None else sealed_off
    made: list[EventModel] = []

    def emit(event_type: str, at: dt.datetime, **fields: Any) -> None:
        header = new_header(
            event_type, case_id=case_id, source=institution, occurred_at=at,
            actor_role="CASE_MANAGER", legal_basis="SOCIAL_PROTECTION_LAW",
            causation_id=made[-1].header.event_id if made else None,  # type: ignore[attr-defined]
            event_id=ids(number, event_type, str(len(made))),
        )  # fmt: skip
        made.append(new_event(event_type, header, **fields))

    try:
        emit("CaseOpened", opened, report_id=ids(number, "report"), municipality=municipality,
             report_channel=channel, violence_types=violence, relationship=relationship,
             children_present=children)  # fmt: skip
        subjects = {}
        for role, (sex, year, person) in (("VICTIM", victim), ("PERPETRATOR", perpetrator)):
            assert person is not None  # a row without names was refused above
            subject_id = ids(person.jmbg, "subject") if person.jmbg else ids(number, role)
            subjects[role] = subject_id
            emit("SubjectRegistered", opened, subject_id=subject_id, role=role, sex=sex,
                 birth_year=year, municipality=municipality,
                 sealed=seal(subject_id, person))  # fmt: skip
        if risk:
            emit("RiskAssessed", opened, assessment_id=ids(number, "risk"), stage="CSR_OPINION",
                 assessed_by="CSR", perpetrator_subject_id=subjects["PERPETRATOR"],
                 victim_subject_ids=[subjects["VICTIM"]], level=risk, factors={})  # fmt: skip
        if measures:
            emit("ProtectionPlanAdopted", opened, plan_id=ids(number, "plan"),
                 victim_subject_id=subjects["VICTIM"], victim_participated=True,
                 review_due_at=opened + dt.timedelta(days=15),
                 measures=[{"measure_id": ids(number, "measure", code), "kind": "SUPPORT",
                            "description_code": code,
                            "executor_institution": {"institution_id": institution, "kind": "CSR"},
                            "due_at": opened + dt.timedelta(days=30),
                            "for_subject_ids": [subjects["VICTIM"]]}
                           for code in measures])  # fmt: skip
        for n, (service, at, quantity, unit) in enumerate(services):
            emit("ServiceProvided", at, service_id=ids(number, "service", str(n)),
                 service_type=service, provided_at=at, quantity=quantity, unit=unit,
                 for_subject_ids=[subjects["VICTIM"]])  # fmt: skip
        if closed:
            emit("CaseClosed", closed, closed_at=closed, reason=reason)
    except ValidationError as error:
        raise RowError([f"{e['loc']}: {e['msg']}" for e in error.errors()]) from None
    return made


def _services(r: _Row, opened: dt.datetime | None) -> list[tuple[str, dt.datetime, int, str]]:
    """``SERVICE:YYYY-MM-DD[:QUANTITY[:UNIT]]`` separated by semicolons."""
    found = []
    for part in filter(None, (p.strip() for p in r.text("services").split(";"))):
        pieces = part.split(":")
        service = pieces[0].strip().upper()
        if service not in _symbols("ServiceType"):
            r.reasons.append(f"services: {pieces[0]!r} is not a ServiceType")
            continue
        try:
            day = dt.date.fromisoformat(pieces[1].strip()) if len(pieces) > 1 else None
        except ValueError:
            day = None
        if day is None:
            r.reasons.append(f"services: {part!r} lacks a date (SERVICE:YYYY-MM-DD)")
            continue
        at = dt.datetime(day.year, day.month, day.day, RECORDED_AT_HOUR + 1, tzinfo=dt.UTC)
        if opened and at < opened:
            r.reasons.append(f"services: {part!r} is before opened_on")
            continue
        quantity_text = pieces[2].strip() if len(pieces) > 2 else "1"
        unit = pieces[3].strip().upper() if len(pieces) > 3 else "SESSIONS"
        if not quantity_text.isdigit() or int(quantity_text) < 1:
            r.reasons.append(f"services: quantity {quantity_text!r} is not a positive number")
            continue
        found.append((service, at, int(quantity_text), unit))
    return found
