"""The AsyncAPI document: generated from the code, the same from the command line and the API,
rendered up to date in docs/asyncapi.md, and valid by an independent judge, the AsyncAPI
project's own parser (``@asyncapi/parser`` with its Avro schema parser, run by node).

No well-kept PyPI package ships the specification's JSON Schema, so the parser is installed with
npm into a cache directory on first use; without node or the npm registry the validation is
skipped, saying why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from schemas.institutions import InstitutionRegistry
from schemas.topics import (
    ACCESS_LOG,
    CASE_EVENTS,
    INBOX_PREFIX,
    REJECTIONS_PREFIX,
    SUBMISSIONS_PREFIX,
)
from services.api.app import create_app
from services.cli.main import app as cli
from services.operations.asyncapi import document, markdown
from services.operations.topology import PLATFORM_SERVICES
from tests.support.pipeline import platform_for

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("@asyncapi/parser@3", "@asyncapi/avro-schema-parser@3")
VALIDATE_JS = """
const fs = require('fs');
const { Parser } = require('@asyncapi/parser');
const { AvroSchemaParser } = require('@asyncapi/avro-schema-parser');
(async () => {
  const parser = new Parser();
  parser.registerSchemaParser(AvroSchemaParser());
  const { document, diagnostics } = await parser.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const problems = diagnostics.filter((d) => d.severity <= 1)
    .map((d) => ({ code: d.code, message: d.message, path: d.path }));
  console.log(JSON.stringify({ parsed: Boolean(document), problems }));
})();
"""


def seed_document() -> dict[str, Any]:
    return document(InstitutionRegistry.default())


@pytest.fixture(scope="session")
def asyncapi_parser() -> Iterator[Path]:
    """A directory with the AsyncAPI parser installed and a script that runs it on a file."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed: the AsyncAPI parser cannot run")
    cache = Path(
        os.environ.get("POVEZIMO_ASYNCAPI_PARSER_DIR")
        or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "povezimo-asyncapi"
    )
    if not (cache / "node_modules" / "@asyncapi" / "avro-schema-parser").is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        try:
            installed = subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(cache), *PACKAGES],
                capture_output=True, text=True, timeout=600,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            pytest.skip("npm did not install the AsyncAPI parser within 10 minutes")
        if installed.returncode != 0:
            pytest.skip(f"npm could not install the AsyncAPI parser: {installed.stderr[-500:]}")
    (cache / "validate.js").write_text(VALIDATE_JS, encoding="utf-8")
    yield cache


def judge(parser_dir: Path, text: str, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "asyncapi.yaml"
    path.write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["node", str(parser_dir / "validate.js"), str(path)],
        cwd=parser_dir, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    verdict: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return verdict


def printed(*options: str) -> str:
    result = CliRunner().invoke(cli, ["asyncapi", *options])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_printed_document_is_valid_asyncapi_3(asyncapi_parser: Path, tmp_path: Path) -> None:
    verdict = judge(asyncapi_parser, printed(), tmp_path)
    assert verdict == {"parsed": True, "problems": []}


def test_the_parser_is_a_real_judge(asyncapi_parser: Path, tmp_path: Path) -> None:
    broken = seed_document()
    broken["operations"]["exchange-send-case-events"]["action"] = "publish"  # AsyncAPI 2's word
    verdict = judge(asyncapi_parser, json.dumps(broken), tmp_path)
    assert verdict["problems"], verdict


def test_yaml_json_and_the_api_give_one_document(tmp_path: Path) -> None:
    expected = seed_document()
    assert yaml.safe_load(printed()) == expected
    assert json.loads(printed("--format", "json")) == expected
    platform = platform_for(tmp_path / "data", f"sqlite:///{tmp_path / 'bus.db'}")
    try:
        with TestClient(create_app(platform)) as client:
            served = client.get("/asyncapi.json")
    finally:
        platform.close()
    assert served.status_code == 200
    assert served.json() == expected


def test_every_topic_family_is_a_channel_with_its_writers_and_readers() -> None:
    doc = seed_document()
    addresses = {c["address"] for c in doc["channels"].values()}
    assert addresses == {
        SUBMISSIONS_PREFIX + "{institution}",
        CASE_EVENTS,
        REJECTIONS_PREFIX + "{institution}",
        INBOX_PREFIX + "{institution}",
        ACCESS_LOG,
    }
    actions = {
        (o["action"], o["channel"]["$ref"].rsplit("/", 1)[-1]) for o in doc["operations"].values()
    }
    assert ("send", CASE_EVENTS) in actions and ("receive", "submissions") in actions
    writers = {name.split("-")[0] for name, o in doc["operations"].items() if o["action"] == "send"}
    assert writers == {*PLATFORM_SERVICES, "institution"}
    case_events = doc["channels"][CASE_EVENTS]
    assert case_events["bindings"]["kafka"]["partitions"] == 12
    assert "CaseOpened" in case_events["messages"]
    assert doc["channels"]["rejections"]["messages"].keys() == {"SubmissionRejected"}
    payload = doc["components"]["schemas"]["CaseOpened"]
    assert payload["schemaFormat"].startswith("application/vnd.apache.avro")


def test_docs_asyncapi_md_is_the_rendered_document() -> None:
    committed = (ROOT / "docs" / "asyncapi.md").read_text(encoding="utf-8")
    assert committed == markdown(InstitutionRegistry.default()), (
        "docs/asyncapi.md is stale: povezimo asyncapi --format markdown > docs/asyncapi.md"
    )
