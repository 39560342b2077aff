"""The programme report in each format: JSON (the figures), Markdown, HTML with its charts, and PDF
rendered from that HTML by WeasyPrint (a real layout engine: the PDF shows the same SVG charts)."""

from __future__ import annotations

import json
from html import escape
from typing import Any, Literal

from services.reports.labels import word
from services.reports.sections import Section, sections

Format = Literal["md", "html", "pdf", "json"]
FORMATS: tuple[str, ...] = ("md", "html", "pdf", "json")
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
}
STYLE = """
@page { size: A4; margin: 16mm 14mm; }
body { font-family: "DejaVu Sans", system-ui, sans-serif; font-size: 10pt; color: #1d2733; }
h1 { font-size: 16pt; margin: 0 0 4pt; }
h2 { font-size: 12pt; margin: 14pt 0 4pt; page-break-after: avoid; }
p.meta { margin: 0 0 8pt; color: #4a5866; }
table { border-collapse: collapse; margin: 4pt 0 8pt; page-break-inside: avoid; }
th, td { border-bottom: 1px solid #d5dbe1; padding: 2pt 8pt 2pt 0; text-align: left; }
td.n { text-align: right; }
svg.chart { display: block; margin: 4pt 0; max-width: 100%; height: auto; }
p.note { color: #4a5866; font-size: 9pt; margin: 2pt 0; }
"""


def render(report: dict[str, Any], fmt: str, lang: str = "sr") -> bytes:
    """``report`` (``ProgrammeReport.to_json()``) as ``fmt``."""
    if fmt == "json":
        return (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode()
    if fmt == "md":
        return markdown(report, lang).encode()
    if fmt == "html":
        return html(report, lang).encode()
    if fmt == "pdf":
        return pdf(report, lang)
    raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")


def _heading(report: dict[str, Any], lang: str) -> tuple[str, str]:
    place = report["municipality"] or word("everywhere", lang)
    period = f"{report['from'] or '…'} – {report['to'] or '…'}"
    return word("title", lang), f"{word('period', lang)}: {period} · {place}"


def markdown(report: dict[str, Any], lang: str) -> str:
    title, meta = _heading(report, lang)
    lines = [f"# {title}", "", meta, ""]
    for section in sections(report, lang):
        lines += [f"## {section.title}", ""]
        lines += [f"_{note}_" for note in section.notes] + ([""] if section.notes else [])
        if section.rows:
            lines.append("| " + " | ".join(section.columns) + " |")
            lines.append("|" + "|".join(" --- " for _ in section.columns) + "|")
            lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in section.rows]
            lines.append("")
    return "\n".join(lines)


def _md(cell: str) -> str:
    return cell.replace("|", "\\|")


def html(report: dict[str, Any], lang: str) -> str:
    title, meta = _heading(report, lang)
    body = "".join(_section_html(section) for section in sections(report, lang))
    return (
        f"<!doctype html><html lang='{'sr-Latn' if lang == 'sr' else 'en'}'><head>"
        f"<meta charset='utf-8'><title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1><p class='meta'>{escape(meta)}</p>{body}</body></html>"
    )


def _section_html(section: Section) -> str:
    parts = [f"<section><h2>{escape(section.title)}</h2>"]
    parts += [f"<p class='note'>{escape(note)}</p>" for note in section.notes]
    if section.chart:
        parts.append(section.chart)
    if section.rows:
        head = "".join(f"<th>{escape(c)}</th>" for c in section.columns)
        rows = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in section.rows)
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    parts.append("</section>")
    return "".join(parts)


def _cell(text: str) -> str:
    numeric = text.replace(".", "", 1).isdigit()
    return f"<td class='n'>{escape(text)}</td>" if numeric else f"<td>{escape(text)}</td>"


def pdf(report: dict[str, Any], lang: str) -> bytes:
    """The HTML laid out on A4 pages by WeasyPrint (it draws the inline SVG charts)."""
    from weasyprint import HTML  # imported when a PDF is asked for: it loads Pango

    document: bytes = HTML(string=html(report, lang)).write_pdf()
    return document
