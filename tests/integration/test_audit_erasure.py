"""Erasure by crypto-shredding: after ``povezimo erase`` the person is nowhere, the log verifies.

Police report → identifiers sealed by the vault → the police read the victim's identity (recorded
on the access log) → the victim asks to be erased → the key is destroyed and SubjectErased flows
through the exchange. Then a byte search of every file of the data directory and of every export
finds none of the generated identifiers and not the key, every view and replay shows the subject
erased, and ``audit verify`` passes on the unchanged log.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from consumers.views import subjects
from services.audit.point_in_time import case_as_of, parse_instant
from services.cli.main import app
from services.platform.vault import keys_table
from tests.support.audit import audit_platform, run_scenario
from tests.support.pipeline import pipeline_of


def cli(data_dir: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--data-dir", str(data_dir)])
    return result.exit_code, result.output


def drain(data_dir: Path) -> None:
    platform = audit_platform(data_dir)
    pipeline = pipeline_of(platform)
    pipeline.drain()
    pipeline.close()
    platform.close()


def every_file(data_dir: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(data_dir.rglob("*")) if p.is_file()}


def needles_found(files: dict[Path, bytes], needles: list[bytes]) -> list[tuple[str, bytes]]:
    return [(p.name, n) for p, data in files.items() for n in needles if n in data]


def test_erased_subject_leaves_no_identifier_or_key_and_the_log_still_verifies(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    scenario = run_scenario(data_dir, cases=2)
    script = scenario.scripts[0]
    victim, case_id = str(script.victim), str(script.case_id)
    person = script.people[script.victim]
    identifiers = [
        v.encode() for s in scenario.scripts for p in s.people.values() for v in p.identifiers()
    ]
    platform = audit_platform(data_dir)
    with platform.vault.engine.connect() as conn:
        key = conn.execute(
            select(keys_table.c.data_key).where(keys_table.c.subject_id == victim)
        ).scalar_one()
    platform.close()

    # Before: the key is in the vault (the search can find it), no identifier is anywhere.
    assert needles_found(every_file(data_dir), [key]) == [("vault.db", key)]
    assert needles_found(every_file(data_dir), identifiers) == []

    code, output = cli(
        data_dir, "identify", victim, "--institution", script.police,
        "--purpose", "CASE_HANDLING", "--role", "COMPETENT_POLICE_OFFICER",
    )  # fmt: skip
    assert code == 0, output
    assert f"jmbg: {person.jmbg}" in output and person.family_name in output
    code, output = cli(
        data_dir, "identify", victim, "--institution", "csr.golubac", "--purpose", "CASE_HANDLING"
    )
    assert code == 1 and "unknown_subject" in output
    drain(data_dir)
    code, output = cli(data_dir, "audit", "access", "--subject", victim, "--format", "json")
    assert code == 0, output
    (access,) = json.loads(output)
    assert access["institution"] == script.police
    assert access["purpose"] == "CASE_HANDLING" and access["basis"] == "CASE_OWNER"
    assert access["role"] == "COMPETENT_POLICE_OFFICER"
    code, output = cli(data_dir, "audit", "access", "--institution", script.police)
    assert code == 0 and "CASE_HANDLING" in output

    code, output = cli(data_dir, "erase", victim, "--reason", "DATA_SUBJECT_REQUEST")
    assert code == 0, output
    assert "erased" in output
    drain(data_dir)

    platform = audit_platform(data_dir)
    with platform.views_engine.connect() as views:
        row = views.execute(select(subjects).where(subjects.c.subject_id == victim)).one()
    assert row.erased and row.birth_year is None and row.sex is None
    # A replay as of a time before the erasure shows the subject erased as well.
    with platform.archive_engine.connect() as archive:
        replayed = case_as_of(
            archive, platform.codec, platform.institutions, case_id, parse_instant("2026-03-05")
        )
    platform.close()
    assert replayed is not None
    (shown,) = [s for s in replayed["state"]["subjects"] if s["subject_id"] == victim]
    assert shown["erased"] and shown["birth_year"] is None

    code, output = cli(
        data_dir, "identify", victim, "--institution", script.police, "--purpose", "CASE_HANDLING"
    )
    assert code == 1 and "erased" in output
    code, output = cli(data_dir, "erase", victim, "--reason", "DATA_SUBJECT_REQUEST")
    assert code == 1 and "already_erased" in output

    code, output = cli(data_dir, "audit", "verify")
    assert code == 0, output
    assert "archive intact" in output

    exports = tmp_path / "exports"
    exports.mkdir()
    for name, args in {
        "case.json": ["audit", "case", case_id, "--as-of", "2026-12-31T00:00", "--format", "json"],
        "view.json": ["audit", "case", "--view", script.police, "--as-of", "2026-12-31T00:00",
                      "--format", "json"],
        "access.json": ["audit", "access", "--subject", victim, "--format", "json"],
        "case.txt": ["audit", "case", case_id, "--as-of", "2026-12-31T00:00"],
    }.items():  # fmt: skip
        code, output = cli(data_dir, *args)
        assert code == 0, output
        (exports / name).write_text(output)
    assert victim in (exports / "case.json").read_text()

    files = every_file(data_dir) | every_file(exports)
    assert {p.name for p in files} >= {"bus.db", "views.db", "archive.db", "vault.db"}
    assert needles_found(files, [key, *identifiers]) == []

    # The same while every store is open, so the write-ahead logs are on disk too.
    platform = audit_platform(data_dir)
    assert platform.vault.key_id_of(victim) is None
    with platform.views_engine.connect() as views, platform.archive_engine.connect() as archive:
        views.exec_driver_sql("SELECT count(*) FROM view_subjects").scalar_one()
        archive.exec_driver_sql("SELECT count(*) FROM archive_records").scalar_one()
        platform.bus.list_topics()
        files = every_file(data_dir)
        assert any(p.name.endswith("-wal") for p in files)
        assert needles_found(files, [key, *identifiers]) == []
    platform.close()
