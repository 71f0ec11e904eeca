"""Small server-rendered SVG charts for the staff page (pure, no JavaScript)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#1b6ec2", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # rates in 0..1, None = no data


def line_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], width: int = 640, height: int = 240
) -> str:
    """A line chart of rates (0–100%) over `labels` (months), one line per series."""
    left, right, top, bottom = 44, 32, 28, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(labels) - 1)

    def point(i: int, value: float) -> tuple[float, float]:
        return left + i * step, top + plot_h * (1 - value)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart">',
        f'<text x="{left}" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for pct in (0, 50, 100):
        y = top + plot_h * (1 - pct / 100)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        parts.append(f'<text x="4" y="{y + 4:.1f}" font-size="11">{pct}%</text>')
    for i, label in enumerate(labels):
        parts.append(
            f'<text x="{left + i * step:.1f}" y="{height - 26}" font-size="11" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    for index, line in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        points = [point(i, v) for i, v in enumerate(line.values) if v is not None]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
            parts.extend(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points
            )
        legend_x = left + index * 150
        parts.append(
            f'<text x="{legend_x}" y="{height - 6}" font-size="11" fill="{colour}">'
            f"■ {escape(line.name)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(title: str, rows: Sequence[tuple[str, float | None]], width: int = 640) -> str:
    """Horizontal bars of one rate (0–100%) per label (unit or procedure)."""
    bar_h, left, top = 20, 180, 28
    height = top + bar_h * len(rows) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart">',
        f'<text x="4" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(rows):
        y = top + i * bar_h
        length = (width - left - 60) * (value or 0)
        shown = "–" if value is None else f"{value * 100:.0f}%"
        parts.append(f'<text x="4" y="{y + 14}" font-size="12">{escape(label)}</text>')
        bar = f'x="{left}" y="{y + 3}" width="{length:.1f}" height="{bar_h - 6}"'
        parts.append(f'<rect {bar} fill="#1b6ec2"/>')
        parts.append(
            f'<text x="{left + length + 6:.1f}" y="{y + 14}" font-size="12">{shown}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
