"""The programme report as sections (a title, maybe a chart, a table), in one language.

Built once from the report's JSON, so Markdown, HTML and PDF show the same figures in the same
order; the renderers only lay them out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from services.reports.charts import COLOURS, bar_chart, stacked_chart
from services.reports.labels import word

WITHHELD = "x"
SEXES = ("FEMALE", "MALE", "UNKNOWN")


@dataclass
class Section:
    title: str
    columns: list[str]
    rows: list[list[str]]
    chart: str | None = None  # inline SVG
    notes: list[str] = field(default_factory=list)


def sections(report: dict[str, Any], lang: str) -> list[Section]:
    def w(key: str | None) -> str:
        return word(key, lang)

    activities, found = report["activities"], []
    by_kind = activities["by_kind"]
    found.append(
        Section(w("activities_by_kind"), [w("kind"), w("count")],
                [[w(r["kind"]), str(r["count"])] for r in by_kind],
                bar_chart(w("activities_by_kind"), [(w(r["kind"]), r["count"]) for r in by_kind])
                if by_kind else None,
                [] if by_kind else [w("nothing")])
    )  # fmt: skip
    found.append(
        Section(w("activities_by_topic"), [w("kind"), w("topic"), w("count")],
                [[w(r["kind"]), w(r["topic"]), str(r["count"])]
                 for r in activities["by_kind_and_topic"]])
    )  # fmt: skip
    found.append(
        Section(w("seminars_by_programme"), [w("programme"), w("count")],
                [[w(r["programme"]), str(r["count"])] for r in activities["seminars_by_programme"]])
    )  # fmt: skip
    found.append(_by_place(activities["by_municipality"], w))
    found.append(_by_quarter(activities["by_quarter"], w))
    found.append(
        Section(w("municipalities_reached"), [w("kind"), w("count")],
                [[w(r["kind"]), str(r["count"])] for r in activities["municipalities_reached"]])
    )  # fmt: skip
    found.append(
        Section(w("media"), [w("scope"), w("medium"), w("count"), w("reach")],
                [[w(r["scope"]), w(r["medium"]), str(r["count"]), _shown(r["reach"], "–")]
                 for r in activities["media_by_scope"]])
    )  # fmt: skip
    found.append(_participants(report["participants"], w))
    found.append(_agreements(report["agreements"], w))
    found.append(_services(report["services"], w))
    found.extend(_cases(report["cases"], w))
    return found


def _shown(value: Any, missing: str = WITHHELD) -> str:
    return missing if value is None else str(value)


def _totals(rows: list[dict[str, Any]], key: str) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row[key]] += row["count"]
    return dict(sorted(totals.items()))


def _by_place(rows: list[dict[str, Any]], w: Any) -> Section:
    totals = _totals(rows, "municipality")
    return Section(
        w("activities_by_municipality"),
        [w("municipality"), w("kind"), w("count")],
        [[w(r["municipality"]), w(r["kind"]), str(r["count"])] for r in rows],
        bar_chart(w("activities_by_municipality"),
                  [(w(place), n) for place, n in totals.items()], COLOURS[2])
        if totals else None,
    )  # fmt: skip


def _by_quarter(rows: list[dict[str, Any]], w: Any) -> Section:
    totals = _totals(rows, "quarter")
    return Section(
        w("activities_by_quarter"),
        [w("quarter"), w("kind"), w("count")],
        [[r["quarter"], w(r["kind"]), str(r["count"])] for r in rows],
        bar_chart(w("activities_by_quarter"), list(totals.items()), COLOURS[1])
        if totals else None,
    )  # fmt: skip


def _participants(figures: dict[str, list[dict[str, Any]]], w: Any) -> Section:
    rows = figures["by_institution_kind_and_sex"]
    kinds = sorted({r["institution_kind"] for r in rows})
    count = {(r["institution_kind"], r["sex"]): r["count"] for r in rows}
    series = [
        (w(sex), [count.get((k, sex), 0) for k in kinds], COLOURS[3 + i])
        for i, sex in enumerate(SEXES)
        if any(count.get((k, sex)) for k in kinds)
    ]
    return Section(
        w("participants"),
        [w("institution_kind"), w("sex"), w("count")],
        [[w(r["institution_kind"]), w(r["sex"]), str(r["count"])] for r in rows],
        stacked_chart(w("participants"), [w(k) for k in kinds], series) if rows else None,
        [] if rows else [w("no_participants")],
    )


def _agreements(figures: dict[str, list[dict[str, Any]]], w: Any) -> Section:
    rows = [[w("in_force"), str(figures["in_force"][0]["count"])],
            [w("municipality"), str(figures["municipalities"][0]["count"])]]  # fmt: skip
    rows += [[w(r["party_kind"]), str(r["count"])] for r in figures["by_party_kind"]]
    return Section(w("agreements"), [w("party_kind"), w("count")], rows)


def _services(figures: dict[str, list[dict[str, Any]]], w: Any) -> Section:
    rows = figures["by_service"]
    return Section(
        w("services"),
        [w("service"), w("count"), w("law_offices")],
        [[w(r["service"]), str(r["count"]), _shown(r["law_offices"], "–")] for r in rows],
        bar_chart(w("services"), [(w(r["service"]), r["count"]) for r in rows], COLOURS[4])
        if rows else None,
    )  # fmt: skip


def _cases(cases: dict[str, Any], w: Any) -> list[Section]:
    notes = [w("cases_note").replace("{t}", str(cases["threshold"]))]
    area = cases.get("area")
    if area and area.startswith("pool:"):
        notes.append(w("pooled").replace("{area}", area.removeprefix("pool:")))
    found = []
    for indicator in cases["indicators"]:
        measures = [m for m in indicator["measures"] if m != "median_hours"]
        rows = [
            [w(t["municipality"]) if t["municipality"] != "*" else w("total"), str(t["months"]),
             *(_shown(t.get(m)) for m in measures)]
            for t in indicator["period_totals"]
        ]  # fmt: skip
        found.append(
            Section(f"{w('cases')}: {w(indicator['indicator'])}",
                    [w("municipality"), w("month"), *measures], rows,
                    notes=notes if rows else [*notes, w("no_cases")])
        )  # fmt: skip
    return found
