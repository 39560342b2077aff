"""The institution registry: the seed network, who may publish what, the file and the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from pydantic import ValidationError
from typer.testing import CliRunner

from schemas import catalogue
from schemas.institutions import (
    ID_PREFIX,
    KINDS,
    PLATFORM_INSTITUTION,
    PLATFORM_ONLY,
    PUBLISHABLE,
    SEED_MUNICIPALITIES,
    Institution,
    InstitutionRegistry,
    may_publish,
)
from services.cli.institutions import institutions_app

NINE = [
    "lazarevac", "palilula", "zvezdara", "vozdovac", "kragujevac", "loznica", "cuprija",
    "golubac", "smederevska-palanka",
]  # fmt: skip
DEFAULT = InstitutionRegistry.default()


def test_the_seed_network_is_the_nine_municipalities_of_the_programme() -> None:
    assert [m.slug for m in SEED_MUNICIPALITIES] == NINE


@pytest.mark.parametrize("municipality", NINE)
def test_every_seed_municipality_has_its_csr_police_health_legal_aid_prosecutor_and_court(
    municipality: str,
) -> None:
    for kind in ("CSR", "POLICE", "HEALTH", "LEGAL_AID", "PROSECUTOR", "COURT"):
        institution = DEFAULT.serving(municipality, kind)
        assert institution is not None, f"no {kind} serves {municipality}"
        assert institution.active
    assert DEFAULT.get(f"csr.{municipality}") is not None
    assert DEFAULT.get(f"health.dz-{municipality}") is not None
    assert DEFAULT.get(f"legal-aid.{municipality}") is not None


def serving_id(municipality: str, kind: str) -> str | None:
    institution = DEFAULT.serving(municipality, kind)
    return institution.id if institution else None


def test_courts_and_prosecutors_seated_elsewhere_serve_the_municipality() -> None:
    assert serving_id("cuprija", "COURT") == "court.os-paracin"
    assert serving_id("palilula", "PROSECUTOR") == "prosecutor.ojt-beograd-1"
    assert serving_id("vozdovac", "COURT") == "court.os-beograd-2"
    assert serving_id("lazarevac", "COURT") == "court.os-lazarevac"
    assert "court.os-paracin" in {i.id for i in DEFAULT.by_municipality("cuprija")}
    assert serving_id("golubac", "SCHOOL") is None


def test_the_police_of_the_seed_network_use_the_ids_of_the_design() -> None:
    assert "police.pu-beograd.lazarevac" in DEFAULT
    assert "police.pu-sabac.loznica" in DEFAULT
    assert "police.pu-smederevo.smederevska-palanka" in DEFAULT


def test_the_ngo_the_mobile_teams_and_the_platform_are_registered() -> None:
    azc = DEFAULT.get("ngo.azc")
    assert azc is not None and azc.kind == "NGO" and set(azc.serves) == set(NINE)
    assert serving_id("vozdovac", "MOBILE_TEAM") == "mobile-team.vozdovac"
    assert serving_id("palilula", "MOBILE_TEAM") == "mobile-team.palilula"
    platform = DEFAULT.get(PLATFORM_INSTITUTION)
    assert platform is not None and platform.kind == "PLATFORM"


def test_an_empty_registry_still_knows_the_platform() -> None:
    assert list(InstitutionRegistry()) == [DEFAULT.get(PLATFORM_INSTITUTION)]


def test_every_seed_id_begins_with_its_kind_and_serves_at_least_one_place() -> None:
    for institution in DEFAULT:
        prefix = ID_PREFIX[institution.kind]
        assert prefix is None or institution.id.startswith(prefix)
        assert institution.serves or institution.kind == "PLATFORM", institution.id


def test_every_kind_of_the_schema_has_a_prefix_and_a_publishing_rule() -> None:
    assert set(KINDS) == set(ID_PREFIX) == set(PUBLISHABLE)


def test_every_publishable_event_type_exists_and_every_event_type_has_a_publisher() -> None:
    events = set(catalogue().events)
    used = set().union(*PUBLISHABLE.values())
    assert used <= events, used - events
    assert used == events, f"nobody may publish {events - used}"


def test_a_court_decides_extensions_and_a_school_does_not() -> None:
    assert may_publish("COURT", "ExtensionDecided")
    assert not may_publish("SCHOOL", "ExtensionDecided")
    assert may_publish("PROSECUTOR", "ExtensionProposed")
    assert not may_publish("COURT", "ExtensionProposed")
    assert may_publish("POLICE", "UrgentMeasureImposed")
    assert not may_publish("CSR", "UrgentMeasureImposed")
    assert not may_publish("SCHOOL", "ServiceProvided")
    assert not may_publish("NO_SUCH_KIND", "CaseOpened")


def test_only_the_platform_publishes_expiries_erasures_and_access_records() -> None:
    assert {"ReferralExpired", "SubjectErased", "AccessRecorded"} == PLATFORM_ONLY
    for kind, allowed in PUBLISHABLE.items():
        if kind == "PLATFORM":
            assert allowed == PLATFORM_ONLY
        else:
            assert not allowed & PLATFORM_ONLY, kind


def test_an_inactive_institution_publishes_nothing() -> None:
    court = DEFAULT.get("court.os-kragujevac")
    assert court is not None and court.may_publish("ExtensionDecided")
    assert not court.model_copy(update={"active": False}).may_publish("ExtensionDecided")


def test_serves_defaults_to_the_seat() -> None:
    school = Institution(id="school.os-golubac", kind="SCHOOL", name="OŠ", municipality="golubac")
    assert school.serves == ["golubac"]


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"id": "CSR.Lazarevac", "kind": "CSR"}, "not an institution id"),
        ({"id": "csr", "kind": "CSR"}, "not an institution id"),
        ({"id": "csr.lazarevac-", "kind": "CSR"}, "not an institution id"),
        ({"id": "police.lazarevac", "kind": "CSR"}, "must begin with 'csr.'"),
        ({"id": "csr.lazarevac", "kind": "SOCIAL"}, "unknown kind"),
        ({"id": "csr.lazarevac", "kind": "CSR", "municipality": "Lazarevac"}, "not a slug"),
    ],
)
def test_a_bad_institution_is_refused(fields: dict[str, str], complaint: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(complaint)):
        Institution(name="X", **fields)  # type: ignore[arg-type]


def test_other_may_name_itself_freely_but_hyphenated_kinds_keep_their_prefix() -> None:
    assert Institution(id="nsz.beograd", kind="OTHER", name="Nacionalna služba za zapošljavanje")
    assert Institution(id="legal-aid.golubac", kind="LEGAL_AID", name="Služba")
    with pytest.raises(ValidationError, match=re.escape("must begin with 'legal-aid.'")):
        Institution(id="legalaid.golubac", kind="LEGAL_AID", name="Služba")


def test_add_refuses_a_duplicate_id() -> None:
    registry = InstitutionRegistry.default()
    with pytest.raises(ValueError, match="already registered"):
        registry.add(Institution(id="csr.lazarevac", kind="CSR", name="Drugi CSR"))
    with pytest.raises(ValueError, match="its kind is PLATFORM"):
        InstitutionRegistry([Institution(id=PLATFORM_INSTITUTION, kind="OTHER", name="Lažna")])


def test_save_then_load_gives_the_same_registry(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "institutions.json"
    DEFAULT.save(path)
    loaded = InstitutionRegistry.load(path)
    assert list(loaded) == list(DEFAULT)
    assert "Autonomni ženski centar" in path.read_text(
        encoding="utf-8"
    )  # readable, not \\u-escaped
    assert [p.name for p in path.parent.iterdir()] == ["institutions.json"]  # no temp file left


def test_load_names_the_file_it_cannot_read(tmp_path: Path) -> None:
    path = tmp_path / "institutions.json"
    path.write_text('{"institutions": [{"id": "csr.x", "kind": "CSR"}]}', encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(str(path))):
        InstitutionRegistry.load(path)
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(ValueError, match="expected"):
        InstitutionRegistry.load(path)


def test_for_data_dir_creates_the_file_from_the_seed_network_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    registry = InstitutionRegistry.for_data_dir(data_dir)
    path = data_dir / "institutions.json"
    assert path.exists() and list(registry) == list(DEFAULT)
    registry.add(Institution(id="school.os-golubac", kind="SCHOOL", name="OŠ Golubac"))
    registry.save(path)
    assert "school.os-golubac" in InstitutionRegistry.for_data_dir(data_dir)


# --- the CLI -------------------------------------------------------------------------------------

cli = typer.Typer()
cli.add_typer(institutions_app, name="institutions")
runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A directory that holds a platform: its registry, seeded as every platform's is."""
    InstitutionRegistry.for_data_dir(tmp_path)
    return tmp_path


