"""Server-rendered SVG charts of a measurement over time with the doctor's thresholds: no script, so
they print, work without JavaScript and need nothing from a CDN."""

from __future__ import annotations

from datetime import date

from flask_babel import format_date, gettext
from markupsafe import Markup, escape

from engine.monitoring.history import Series

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 12, 28
COLOURS = ("#0b5cab", "#1a7f37")
THRESHOLD = "#cf222e"


def _fmt(value: float) -> str:
    return f"{value:g}"


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
    for threshold in thresholds:
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(threshold):.1f}" y2="{y(threshold):.1f}" '
                     f'stroke="{THRESHOLD}" stroke-dasharray="6 4" class="cp-threshold"/>'
                     f'<text x="{WIDTH - RIGHT - 4}" y="{y(threshold) - 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="{THRESHOLD}">{_fmt(threshold)}</text>')
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
