"""The one rule for showing times on pages (engine.timezones): an appointment in its institution's zone,
that zone named when it differs from the reader's; everything else in the reader's zone (Flask-Babel's
`datetimeformat`, whose zone is the profile's, see extensions.select_timezone); never "UTC" to a patient."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, g
from flask_babel import format_datetime, get_locale
from flask_login import current_user

from engine.accounts.models import User
from engine.consultations.centers import institution_zone
from engine.timezones import DEFAULT_ZONE, same_offset, zone_label, zone_of
from webui.db import db


def reader() -> tuple[str, str]:
    """(time zone, locale) of the person reading the page."""
    zone = getattr(current_user, "timezone", None) if getattr(current_user, "is_authenticated", False) else None
    return zone or DEFAULT_ZONE, str(get_locale() or "ru")


def appointment_time(value: datetime | None, where: str | int | None, fmt: str = "short") -> str:
    """`where`: the institution's zone name, or its id. "07.12.2026, 20:06 (Екатеринбург, UTC+5)" for a
    reader in Moscow; no zone for a reader in the same zone."""
    if value is None:
        return "—"
    zone = where if isinstance(where, str) else _zone_of_institution(where)
    mine, locale = reader()
    text = format_datetime(value.astimezone(zone_of(zone)), fmt, rebase=False)
    if same_offset(zone, mine, value):
        return text
    return f"{text} ({zone_words(zone, value)})"


def zone_words(zone: str | None, at: datetime | None = None) -> str:
    """A zone as it stands in brackets after a time or in a label: «Москва, UTC+3», never "Europe/Moscow"."""
    return zone_label(zone, reader()[1], at).replace(" (", ", ").rstrip(")")


def other_zone(zone: str | None, at: datetime | None = None) -> str | None:
    """The words for a clinic's zone when a list of bare times ("13:00") is on that clock and the reader's
    differs; None when the reader is on the same clock. The rule appointment_time applies to one time."""
    if same_offset(zone, reader()[0], at):
        return None
    return zone_words(zone, at)


def class_time(value: datetime | None, instructor_id: int | None, fmt: str = "short") -> str:
    """An online class has no institution: it is an appointment on its instructor's clock."""
    cache = g.setdefault("user_zones", {})
    if instructor_id not in cache:
        instructor = db().get(User, instructor_id) if instructor_id else None
        cache[instructor_id] = (instructor.timezone if instructor is not None else None) or DEFAULT_ZONE
    return appointment_time(value, cache[instructor_id], fmt)


def _zone_of_institution(institution_id: int | None) -> str:
    cache = g.setdefault("institution_zones", {})
    if institution_id not in cache:
        cache[institution_id] = institution_zone(db(), institution_id)
    return cache[institution_id]


def register(app: Flask) -> None:
    app.add_template_filter(appointment_time, "apptime")
    app.add_template_filter(class_time, "classtime")

    @app.context_processor
    def zone_names() -> dict[str, Any]:
        return {"zone_label": lambda name: zone_label(name, reader()[1]), "zone_words": zone_words,
                "other_zone": other_zone}
