"""`povezimo import csv`: good rows become events, bad rows are reported with every reason, and
the register's case numbers and people's identifiers never reach the log in clear."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from consumers.exchange import submissions_table
from services.cli.main import app
from tests.support.pipeline import pipeline_of, platform_for

SAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "examples" / "csr-register.csv"


def test_good_rows_become_events_and_bad_rows_are_reported(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    report = tmp_path / "report.json"
    runner = CliRunner()
    args = ["import", "csv", str(SAMPLE), "--institution", "csr.lazarevac",
            "--data-dir", str(data_dir), "--report", str(report)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output  # some rows were not imported
    assert "2 rows imported as 13 events; 4 rows not imported" in result.output
    problems = {p["line"]: " ".join(p["reasons"]) for p in json.loads(report.read_text())}
    assert set(problems) == {4, 5, 6, 7}
    assert "opened_on '2024-13-01' is not a date" in problems[4]
    assert "'SLAPPING' is not a ViolenceType" in problems[5]
    assert "children_present 'maybe'" in problems[5]
    assert "victim_jmbg fails the JMBG check digit" in problems[5]
    assert "repeats the row on line 2" in problems[6]
    assert "before opened_on" in problems[7]

    platform = platform_for(data_dir)
    pipeline = pipeline_of(platform)
    pipeline.drain()
    pipeline.close()
    with platform.exchange_engine.connect() as conn:
        statuses = [r.status for r in conn.execute(select(submissions_table.c.status))]
    assert statuses == ["accepted"] * 13
    platform.close()

    # The same file again: the keyed ids are the same, so nothing new is appended.
    again = runner.invoke(app, args)
    assert "0 events delivered" in again.output

    # Case numbers, names and JMBGs are in no file of the data directory (log, views, outbox,
    # vault, their write-ahead logs): only sealed, and the vault holds keys, not data.
    stores = [f for f in data_dir.iterdir() if f.is_file()]
    assert any(f.name == "bus.db-wal" or f.name == "bus.db" for f in stores)
    for needle in ("550-2024-017", "550-2024-018", "Petrović", "1403985716235", "Karađorđeva"):
        for store in stores:
            assert needle.encode() not in store.read_bytes(), (needle, store.name)


def test_a_file_without_the_required_columns_is_refused_whole(tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text("case_number,opened_on\n1,2024-01-01\n", encoding="utf-8")
    args = ["import", "csv", str(broken), "--institution", "csr.lazarevac"]
    result = CliRunner().invoke(app, [*args, "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 1
    assert "header lacks column(s) violence_types, relationship, victim_sex" in result.output
    shutil.rmtree(tmp_path / "d")
