"""An integrator's first day, with only the typed client and the documented example: the Python
block of docs/integrating.md runs as written against a lone ``povezimo serve``. A case is opened,
a victim and a perpetrator registered (their identifiers sealed by the platform), the victim
referred to legal aid; the recipient sees it arrive on its stream, accepts, reads the identity;
an institution outside the case cannot."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from producers.http_client import ApiRefused, PovezimoClient
from services.cli.main import app as cli
from tests.support.serving import serving

DOC = Path(__file__).parents[2] / "docs" / "integrating.md"


def issue(data_dir: Path, institution: str) -> str:
    issued = CliRunner().invoke(
        cli, ["tokens", "issue", "--institution", institution, "--role", "institution",
              "--data-dir", str(data_dir)],
    )  # fmt: skip
    assert issued.exit_code == 0, issued.output
    return issued.output.strip().splitlines()[-1]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path / "data"
    with serving(tmp_path, data_dir) as url:
        yield url, data_dir


def the_client_example() -> str:
    text = DOC.read_text()
    section = text[text.index("### A typed client (Python)") :]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found, "docs/integrating.md lost its client example"
    return found.group(1)


def test_the_documented_client_example_runs_as_written(served: tuple[str, Path]) -> None:
    api, data_dir = served
    names = {
        "API": api,
        "CSR_TOKEN": issue(data_dir, "csr.lazarevac"),
        "LEGAL_AID_TOKEN": issue(data_dir, "legal-aid.lazarevac"),
        "POLICE_TOKEN": issue(data_dir, "police.pu-kragujevac.kragujevac"),
    }
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(the_client_example(), str(DOC), "exec"), names)
    assert printed.getvalue().splitlines() == ["Petrović", "404 subject_not_found"]


def test_the_client_raises_the_apis_code_and_problems(served: tuple[str, Path]) -> None:
    api, data_dir = served
    client = PovezimoClient(api, issue(data_dir, "csr.lazarevac"))
    with pytest.raises(ApiRefused) as refused:
        client.accept("00000000-0000-0000-0000-000000000000")
    assert (refused.value.status, refused.value.code) == (404, "referral_not_found")
    with pytest.raises(ApiRefused) as unauthenticated:
        PovezimoClient(api, "pvz_not-a-token").cases()
    assert unauthenticated.value.status == 401
