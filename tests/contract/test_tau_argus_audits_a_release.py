"""τ-Argus, as a peer we did not write, audits the releases of one protected cube (issue 20).

``pytauargus`` (Statistics Netherlands' τ-Argus engine with HiGHS) reads the releases of
``reported_cases`` by place, month or quarter, and sex as one hierarchical table — months under
quarters under the year — with our decision for every cell as its status: published, withheld
small (primary) or withheld to protect another (secondary). Its audit, the port of τ-Argus'
``intervalle``, computes the interval an attacker gets for each withheld cell from the
published ones. Every primary cell must keep an interval at least the threshold wide, and the
intervals must be the ones our own attacker computes from the same releases.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from consumers import generalise as g
from consumers.indicators import Facts
from services.disclosure.model import Release, ReleaseRequest
from services.disclosure.release import MemoryState, protected_release
from tests.support.release_attacker import TOTAL, StarAttacker

tauargus = pytest.importorskip("pytauargus", reason="pytauargus is a dev dependency")
from pytauargus._tauargus import audit_jj  # noqa: E402  (its audit has no public door)
from pytauargus.engine import Engine, run_batch  # noqa: E402

FLOOR = 5
TOT = "Total"  # τ-Argus' code of a total
AREAS = {"kragujevac": "A1", "lazarevac": "A2", "pool:cuprija+golubac": "A3"}
SEXES = {"FEMALE": "F", "MALE": "M"}
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


def _period_code(period: str) -> str:
    return f"M{period[5:]}" if "Q" not in period else period[-2:]


def _region() -> list[Any]:
    """Two large places and a small pool, a year of cases, a third of the victims men."""
    rng = random.Random(2025)
    cases: list[Any] = []
    for area, rate in (("kragujevac", 18), ("lazarevac", 14), ("pool:cuprija+golubac", 3)):
        for month in MONTHS:
            for _ in range(rng.randint(max(0, rate - 3), rate + 3)):
                n = len(cases)
                cases.append(SimpleNamespace(
                    case_ps=f"c{n:04d}", month=month, area=area, violence_types="PHYSICAL",
                    assessed_risk="MEDIUM", victim_ps=f"v{n}", victim_age_band="30-39",
                    victim_sex=rng.choice(("FEMALE", "FEMALE", "MALE")), repeat=False,
                    plan=False, plan_victim_participated=False, review=None,
                ))  # fmt: skip
    return cases


class Releases:
    """The releases a table's cells come from, each asked of the door once."""

    def __init__(self, cases: list[Any]) -> None:
        self.facts = Facts({c.case_ps: c for c in cases}, [], [], [], [])
        self.state = MemoryState()
        self.asked: dict[tuple[str, ...], Release] = {}

    def count(self, labels: dict[str, str]) -> int | None:
        """The published count at ``labels`` (every dimension a release of them names)."""
        by = tuple(d for d, label in labels.items() if label != TOTAL) or ("municipality",)
        if by not in self.asked:
            request = ReleaseRequest("reported_cases", by)
            self.asked[by] = protected_release(self.state, self.facts, request, FLOOR, "2025-12")
        rows = [
            r for r in self.asked[by].rows if all(str(r[d]) == labels.get(d, TOTAL) for d in by)
        ]
        assert len(rows) == 1, (by, labels)
        count: int | None = rows[0]["count"]
        return count


def _cells() -> Iterator[tuple[str, str, str]]:
    """Every cell of the table: place, period and sex, each a label or the total."""
    periods = [TOTAL, *(q for q in sorted({g.quarter_of(m) for m in MONTHS})), *MONTHS]
    yield from itertools.product([TOTAL, *AREAS], periods, [TOTAL, *SEXES])


def _labels(area: str, period: str, sex: str) -> dict[str, str]:
    level = "month" if period in MONTHS else "quarter"
    return {"municipality": area, level: period, "sex": sex}


def _true(cases: list[Any], area: str, period: str, sex: str) -> int:
    return sum(
        area in (TOTAL, c.area)
        and period in (TOTAL, c.month, g.quarter_of(c.month))
        and sex in (TOTAL, c.victim_sex)
        for c in cases
    )