def test_cli_lists_the_seed_network_as_json(data_dir: Path) -> None:
    result = runner.invoke(
        cli, ["institutions", "list", "--format", "json", "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 0, result.output
    ids = {i["id"] for i in json.loads(result.stdout)["institutions"]}
    assert {"csr.lazarevac", "ngo.azc", PLATFORM_INSTITUTION} <= ids


def test_cli_filters_by_kind_and_municipality(data_dir: Path) -> None:
    args = ["institutions", "list", "--format", "json", "--data-dir", str(data_dir)]
    result = runner.invoke(cli, [*args, "--kind", "court", "--municipality", "cuprija"])
    assert result.exit_code == 0, result.output
    assert [i["id"] for i in json.loads(result.stdout)["institutions"]] == ["court.os-paracin"]
    table = runner.invoke(cli, ["institutions", "list", "--data-dir", str(data_dir)])
    assert table.exit_code == 0 and "police.pu-beograd.lazarevac" in table.stdout


def test_cli_adds_an_institution_and_keeps_it(data_dir: Path) -> None:
    result = runner.invoke(
        cli,
        [
            "institutions", "add", "--data-dir", str(data_dir), "--id", "school.os-golubac",
            "--kind", "school", "--name", "OŠ „Vuk Karadžić“ Golubac", "--municipality", "golubac",
            "--district", "branicevski", "--serves", "golubac", "--serves", "veliko-gradiste",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "added school.os-golubac (SCHOOL)" in result.stdout
    school = InstitutionRegistry.load(data_dir / "institutions.json").get("school.os-golubac")
    assert school is not None and school.serves == ["golubac", "veliko-gradiste"]
    assert not school.may_publish("ServiceProvided")


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--id", "csr.lazarevac", "--kind", "CSR"], "already registered"),
        (["--id", "Škola", "--kind", "SCHOOL"], "not an institution id"),
        (["--id", "csr.novi", "--kind", "SCHOOL"], "must begin with 'school.'"),
        (["--id", "school.novi", "--kind", "UNIVERSITY"], "unknown kind"),
    ],
)
def test_cli_refuses_a_bad_institution_and_says_why(
    tmp_path: Path, args: list[str], complaint: str
) -> None:
    before = InstitutionRegistry.for_data_dir(tmp_path)
    result = runner.invoke(
        cli, ["institutions", "add", "--data-dir", str(tmp_path), "--name", "X", *args]
    )
    assert result.exit_code != 0
    assert complaint in result.output
    assert list(InstitutionRegistry.load(tmp_path / "institutions.json")) == list(before)
