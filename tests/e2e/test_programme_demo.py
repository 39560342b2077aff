"""The issue's acceptance: ``povezimo demo --programme`` records the seed's 2006-2007 work, and
``povezimo report programme --from 2006-06 --to 2007-12 --format json`` gives the seed's figures;
the PDF opens and, rendered as a picture, shows its charts; the demo without ``--programme``
prints the same counts as with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pypdfium2
import pytest

from tests.e2e.test_demo import counts, run_demo

SMALL = ("--months", "1", "--scale", "0.02")
CHART_BLUE = (0x2B, 0x5F, 0x8A)  # the first bar colour of services/reports/charts.py


def report(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POVEZIMO_")}
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "report", "programme", *args],
        cwd=cwd, env=env, capture_output=True, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    cwd = tmp_path_factory.mktemp("programme-demo")
    done = run_demo(cwd, *SMALL, "--programme")
    assert done.returncode == 0, done.stderr
    yield cwd, done.stdout


def near(rgb: tuple[int, int, int], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 6 for a, b in zip(rgb, colour, strict=True))


def figure(rows: list[dict[str, object]], **labels: object) -> object:
    found = [r["count"] for r in rows if all(r.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (labels, rows)
    return found[0]


def test_the_report_of_the_demo_gives_the_seeds_figures(demo: tuple[Path, str]) -> None:
    cwd, _ = demo
    done = report(cwd, "--from", "2006-06", "--to", "2007-12", "--format", "json")
    assert done.returncode == 0, done.stderr
    seed = json.loads(done.stdout)
    activities = seed["activities"]
    assert figure(activities["by_kind"], kind="CONSULTATIVE_MEETING") == 28
    assert figure(activities["by_kind_and_topic"], kind="SEMINAR",
                  topic="COORDINATED_LOCAL_ACTION") == 10  # fmt: skip
    assert figure(activities["seminars_by_programme"], programme="COORDINATED_ACTION") == 10
    assert figure(activities["seminars_by_programme"], programme="ELECTIVE") == 21
    electives = ("WORK_WITH_VICTIMS", "CASE_CONFERENCES", "WORK_WITH_PERPETRATORS",
                 "SELF_HELP_GROUPS", "PROFESSIONAL_STRESS")  # fmt: skip
    assert sum(figure(activities["by_kind_and_topic"], kind="SEMINAR", topic=t)  # type: ignore[misc]
               for t in electives) == 21  # fmt: skip
    meetings = [figure(activities["by_kind_and_topic"], kind="PROFESSIONAL_MEETING", topic=t)
                for t in ("PROTECTION_IN_EDUCATION", "COOPERATION_MODEL_PRESENTATION",
                          "PROGRAMME_PARTNERS_MEETING")]  # fmt: skip
    assert meetings == [3, 4, 1]
    assert figure(activities["municipalities_reached"], kind="CAMPAIGN_ACTION") == 9
    assert figure(activities["by_kind"], kind="MEDIA_APPEARANCE") == 101
    agreements = seed["agreements"]
    assert agreements["in_force"] == [{"count": 9}] and agreements["municipalities"] == [
        {"count": 9}
    ]
    assert figure(agreements["by_party_kind"], party_kind="LOCAL_GOVERNMENT") == 9
    assert figure(agreements["by_party_kind"], party_kind="CSR") == 9
    assert figure(seed["services"]["by_service"], service="CASE_REGISTER") == 9
    legal = [r for r in seed["services"]["by_service"] if r["service"] == "LEGAL_AID_AGREEMENT"]
    assert legal == [{"service": "LEGAL_AID_AGREEMENT", "count": 1, "law_offices": 10}]


def test_the_pdf_opens_and_shows_its_charts(demo: tuple[Path, str]) -> None:
    cwd, _ = demo
    out = cwd / "programme.pdf"
    done = report(cwd, "--from", "2006-06", "--to", "2007-12", "--format", "pdf", "--lang",
                  "en", "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = pypdfium2.PdfDocument(out)
    assert len(document) >= 2
    first = document[0]
    assert "Activities by kind" in first.get_textpage().get_text_range()
    picture = first.render(scale=1).to_pil().convert("RGB")
    colours = picture.getcolors(maxcolors=1 << 16) or []
    white = sum(n for n, rgb in colours if rgb == (255, 255, 255))
    assert white < picture.width * picture.height * 0.98, "the first page is blank"
    # The bars of the first chart, in their colour (anti-aliased edges aside).
    bars = sum(n for n, rgb in colours if near(rgb, CHART_BLUE))
    assert bars > 2_000, f"no chart on the first page ({bars} bar pixels)"


def test_the_demo_without_the_programme_prints_the_same_counts(
    demo: tuple[Path, str], tmp_path: Path
) -> None:
    _, with_programme = demo
    without = run_demo(tmp_path, *SMALL)
    assert without.returncode == 0, without.stderr
    assert counts(without.stdout) == counts(with_programme)
    assert "the programme 2006-06 to 2007-12" in with_programme
    assert "the programme" not in without.stdout