def _write_table(work: Path, rows: list[tuple[tuple[str, str, str], int, str]]) -> Path:
    """The table as τ-Argus tabular input (.tab, .rda, a hierarchy for periods) and its batch."""
    quarters = sorted({g.quarter_of(m) for m in MONTHS})
    (work / "period.hrc").write_text(
        "".join(
            f"{_period_code(q)}\n"
            + "".join(f"@{_period_code(m)}\n" for m in MONTHS if g.quarter_of(m) == q)
            for q in quarters
        )
    )
    metadata = ['<SEPARATOR> ";"', '<SAFE> "S"', '<UNSAFE> "U"', '<PROTECT> "P"']
    for name in ("area", "period", "sex"):
        metadata += [name, "  <RECODEABLE>", f'  <TOTCODE> "{TOT}"']
        if name == "period":
            metadata += ["  <HIERARCHICAL>", '  <HIERCODELIST> "period.hrc"',
                         '  <HIERLEADSTRING> "@"']  # fmt: skip
    metadata += ["count", "  <NUMERIC>", "nobs", "  <FREQUENCY>", "status", "  <STATUS>"]
    (work / "cases.rda").write_text("\n".join(metadata) + "\n")
    lines = []
    for cell, value, status in rows:
        # A withheld zero needs one observation, or τ-Argus takes it as an empty (known) cell.
        observations = value if value > 0 else int(status != "S")
        lines.append(";".join([*_codes(cell), str(value), str(observations), status]))
    (work / "cases.tab").write_text("\n".join(lines) + "\n")
    batch = work / "cases.arb"
    batch.write_text(
        '<OPENTABLEDATA> "cases.tab"\n<OPENMETADATA> "cases.rda"\n'
        '<SPECIFYTABLE> "area""period""sex"|"count"||\n<SAFETYRULE>\n<READTABLE> 0\n'
    )
    return batch


def _engine_cells(engine: Engine) -> list[tuple[str, ...]]:
    """The engine's cell index as codes (row-major over each variable's codes)."""
    per_variable = []
    for variable in range(3):
        _, active = engine._tau.get_var_number_of_codes(variable)
        codes = [engine._tau.get_var_code(variable, c)[2].strip() or TOT for c in range(active)]
        per_variable.append(codes)
    return list(itertools.product(*per_variable))


def test_tau_argus_finds_every_withheld_small_count_protected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # its solvers leave their logs in the working directory
    cases = _region()
    releases = Releases(cases)
    rows = []
    for cell in _cells():
        value, published = _true(cases, *cell), releases.count(_labels(*cell))
        assert published in (None, value)
        status = "S" if published is not None else ("U" if 0 < value < FLOOR else "M")
        rows.append((cell, value, status))
    assert sum(s == "U" for _c, _v, s in rows) >= 3 and sum(s == "M" for _c, _v, s in rows) >= 3

    found = _tau_argus_audit(tmp_path, rows, float(len(cases)))
    by_codes: dict[tuple[str, ...], tuple[tuple[str, str, str], int, str]] = {
        _codes(cell): (cell, value, status) for cell, value, status in rows
    }
    withheld = {codes for codes, (_c, _v, status) in by_codes.items() if status != "S"}
    assert set(found) == withheld  # τ-Argus read our pattern as we decided it

    attacker = StarAttacker.over(AREAS, MONTHS, {"sex": list(SEXES)})
    attacker.learn(((r.by, r.rows) for r in releases.asked.values()), ("count",))
    for codes, (low, high) in found.items():
        cell, value, status = by_codes[codes]
        assert low <= value <= high, (cell, value, low, high)
        if status == "U":
            assert high - low >= FLOOR, (cell, value, low, high)
        ours = attacker.interval(attacker.coefficients("count", *_grouping(cell)))
        assert np.allclose((low, high), (ours[0], min(ours[1], len(cases)))), (cell, ours)


def test_tau_argus_pins_a_small_count_under_primary_suppression_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit bites: the same table with only the small counts withheld gives them away."""
    monkeypatch.chdir(tmp_path)
    cases = _region()
    rows = []
    for cell in _cells():
        value = _true(cases, *cell)
        rows.append((cell, value, "U" if 0 < value < FLOOR else "S"))
    found = _tau_argus_audit(tmp_path, rows, float(len(cases)))
    assert any(high - low < FLOOR for low, high in found.values())


def _tau_argus_audit(
    work: Path, rows: list[tuple[tuple[str, str, str], int, str]], bound: float
) -> dict[tuple[str, ...], tuple[float, float]]:
    """τ-Argus' interval for every withheld cell, each count known a priori to be in 0..bound."""
    engine = run_batch(_write_table(work, rows))
    jj = str(work / "audit.jj")
    assert engine._tau.write_jj_format(0, jj, 0.0, bound, False, False, False)
    index = _engine_cells(engine)
    return {index[r["cell"]]: (r["min"], r["max"]) for r in audit_jj(jj)}


def _codes(cell: tuple[str, str, str]) -> tuple[str, str, str]:
    area, period, sex = cell
    return (
        TOT if area == TOTAL else AREAS[area],
        TOT if period == TOTAL else _period_code(period),
        TOT if sex == TOTAL else SEXES[sex],
    )


def _grouping(cell: tuple[str, str, str]) -> tuple[tuple[str, ...], dict[str, str]]:
    labels = _labels(*cell)
    return tuple(labels), labels
