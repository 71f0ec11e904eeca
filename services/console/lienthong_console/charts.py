"""Server-rendered SVG charts (no JavaScript): lines over time, horizontal bars of rates.

Colours come from CSS variables, so the charts follow the page's light or dark theme."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

COLOURS = ("var(--c1)", "var(--c2)", "var(--c3)", "var(--c4)", "var(--c5)", "var(--c6)")
_LEGEND_ENTRY, _LEGEND_ROW = 160, 16  # width of one legend entry, height of a legend row


@dataclass(frozen=True)
class Line:
    name: str
    points: Sequence[float | None]  # one per label; None = no data


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def lines(
    title: str,
    labels: Sequence[str],
    series: Sequence[Line],
    *,
    unit: str = "",
    ceiling: float | None = None,
    width: int = 720,
    height: int = 240,
) -> str:
    """A line chart of `series` over `labels`, its y axis from 0 to `ceiling` (e.g. 100 for
    percentages), else to a round maximum of the values."""
    left, right, top, bottom = 52, 16, 30, 54
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.points if v is not None]
    ceiling = ceiling or _nice_max(max(values, default=0))
    step = plot_w / max(1, len(labels) - 1)
    # The legend wraps (a full system has six consumer groups): one row holds what fits.
    # An entry is as wide as the longest name needs (~6.5 px a character at 11 px).
    entry = max(_LEGEND_ENTRY, 28 + int(6.5 * max((len(s.name) for s in series), default=0)))
    entry = min(entry, width - left)
    per_row = max(1, (width - left) // entry)
    legend_rows = max(1, -(-len(series) // per_row))
    total = height + _LEGEND_ROW * (legend_rows - 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {total}" role="img" '
        f'class="chart" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<text x="{left}" y="18" class="chart-title">{escape(title)}</text>',
    ]
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" class="grid"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">'
            f"{_number(ceiling * fraction)}{escape(unit)}</text>"
        )
    every = max(1, len(labels) // 8)
    last = len(labels) - 1
    for i, label in enumerate(labels):
        # Every `every`-th label and the last, which ends at the plot's edge; one too close
        # before the last gives way to it.
        if i == last or (i % every == 0 and last - i >= every / 2):
            x = left + i * step
            anchor = "end" if i == last and last > 0 else "middle"
            out.append(
                f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="{anchor}" '
                f'class="axis">{escape(label)}</text>'
            )
    for index, line in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        points = [
            f"{left + i * step:.1f},{top + plot_h * (1 - v / ceiling):.1f}"
            for i, v in enumerate(line.points)
            if v is not None
        ]
        if points:
            out.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                f'points="{" ".join(points)}"><title>{escape(line.name)}</title></polyline>'
            )
        y = height - 12 + _LEGEND_ROW * (index // per_row)
        x = left + (index % per_row) * entry
        out.append(f'<rect x="{x}" y="{y - 9}" width="12" height="4" fill="{colour}"/>')
        out.append(f'<text x="{x + 16}" y="{y - 4}" class="axis">{escape(line.name)}</text>')
    out.append("</svg>")
    return "".join(out)


def rate_bars(title: str, rows: Sequence[tuple[str, float | None, str]], width: int = 720) -> str:
    """Horizontal bars of rates in 0..1, one per (label, rate, note) row."""
    left, right, top, bar, gap = 150, 90, 30, 16, 6
    height = top + len(rows) * (bar + gap) + 10
    plot_w = width - left - right
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="chart" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<text x="4" y="18" class="chart-title">{escape(title)}</text>',
    ]
    for i, (label, rate, note) in enumerate(rows):
        y = top + i * (bar + gap)
        out.append(
            f'<text x="{left - 6}" y="{y + bar - 4}" text-anchor="end" class="axis">'
            f"{escape(label)}</text>"
        )
        out.append(f'<rect x="{left}" y="{y}" width="{plot_w}" height="{bar}" class="track"/>')
        if rate is not None:
            kind = "good" if rate >= 0.95 else "warn" if rate >= 0.8 else "bad"
            out.append(
                f'<rect x="{left}" y="{y}" width="{plot_w * rate:.1f}" height="{bar}" '
                f'class="bar {kind}"><title>{escape(label)}: {rate:.0%}</title></rect>'
            )
        shown = "–" if rate is None else f"{rate:.0%}"
        out.append(
            f'<text x="{left + plot_w + 6}" y="{y + bar - 4}" class="axis">'
            f"{shown} {escape(note)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
