"""The house keeps its shape: layers that import only downwards, no import cycle, one home for the
wire names, and few modules loose at the top of ``services/``.

The layers are the import-linter contract in ``pyproject.toml``; this runs it, so the README's
test command (and CI) checks it. Imports inside functions and for type checking count.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("services", "schemas", "consumers", "producers")


def test_the_import_contracts_hold() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import sys, importlinter.cli as c; sys.exit(c.lint_imports())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_imports_itself_back_through_others() -> None:
    imports = grimp.build_graph(*PACKAGES, include_external_packages=False)
    graph = {m: set(imports.find_modules_directly_imported_by(m)) for m in imports.modules}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_at_most_eight_modules_are_loose_at_the_top_of_services() -> None:
    loose = sorted(p.name for p in (ROOT / "services").glob("*.py"))
    assert len(loose) <= 8, loose


# A topic's or header's name in quotes: only schemas/topics.py may write one.
_WIRE_NAME = re.compile(
    r"""["'](?:submissions|rejections|inbox)\.|["'](?:case-events|access-log|event-type|event-id|"""
    r"""submitted-by|submitted-via|inbox-reason|rejection-code|token-id)["']"""
    r"""|\(\s*["']submission["']\s*,"""  # a plain word too: only as a header's (name, value)
)


def test_only_the_topics_module_spells_a_topic_or_header_name() -> None:
    spelled = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "schemas" / "topics.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if _WIRE_NAME.search(line) and not line.lstrip().startswith("#"):
                    spelled.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert spelled == []
