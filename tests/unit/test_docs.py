"""The docs say nothing the code contradicts, as far as a machine can tell: every link, file and
module they name exists, and every ``povezimo`` command they show, with its options, is one the
command line has. README.md stays a newcomer's page."""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer

from services.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PACKAGES = ("services", "schemas", "consumers", "producers")


def _page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def test_the_readme_is_a_page_a_newcomer_reads() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250


def test_docs_hold_the_pages_the_readme_links() -> None:
    for name in ("architecture", "api", "operations", "reliability", "performance"):
        assert (ROOT / "docs" / f"{name}.md").is_file(), name
    assert list((ROOT / "docs" / "decisions").glob("0*.md")), "no decision record"


_LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_relative_link_leads_to_a_file(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    broken = []
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.split("#")[0]).resolve()
        if not path.exists():
            broken.append(target)
    assert broken == []


# `services/operations/restore.py`, `consumers/` — a path in the repository, in backticks.
_PATH = re.compile(r"`((?:services|schemas|consumers|producers|tests|deploy|docs)/[\w./-]*)`")
# ``consumers.runner.ProjectionRunner`` — a module, or a name in one.
_DOTTED = re.compile(r"`((?:services|schemas|consumers|producers)(?:\.\w+)+)")


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_file_and_module_named_exists(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    missing = [p for p in _PATH.findall(text) if not any(ROOT.glob(p.rstrip("/")))]
    missing += [name for name in _DOTTED.findall(text) if not _resolves(name)]
    assert missing == []


def _resolves(dotted: str) -> bool:
    """A module, or an attribute (a class's too) of the longest module the name starts with."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            if not hasattr(found, attribute):
                return False
            found = getattr(found, attribute)
        return True
    return False


_COMMAND = re.compile(r"(?:^|[\s`$])povezimo ((?:[a-z][\w-]* ?)+(?:[^\n`|]*))", re.M)


def _commands(text: str) -> list[str]:
    """Each ``povezimo …`` in a code block or in backticks, as written."""
    found = []
    for block in re.findall(r"```(?:sh|bash|console)?\n(.*?)```", text, re.S):
        joined = block.replace("\\\n", " ")
        found += [m.group(1) for m in _COMMAND.finditer(joined)]
    found += [m for m in re.findall(r"`povezimo ([^`]+)`", text)]
    return found


def _is_group(command: Any) -> bool:
    return hasattr(command, "get_command")  # Typer carries click of its own: no isinstance


def _check(root: Any, written: str) -> str | None:
    """Why ``povezimo <written>`` is not a command of ours, or None."""
    try:
        words = shlex.split(written.split("#")[0], posix=True)
    except ValueError:
        words = written.split()
    command = root
    context = root.context_class(root)
    for word in words:
        if not _is_group(command) or word.startswith("-"):
            break
        if word.startswith(("<", "[", "{")) or not re.fullmatch(r"[a-z][\w-]*", word):
            break
        sub = command.get_command(context, word)
        if sub is None:
            return f"no command {word!r} in {written!r}"
        command = sub
    if _is_group(command) and command is not root:
        return None  # a group named alone, as in "`povezimo audit`"
    known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    known.add("--help")
    for word in words:
        option = word.split("=")[0].strip("[]|,.;:")
        if option.startswith("--") and len(option) > 2 and option not in known:
            return f"no option {option} of {command.name!r} in {written!r}"
    return None


def test_the_command_check_notices_a_wrong_command_and_option() -> None:
    root = typer.main.get_command(app)
    assert _check(root, "audit verify --no-bus") is None
    assert _check(root, "audit verfy") is not None
    assert _check(root, "demo --scale 0.1 --colour") is not None


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_command_shown_is_one_the_cli_has(page: Path) -> None:
    root = typer.main.get_command(app)
    wrong = [why for c in _commands(page.read_text(encoding="utf-8")) if (why := _check(root, c))]
    assert wrong == []


def test_the_readme_names_the_packages_it_lays_out() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for package in PACKAGES:
        assert f"`{package}/" in text
