"""Small charts drawn on the server as SVG: no JavaScript, nothing fetched, readable in any browser.

Every chart has a title and a description for screen readers, and pages print the same numbers in a
table next to it; a missing figure (None) leaves a gap instead of dropping the line to zero.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

WIDTH = 320
HEIGHT = 110
PAD_LEFT = 34
PAD_BOTTOM = 18
PAD_TOP = 8
PAD_RIGHT = 6


def _scale(values: Sequence[float | None], floor: float | None) -> tuple[float, float]:
    present = [v for v in values if v is not None]
    low = floor if floor is not None else (min(present) if present else 0.0)
    high = max(present) if present else 1.0
    if high <= low:
        high = low + 1.0
    return low, high


def line_chart(
    values: Sequence[float | None],
    labels: Sequence[str],
    *,
    title: str,
    floor: float | None = 0.0,
    ceiling_label: str = "",
) -> SafeString:
    """A line over ``values`` (one per label), gaps where a value is None; the axis starts at ``floor``."""
    low, high = _scale(values, floor)
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / max(1, len(values) - 1)

    def x(i: int) -> float:
        return PAD_LEFT + i * step

    def y(v: float) -> float:
        return PAD_TOP + plot_h - (v - low) / (high - low) * plot_h

    segments: list[list[tuple[float, float]]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append((x(i), y(value)))
    lines = format_html_join(
        "",
        '<polyline fill="none" stroke="currentColor" stroke-width="2" points="{}"/>',
        ((" ".join(f"{px:.1f},{py:.1f}" for px, py in seg),) for seg in segments if seg),
    )
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="2.5" fill="currentColor"><title>{}</title></circle>',
        ((f"{x(i):.1f}", f"{y(v):.1f}", _point(labels[i], v)) for i, v in enumerate(values) if v is not None),
    )
    ticks = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="9" text-anchor="middle">{}</text>',
        ((f"{x(i):.1f}", HEIGHT - 4, labels[i]) for i in range(0, len(labels), max(1, len(labels) // 4))),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="{id}-t {id}-d">'
        '<title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>'
        '<line x1="{pl}" y1="{base}" x2="{right}" y2="{base}" stroke="#adb5bd"/>'
        '<text x="2" y="{top}" font-size="9">{hi}</text><text x="2" y="{base}" font-size="9">{lo}</text>'
        "{lines}{dots}{ticks}</svg>",
        w=WIDTH,
        h=HEIGHT,
        id=_slug(title),
        title=title,
        desc=", ".join(_point(label, v) for label, v in zip(labels, values, strict=True)),
        pl=PAD_LEFT,
        base=PAD_TOP + plot_h,
        right=WIDTH - PAD_RIGHT,
        top=PAD_TOP + 6,
        hi=ceiling_label or _number(high),
        lo=_number(low),
        lines=lines,
        dots=dots,
        ticks=ticks,
    )


def bar_chart(values: Sequence[int], labels: Sequence[str], *, title: str) -> SafeString:
    """Horizontal bars, one per label, with the count at the end of each."""
    top = max(values, default=0) or 1
    row = 18
    height = row * len(values) + 4
    label_w = 110
    bar_w = WIDTH - label_w - 40
    bars = format_html_join(
        "",
        '<text x="0" y="{ty}" font-size="10">{label}</text>'
        '<rect x="{x}" y="{y}" width="{w}" height="12" fill="currentColor" opacity=".75"/>'
        '<text x="{tx}" y="{ty}" font-size="10">{n}</text>',
        (
            {
                "ty": i * row + 12,
                "label": label[:18],
                "x": label_w,
                "y": i * row + 2,
                "w": f"{bar_w * n / top:.1f}",
                "tx": f"{label_w + bar_w * n / top + 4:.1f}",
                "n": n,
            }
            for i, (label, n) in enumerate(zip(labels, values, strict=True))
        ),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="{id}-t">'
        '<title id="{id}-t">{title}</title>{bars}</svg>',
        w=WIDTH,
        h=height,
        id=_slug(title),
        title=title,
        bars=bars,
    )


def _point(label: str, value: float | None) -> str:
    """One point of a chart as a screen reader says it: "07 Sep: 92"."""
    # Translators: one point of a chart, e.g. "07 Sep: 92" (a week and its figure).
    return gettext("%(label)s: %(value)s") % {"label": label, "value": _number(value)}


def _number(value: float | None) -> str:
    if value is None:
        # Translators: a chart's point where nothing was measured.
        return gettext("no figure")
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _slug(text: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in text.lower())[:40]
