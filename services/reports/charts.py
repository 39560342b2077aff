"""Bar charts drawn on the server as SVG: the HTML and the PDF carry them inline, with no script,
no network and no chart library (a PDF renderer runs no JavaScript, and a report must print).

Horizontal bars, one row per label, a value written beside each bar; a stacked chart splits each
bar by series (participants by sex). Pure functions from figures to text.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

COLOURS = ("#2b5f8a", "#e07b39", "#4c9a5b", "#b24a6e", "#7a62b3", "#c4a23a", "#3a9fb0")
WIDTH = 640
LABEL_WIDTH = 250
ROW = 24
BAR = 16
TOP = 8
LEGEND = 22
FONT = "font-family='DejaVu Sans, system-ui, sans-serif' font-size='11'"


def bar_chart(title: str, bars: Sequence[tuple[str, int]], colour: str = COLOURS[0]) -> str:
    """One bar per ``(label, value)``."""
    return stacked_chart(title, [label for label, _ in bars], [("", [v for _, v in bars], colour)])


def stacked_chart(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[int], str]]
) -> str:
    """One bar per label, split into ``series`` of ``(name, values, colour)``; a legend names
    the series when there are several."""
    totals = [sum(values[i] for _, values, _ in series) for i in range(len(labels))]
    top = max(totals, default=0) or 1
    span = WIDTH - LABEL_WIDTH - 60  # room for the value written beside the longest bar
    legend = len(series) > 1
    height = TOP * 2 + ROW * len(labels) + (LEGEND if legend else 0)
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' class='chart' role='img' width='{WIDTH}' "
        f"height='{height}' viewBox='0 0 {WIDTH} {height}'><title>{escape(title)}</title>"
    ]
    for i, label in enumerate(labels):
        y = TOP + i * ROW
        parts.append(
            f"<text x='{LABEL_WIDTH - 8}' y='{y + BAR - 3}' text-anchor='end' {FONT}>"
            f"{escape(label)}</text>"
        )
        x = float(LABEL_WIDTH)
        for _, values, colour in series:
            width = values[i] / top * span
            if width > 0:
                parts.append(
                    f"<rect x='{x:.1f}' y='{y}' width='{width:.1f}' height='{BAR}' "
                    f"fill='{colour}'/>"
                )
            x += width
        parts.append(f"<text x='{x + 5:.1f}' y='{y + BAR - 3}' {FONT}>{totals[i]}</text>")
    if legend:
        parts.extend(_legend(series, TOP + ROW * len(labels) + 6))
    parts.append("</svg>")
    return "".join(parts)


def _legend(series: Sequence[tuple[str, Sequence[int], str]], y: int) -> list[str]:
    parts, x = [], LABEL_WIDTH
    for name, _, colour in series:
        parts.append(f"<rect x='{x}' y='{y}' width='10' height='10' fill='{colour}'/>")
        parts.append(f"<text x='{x + 14}' y='{y + 9}' {FONT}>{escape(name)}</text>")
        x += 24 + 7 * len(name)
    return parts
