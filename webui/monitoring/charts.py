"""Server-rendered SVG charts of a measurement over time with the doctor's thresholds: no script, so
they print, work without JavaScript and need nothing from a CDN."""

from __future__ import annotations

from datetime import date

from flask_babel import format_date, format_decimal, gettext
from markupsafe import Markup, escape

from engine.monitoring.history import Series
from engine.monitoring.models import PlanItem
from engine.numbers import PATTERN

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 12, 28
COLOURS = ("#0b5cab", "#1a7f37")
THRESHOLD = "#cf222e"
# Each value's thresholds are drawn in that value's colour with its own dash, and labelled at opposite
# ends of the chart, so the upper value's low line and the lower value's high line (90 and 90 for blood
# pressure) stay two lines one can tell apart; the legend under the chart names both.
THRESHOLD_DASHES = ("6 4", "2 3")


def _fmt(value: float) -> str:
    """«71,6» for a Russian reader, "71.6" for an English one."""
    return format_decimal(value, PATTERN)


def _range(low: float | None, high: float | None) -> str:
    """"90–140"; with one bound only, "up to 140" or "from 90" (never "…–140")."""
    if low is not None and high is not None:
        return f"{_fmt(low)}–{_fmt(high)}"
    if high is not None:
        return gettext("up to %(value)s", value=_fmt(high))
    return gettext("from %(value)s", value=_fmt(low)) if low is not None else ""


def threshold_ranges(item: PlanItem) -> list[str]:
    """The alert range of each value, "90–140" and "50–90" for blood pressure, as the heading shows them."""
    ranges = []
    if item.alert_low is not None or item.alert_high is not None:
        ranges.append(_range(item.alert_low, item.alert_high))
    if item.alert_low2 is not None or item.alert_high2 is not None:
        ranges.append(_range(item.alert_low2, item.alert_high2))
    return ranges


def two_values(series: Series) -> bool:
    return any(b is not None for _, _, b in series.points) or series.item.alert_low2 is not None \
        or series.item.alert_high2 is not None


def chart_svg(series: Series, since: date, until: date) -> Markup:
    item = series.item
    values = [v for _, a, b in series.points for v in (a, b) if v is not None]
    thresholds = [t for t in (item.alert_low, item.alert_high, item.alert_low2, item.alert_high2) if t is not None]
    low, high = min(values + thresholds), max(values + thresholds)
    pad = (high - low) * 0.1 or 1
    low, high = low - pad, high + pad
    span = max((until - since).days, 1)

    def x(day: date) -> float:
        return LEFT + (day - since).days / span * (WIDTH - LEFT - RIGHT)

    def y(value: float) -> float:
        return TOP + (high - value) / (high - low) * (HEIGHT - TOP - BOTTOM)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="cp-chart" '
             f'aria-label="{escape(item.title)}">',
             f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}" '
             'fill="#f6f8fa" stroke="#d0d7de"/>']
    for tick in (low + pad, (low + high) / 2, high - pad):
        parts.append(f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="#57606a">{_fmt(round(tick, 1))}</text>')
    for label_day in (since, until):
        anchor = "start" if label_day == since else "end"
        parts.append(f'<text x="{x(label_day):.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}" font-size="11" '
                     f'fill="#57606a">{label_day.strftime("%d.%m")}</text>')
    for index, pair in enumerate(((item.alert_low, item.alert_high), (item.alert_low2, item.alert_high2))):
        colour, dash = COLOURS[index], THRESHOLD_DASHES[index]
        label_x, anchor = (WIDTH - RIGHT - 4, "end") if index == 0 else (LEFT + 4, "start")
        for threshold in (t for t in pair if t is not None):
            parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(threshold):.1f}" y2="{y(threshold):.1f}" '
                         f'stroke="{colour}" stroke-dasharray="{dash}" class="cp-threshold cp-threshold-{index + 1}"/>'
                         f'<text x="{label_x}" y="{y(threshold) - 4:.1f}" text-anchor="{anchor}" font-size="11" '
                         f'fill="{colour}">{_fmt(threshold)}</text>')
    for index in (0, 1):
        points = [(day, (a, b)[index]) for day, a, b in series.points if (a, b)[index] is not None]
        if not points:
            continue
        colour = COLOURS[index]
        path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for day, value in points:
            beyond = any((lo is not None and value < lo) or (hi is not None and value > hi)
                         for lo, hi in ((item.alert_low, item.alert_high),) if index == 0) or any(
                (lo is not None and value < lo) or (hi is not None and value > hi)
                for lo, hi in ((item.alert_low2, item.alert_high2),) if index == 1)
            parts.append(f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="{5 if beyond else 3.5}" '
                         f'fill="{THRESHOLD if beyond else colour}" class="cp-point{" cp-beyond" if beyond else ""}">'
                         f'<title>{format_date(day)}: {_fmt(value)} {escape(gettext(item.unit))}</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))
