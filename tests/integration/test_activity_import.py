"""`povezimo import activities`: a coordinator's spreadsheet becomes ActivityHeld events through
the exchange; bad rows come back with their line and every reason; a second import adds nothing;
and the programme report counts what was imported."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from consumers.exchange import submissions_table
from services.cli.main import app
from services.reports.programme import ProgrammeReportRequest, programme_report
from tests.support.pipeline import pipeline_of, platform_for

SAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "examples" / "programme-activities.csv"
BAD_ROWS = """\
AZC-2024-007,SEMINAR,WORK_WITH_VICTIMS,ELECTIVE,0,golubac,2024-07-01,,,,,,CSR:F:3
AZC-2024-008,PICNIC,OTHER,,,golubac,2024-13-01,,,,,,
AZC-2024-009,TRIBUNE_OR_LECTURE,OTHER,,,atlantida,2024-07-02,,,,,,PUBLIC:X:4;CSR:F:0;Ana Anić
AZC-2024-001,CONSULTATIVE_MEETING,OTHER,,,golubac,1999-01-01,,,,,,
"""


def test_the_example_imports_and_bad_rows_are_reported_with_every_reason(tmp_path: Path) -> None:
    data_dir, report, spreadsheet = tmp_path / "data", tmp_path / "report.json", tmp_path / "a.csv"
    spreadsheet.write_text(SAMPLE.read_text(encoding="utf-8") + BAD_ROWS, encoding="utf-8")
    runner = CliRunner()
    args = ["import", "activities", str(spreadsheet), "--institution", "ngo.azc",
            "--data-dir", str(data_dir), "--report", str(report)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output  # some rows were not imported
    assert "6 activities imported; 4 rows not" in result.output
    problems = {p["line"]: " ".join(p["reasons"]) for p in json.loads(report.read_text())}
    assert set(problems) == {8, 9, 10, 11}
    assert "seminar_days '0' is not a positive number" in problems[8]
    assert "kind 'PICNIC' is not one of" in problems[9]
    assert "held_from '2024-13-01' is not a date" in problems[9]
    assert "municipality 'atlantida' is served by no institution" in problems[10]
    assert "sex 'X' is not F, M or U" in problems[10]
    assert "count '0' is not a positive number" in problems[10]
    assert "'Ana Anić' is not KIND:SEX:COUNT" in problems[10]  # a name is refused, not kept
    assert "reference repeats line 2" in problems[11]

    platform = platform_for(data_dir)
    pipeline = pipeline_of(platform)
    pipeline.drain()
    pipeline.close()
    with platform.exchange_engine.connect() as conn:
        statuses = [r.status for r in conn.execute(select(submissions_table.c.status))]
    assert statuses == ["accepted"] * 6
    found = programme_report(platform, ProgrammeReportRequest("2024-01", "2024-12")).to_json()
    platform.close()
    kinds = {r["kind"]: r["count"] for r in found["activities"]["by_kind"]}
    assert kinds == {"CONSULTATIVE_MEETING": 1, "SEMINAR": 2, "PROFESSIONAL_MEETING": 1,
                     "TRIBUNE_OR_LECTURE": 1, "MEDIA_APPEARANCE": 1}  # fmt: skip
    reached = {
        r["institution_kind"]: r["count"] for r in found["participants"]["by_institution_kind"]
    }
    assert reached["PUBLIC"] == 55 and reached["CSR"] == 21 and reached["SCHOOL"] == 21
    assert found["activities"]["media_by_scope"] == [
        {"scope": "LOCAL", "medium": "RADIO", "count": 1, "reach": 25000}
    ]
    stores = [f for f in data_dir.iterdir() if f.is_file()]
    for store in stores:
        assert "Ana Anić".encode() not in store.read_bytes(), store.name

    again = runner.invoke(app, args)
    assert "0 events delivered" in again.output  # the same references: the same event ids


def test_only_an_ngo_or_a_local_government_imports_activities(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["import", "activities", str(SAMPLE), "--institution", "csr.golubac",
              "--data-dir", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "error: unknown_institution: 'csr.golubac' is not a registered NGO" in result.stderr
    assert "povezimo institutions list" in result.stderr
