"""Charts drawn on the server as SVG: no script, no CDN, nothing for the Content-Security-Policy
to refuse. Each chart is an image with a text alternative (role="img" and aria-label, a
<title>); pages put the same figures in a table beside it for screen readers and for reading
exact values. The drawing is small and wide-set so that it stays readable on a phone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Okabe–Ito: told apart also by people with colour-blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

# Small and with large type: on a phone the drawing is shown about 350 px wide.
WIDTH, HEIGHT = 460, 230
LEFT, RIGHT, TOP, BOTTOM = 50, 6, 10, 26


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    values: Sequence[int]


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def short_number(value: int) -> str:
    """1 234 567 → "1,2M"; the axis keeps labels short (the table has exact figures)."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if value >= size:
            text = f"{value / size:.1f}".rstrip("0").rstrip(".").replace(".", ",")
            return f"{sign}{text}{suffix}"
    return f"{sign}{value}"


def _nice_top(value: int) -> int:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * magnitude)
        if top >= value:
            return top
    return 10 * magnitude


def stacked_bars(
    *, labels: Sequence[str], series: Sequence[Series], title: str, summary: str
) -> SafeString:
    """Vertical bars, one per label (a day), stacked by series (channels). `summary` is the
    text alternative (what the chart says, in one sentence)."""
    count = max(len(labels), 1)
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = _nice_top(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / count
    bar = max(slot * 0.72, 1)
    parts = [
        f'<svg class="report-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(summary)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        value = top * i // 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#dee2e6" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="13" '
            f'fill="#6c757d">{escape(short_number(value))}</text>'
        )
    every = max(count // 4, 1)
    for i, label in enumerate(labels):
        x = LEFT + slot * i + (slot - bar) / 2
        base = TOP + plot_h
        for index, s in enumerate(series):
            value = s.values[i]
            if value <= 0:
                continue
            h = plot_h * value / top
            base -= h
            exact = f"{value:,}".replace(",", ".")
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{color(index)}"><title>{escape(label)} · {escape(s.label)}: '
                f"{exact}</title></rect>"
            )
        if i % every == 0 or i == count - 1:
            parts.append(
                f'<text x="{LEFT + slot * i + slot / 2:.1f}" y="{HEIGHT - 8}" '
                f'text-anchor="middle" font-size="13" fill="#6c757d">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped


def horizontal_bars(
    *, rows: Sequence[tuple[str, int]], title: str, summary: str, value_label=short_number
) -> SafeString:
    """One bar per row (label, value), largest first as given; the value is written beside
    the bar."""
    rows = list(rows)[:12]
    line = 26
    height = max(len(rows), 1) * line + 8
    top = max((v for _l, v in rows), default=0) or 1
    label_w, value_w = 160, 80
    plot_w = WIDTH - label_w - value_w
    parts = [
        f'<svg class="report-chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(summary)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(rows):
        y = 4 + i * line
        w = max(plot_w * max(value, 0) / top, 0)
        text = label if len(label) <= 22 else label[:21] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="13" '
            f'fill="#212529">{escape(text)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{line - 8}" '
            f'fill="{color(i)}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" font-size="12" fill="#495057">'
            f"{escape(value_label(value))}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped
