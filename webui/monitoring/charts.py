"""Server-rendered SVG charts of a measurement over time with the doctor's thresholds: no script, so
they print, work without JavaScript and need nothing from a CDN."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date, format_decimal, gettext
from markupsafe import Markup, escape

from engine.monitoring.history import Series
from engine.monitoring.models import PlanItem
from engine.numbers import PATTERN


@dataclass(frozen=True)
class Frame:
    """A drawing's size and margins in its own units, and its labels' font size in those units."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    font: int
    name: str


# Two drawings of each chart, one shown by the stylesheet (monitoring.css): an SVG scales its labels with
# it, so the 640-wide drawing on a 360-px phone would have 5-px labels. The narrow one is drawn about as
# wide as a phone's screen, with bigger labels, so it is read at its own size there.
WIDE = Frame(640, 200, 48, 16, 12, 28, 11, "wide")
NARROW = Frame(340, 230, 46, 10, 16, 30, 13, "narrow")
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


def _beyond(item: PlanItem, index: int, value: float) -> bool:
    """Whether the first (index 0) or second value of a measurement is outside its alert thresholds."""
    low, high = (item.alert_low, item.alert_high) if index == 0 else (item.alert_low2, item.alert_high2)
    return (low is not None and value < low) or (high is not None and value > high)


def any_beyond(series: Series) -> bool:
    """Whether the chart draws a red point, so its legend names one only then."""
    return any(value is not None and _beyond(series.item, index, value)
               for _, a, b in series.points for index, value in enumerate((a, b)))


def chart_start(series: Series, since: date, until: date, plan_start: date | None) -> date:
    """The first day of the chart's x-range: the default window's start, or the plan's start (or, without
    one, the first value) when that is later, so a plan of a few days is not squeezed into the right edge.
    At least one day before the last, so the range has a width."""
    first = plan_start if plan_start is not None else min(day for day, _, _ in series.points)
    return min(max(since, first), until - timedelta(days=1))


def chart_svg(series: Series, since: date, until: date) -> Markup:
    """The wide and the narrow drawing of one chart; the stylesheet shows the one that fits the screen."""
    return Markup("").join(_drawing(series, since, until, frame) for frame in (WIDE, NARROW))


def _drawing(series: Series, since: date, until: date, frame: Frame) -> Markup:
    item = series.item
    width, height, font = frame.width, frame.height, frame.font
    left, right, top, bottom = frame.left, frame.right, frame.top, frame.bottom
    values = [v for _, a, b in series.points for v in (a, b) if v is not None]
    thresholds = [t for t in (item.alert_low, item.alert_high, item.alert_low2, item.alert_high2) if t is not None]
    low, high = min(values + thresholds), max(values + thresholds)
    pad = (high - low) * 0.1 or 1
    low, high = low - pad, high + pad
    span = max((until - since).days, 1)

    def x(day: date) -> float:
        return left + (day - since).days / span * (width - left - right)

    def y(value: float) -> float:
        return top + (high - value) / (high - low) * (height - top - bottom)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'class="cp-chart cp-chart-{frame.name}" aria-label="{escape(item.title)}">',
             f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" '
             'fill="#f6f8fa" stroke="#d0d7de"/>']
    for tick in (low + pad, (low + high) / 2, high - pad):
        parts.append(f'<text x="{left - 6}" y="{y(tick) + font / 3:.1f}" text-anchor="end" font-size="{font}" '
                     f'fill="#57606a">{_fmt(round(tick, 1))}</text>')
    for label_day in (since, until):
        anchor = "start" if label_day == since else "end"
        parts.append(f'<text x="{x(label_day):.1f}" y="{height - 8}" text-anchor="{anchor}" font-size="{font}" '
                     f'fill="#57606a">{escape(format_date(label_day, "d MMM"))}</text>')
    labels = []  # the thresholds' numbers, drawn last so that no measured line runs over them
    for index, pair in enumerate(((item.alert_low, item.alert_high), (item.alert_low2, item.alert_high2))):
        colour, dash = COLOURS[index], THRESHOLD_DASHES[index]
        label_x, anchor = (width - right - 4, "end") if index == 0 else (left + 4, "start")
        for threshold in (t for t in pair if t is not None):
            parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(threshold):.1f}" y2="{y(threshold):.1f}" '
                         f'stroke="{colour}" stroke-dasharray="{dash}" class="cp-threshold cp-threshold-{index + 1}"/>')
            labels.append(f'<text x="{label_x}" y="{y(threshold) - 4:.1f}" text-anchor="{anchor}" font-size="{font}" '
                          f'fill="{colour}" class="cp-threshold-label">{_fmt(threshold)}</text>')
    for index in (0, 1):
        points = [(day, (a, b)[index]) for day, a, b in series.points if (a, b)[index] is not None]
        if not points:
            continue
        colour = COLOURS[index]
        path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for day, value in points:
            beyond = _beyond(item, index, value)
            parts.append(f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="{5 if beyond else 3.5}" '
                         f'fill="{THRESHOLD if beyond else colour}" class="cp-point{" cp-beyond" if beyond else ""}">'
                         f'<title>{format_date(day)}: {_fmt(value)} {escape(gettext(item.unit))}</title></circle>')
    parts.extend(labels)
    parts.append("</svg>")
    return Markup("".join(parts))
