"""Time zones as people read them, and the one display rule for times (issue 16).

The rule: an appointment's time (a consultation, a ticket, a class) is shown in the institution's zone,
the zone named when it differs from the reader's; every other time (the journal, a task's due date, a
mail's sending time) in the reader's own zone. "UTC" is never shown to a patient: zones are named by
their city in the reader's language with the offset, «Москва (UTC+3)».

The names live here in both languages rather than in the catalogs: mail contexts and slot labels are
made in the engine, where no translation runs.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from engine.clock import now

DEFAULT_ZONE = "Europe/Moscow"
# zone -> (English, Russian) city; the profile offers exactly these.
ZONE_NAMES: dict[str, tuple[str, str]] = {
    "Europe/Kaliningrad": ("Kaliningrad", "Калининград"),
    "Europe/Moscow": ("Moscow", "Москва"),
    "Europe/Samara": ("Samara", "Самара"),
    "Asia/Yekaterinburg": ("Yekaterinburg", "Екатеринбург"),
    "Asia/Omsk": ("Omsk", "Омск"),
    "Asia/Novosibirsk": ("Novosibirsk", "Новосибирск"),
    "Asia/Krasnoyarsk": ("Krasnoyarsk", "Красноярск"),
    "Asia/Irkutsk": ("Irkutsk", "Иркутск"),
    "Asia/Yakutsk": ("Yakutsk", "Якутск"),
    "Asia/Vladivostok": ("Vladivostok", "Владивосток"),
    "Asia/Magadan": ("Magadan", "Магадан"),
    "Asia/Kamchatka": ("Petropavlovsk-Kamchatsky", "Петропавловск-Камчатский"),
}


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (KeyError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def offset(zone: ZoneInfo, at: datetime | None = None) -> str:
    """"UTC+3", "UTC+5:30", "UTC" for zero."""
    delta = (at or now()).astimezone(zone).utcoffset()
    minutes = int(delta.total_seconds() // 60) if delta is not None else 0
    if minutes == 0:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "-"), abs(minutes)
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")


def zone_label(name: str | None, locale: str = "ru", at: datetime | None = None) -> str:
    """«Москва (UTC+3)» / "Moscow (UTC+3)"; a zone outside the list by its own last part."""
    zone = zone_of(name)
    english, russian = ZONE_NAMES.get(zone.key, (zone.key.rsplit("/", 1)[-1].replace("_", " "),) * 2)
    return f"{russian if locale == 'ru' else english} ({offset(zone, at)})"


def same_offset(first: str | None, second: str | None, at: datetime | None = None) -> bool:
    moment = at or now()
    return moment.astimezone(zone_of(first)).utcoffset() == moment.astimezone(zone_of(second)).utcoffset()


def appointment_label(moment: datetime, institution_zone: str | None, reader_zone: str | None,
                      locale: str = "ru", fmt: str = "%d.%m.%Y %H:%M") -> str:
    """An appointment's time for mails and slot lists: "07.12.2026 20:06", and the institution's zone
    named when the reader's differs: "07.12.2026 20:06 (Екатеринбург, UTC+5)". `fmt` "%H:%M" for a time
    on the appointment's own clock, such as the end of a ticket's hold."""
    local = moment.astimezone(zone_of(institution_zone))
    text = local.strftime(fmt)
    if reader_zone is not None and same_offset(institution_zone, reader_zone, moment):
        return text
    return f"{text} ({zone_label(institution_zone, locale, moment).replace(' (', ', ').rstrip(')')})"
