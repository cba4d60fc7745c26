"""Durations on the dashboard in one unit per chart, in the reader's words: hours ("5 h", «5 ч») for
short steps, days where the values or the targets reach days (a review due in 3 days is read in days)."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import format_decimal
from flask_babel import gettext as _

HOURS, DAYS = "h", "d"
DAYS_FROM_HOURS = 48  # from two days on, a person counts in days


def unit_for(hours: Iterable[float | None]) -> str:
    values = [h for h in hours if h is not None]
    return DAYS if values and max(values) >= DAYS_FROM_HOURS else HOURS


def in_unit(hours: float | None, unit: str) -> str:
    if hours is None:
        return "—"
    if unit == DAYS:
        if hours > 0 and round(hours / 24, 1) == 0:  # an hour's step in a chart of days: not "0 d" (nothing)
            return _("under %(n)s d", n=format_decimal(0.1, "#,##0.#"))
        return _("%(n)s d", n=format_decimal(round(hours / 24, 1), "#,##0.#"))
    return _("%(n)s h", n=format_decimal(hours, "#,##0.#"))

