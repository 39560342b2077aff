"""One command-line style (issue 26.4): every listing in table, CSV or JSON with nothing cut off a
terminal; one error line with a code; names checked against the platform; and no platform made
in the wrong folder by a command that only reads one."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from services.cli.main import app

runner = CliRunner()
DATA = "{data}"  # where a case puts --data-dir and the platform's directory


def povezimo(*args: str) -> Result:
    return runner.invoke(app, list(args))


def _with(data_dir: Path, args: tuple[str, ...]) -> list[str]:
    return [part.replace(DATA, str(data_dir)) for part in args]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A platform as an operator starts one: `povezimo run` on an empty directory."""
    directory = tmp_path_factory.mktemp("cli-style") / "data"
    started = povezimo("run", "--until-idle", "--data-dir", str(directory))
    assert started.exit_code == 0, started.output
    return directory


LISTINGS = [
    ("institutions", "list", "--data-dir", DATA),
    ("tokens", "list", "--data-dir", DATA),
    ("schemas", "list"),
    ("schemas", "register", "--data-dir", DATA),
    ("topics", "list", "--data-dir", DATA),
    ("audit", "releases", "--data-dir", DATA),
    ("audit", "access", "--institution", "csr.lazarevac", "--data-dir", DATA),
]


@pytest.mark.parametrize("args", LISTINGS, ids=lambda a: " ".join(a[:2]))
def test_every_listing_prints_a_table_csv_or_json(data_dir: Path, args: tuple[str, ...]) -> None:
    command = _with(data_dir, args)
    as_csv = runner.invoke(app, [*command, "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    header = next(csv.reader(io.StringIO(as_csv.stdout)))
    assert header and all(re.fullmatch(r"[a-z_ ]+", column) for column in header), header
    as_json = runner.invoke(app, [*command, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    json.loads(as_json.stdout)
    as_table = runner.invoke(app, [*command, "--format", "table"])
    assert as_table.exit_code == 0 and as_table.stdout
    unknown = runner.invoke(app, [*command, "--format", "text"])
    assert unknown.exit_code == 2  # Click's own usage error, in the one style
    assert unknown.stderr.startswith("error: usage: Invalid value for '--format'"), unknown.stderr


@pytest.mark.parametrize(
    "words",
    [["nosuch"], ["tokens", "list", "--nosuch"], ["aggregate", "--by"], ["tokens", "issue"]],
    ids=["unknown command", "unknown option", "option without its value", "missing option"],
)
def test_clicks_own_refusals_are_one_line_in_the_one_style(words: list[str]) -> None:
    refused = runner.invoke(app, words)
    assert refused.exit_code == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: usage: "), refused.stderr
    assert "--help` shows the options" in lines[0]


def test_a_listed_token_id_is_whole_and_revokes(data_dir: Path) -> None:
    label = "the case system of the centre for social work in Lazarevac, " * 3
    issued = povezimo(
        "tokens", "issue", "--role", "auditor", "--label", label, "--data-dir", str(data_dir)
    )
    assert issued.exit_code == 0, issued.output
    token_id = re.search(r"token id (\S+)", issued.stdout)
    assert token_id
    # A table piped to a file or a program is not cut to any width.
    table = povezimo("tokens", "list", "--data-dir", str(data_dir)).stdout
    assert token_id.group(1) in table and label.strip() in table
    listed = povezimo("tokens", "list", "--format", "csv", "--data-dir", str(data_dir)).stdout
    rows = list(csv.DictReader(io.StringIO(listed)))
    [row] = [r for r in rows if r["label"] == label]
    assert row["token_id"] == token_id.group(1) and row["revoked_at"] == ""
    listed_json = povezimo("tokens", "list", "--format", "json", "--data-dir", str(data_dir))
    assert token_id.group(1) in {t["token_id"] for t in json.loads(listed_json.stdout)}
    revoked = povezimo("tokens", "revoke", row["token_id"], "--data-dir", str(data_dir))
    assert revoked.exit_code == 0, revoked.output


REFUSALS = [
    (("tokens", "revoke", "nope", "--data-dir", DATA), 1, "unknown_token", "tokens list"),
    (
        ("audit", "access", "--institution", "police.atlantis", "--data-dir", DATA),
        1,
        "unknown_institution",
        "povezimo institutions list",
    ),
    (
        ("audit", "access", "--subject", str(uuid.uuid4()), "--data-dir", DATA),
        1,
        "unknown_subject",
        "povezimo audit case",
    ),
    (
        (
            "identify",
            str(uuid.uuid4()),
            "--institution",
            "csr.lazarevac",
            "--purpose",
            "NOSY",
            "--data-dir",
            DATA,
        ),
        2,
        "unknown_purpose",
        "CASE_HANDLING",
    ),
    (
        (
            "tokens",
            "issue",
            "--role",
            "institution",
            "--institution",
            "csr.atlantis",
            "--data-dir",
            DATA,
        ),
        1,
        "unknown_institution",
        "povezimo institutions list",
    ),
    (
        ("institutions", "list", "--municipality", "atlantis", "--data-dir", DATA),
        1,
        "unknown_municipality",
        "lazarevac",
    ),
    (
        (
            "report",
            "programme",
            "--from",
            "2024-01",
            "--to",
            "2024-12",
            "--municipality",
            "atlantis",
            "--data-dir",
            DATA,
        ),
        1,
        "unknown_municipality",
        "povezimo institutions list",
    ),
    (
        ("erase", str(uuid.uuid4()), "--reason", "BORED", "--data-dir", DATA),
        2,
        "unknown_reason",
        "DATA_SUBJECT_REQUEST",
    ),
    (("audit", "access", "--data-dir", DATA), 2, "missing_filter", "--subject"),
    # A use case's own refusal, answered at the one boundary.
    (
        ("report", "programme", "--from", "2024-13", "--to", "2024-12", "--data-dir", DATA),
        2,
        "bad_month",
        "YYYY-MM",
    ),
    (
        ("run", "--until-idle", "--projection", "nope", "--data-dir", DATA),
        2,
        "unknown_projection",
        "exchange",
    ),
]


@pytest.mark.parametrize(("args", "status", "code", "hint"), REFUSALS, ids=lambda a: str(a)[:40])
def test_an_error_is_one_line_with_a_code_and_what_to_do(
    data_dir: Path, args: tuple[str, ...], status: int, code: str, hint: str
) -> None:
    result = runner.invoke(app, _with(data_dir, args))
    assert result.exit_code == status, result.output
    assert result.stderr.startswith(f"error: {code}: "), result.stderr
    assert len(result.stderr.splitlines()) == 1 and hint in result.stderr
    assert result.stdout == "" and isinstance(result.exception, SystemExit)  # no traceback


READERS = [
    ("tokens", "list"),
    ("tokens", "issue", "--role", "admin"),
    ("aggregate",),
    ("audit", "access", "--institution", "csr.lazarevac"),
    ("audit", "public-key"),
    ("institutions", "list"),
    ("topics", "list"),
    ("outbox", "resend"),
]


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_a_command_that_reads_a_platform_makes_none(tmp_path: Path, args: tuple[str, ...]) -> None:
    nowhere = tmp_path / "nowhere"
    result = povezimo(*args, "--data-dir", str(nowhere))
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"error: no_platform: {nowhere} holds no Povezimo platform; run `povezimo demo` to "
        "create one, or pass --data-dir\n"
    )
    assert not nowhere.exists()


def test_the_data_directory_used_is_named_when_not_given(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POVEZIMO_DATA_DIR", raising=False)
    wrong_folder = povezimo("tokens", "list")
    assert wrong_folder.exit_code == 1
    assert wrong_folder.stderr.splitlines()[0] == (
        f"using data directory {tmp_path / 'povezimo-data'} "
        "(POVEZIMO_DATA_DIR or --data-dir to change)"
    )
    assert "error: no_platform:" in wrong_folder.stderr
    assert not (tmp_path / "povezimo-data").exists()

    monkeypatch.setenv("POVEZIMO_DATA_DIR", str(data_dir))
    found = povezimo("tokens", "list", "--format", "csv")
    assert found.exit_code == 0, found.output
    assert found.stderr.startswith(f"using data directory {data_dir} ")
    given = povezimo("tokens", "list", "--data-dir", str(data_dir))
    assert given.exit_code == 0 and given.stderr == ""


CREATORS = [("demo",), ("serve",), ("run",), ("schemas", "register"), ("import", "csv"),
            ("import", "activities")]  # fmt: skip


@pytest.mark.parametrize("args", CREATORS, ids=" ".join)
def test_a_command_that_starts_a_platform_says_so(args: tuple[str, ...]) -> None:
    shown = runner.invoke(app, [*args, "--help"], terminal_width=200)
    assert shown.exit_code == 0
    assert "holds no platform yet" in " ".join(shown.stdout.replace("│", " ").split())


def test_an_import_lists_the_rows_it_did_not_import_in_the_format_asked(tmp_path: Path) -> None:
    register = Path(__file__).resolve().parents[2] / "deploy" / "examples" / "csr-register.csv"
    args = ["import", "csv", str(register), "--institution", "csr.lazarevac",
            "--data-dir", str(tmp_path / "data")]  # fmt: skip
    as_json = runner.invoke(app, [*args, "--format", "json"])
    assert as_json.exit_code == 1  # some rows were not imported
    assert [row["line"] for row in json.loads(as_json.stdout)] == [4, 5, 6, 7]
    assert "2 rows imported as 13 events; 4 rows not imported" in as_json.stderr
    as_csv = runner.invoke(app, [*args, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [row["line"] for row in rows] == ["4", "5", "6", "7"]
    assert "'SLAPPING' is not a ViolenceType" in rows[1]["why it was not imported"]


def test_a_known_error_is_answered_at_the_boundary_not_as_a_traceback(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert povezimo("run", "--until-idle", "--data-dir", str(data_dir)).exit_code == 0
    (data_dir / "views.db").chmod(0o644)  # LooseFile, raised deep in the settings
    result = povezimo("tokens", "list", "--data-dir", str(data_dir))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.stderr.startswith(f"error: loose_file: {data_dir / 'views.db'} can be read")
    assert "chmod 600" in result.stderr and len(result.stderr.splitlines()) == 1
