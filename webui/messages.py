"""Showing engine errors in the reader's language: the engine raises English msgids, we translate here."""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime, gettext

from engine.i18n import UserError, decode_message


def user_message(error: UserError) -> str:
    # The msgid is a variable here; every such string is extracted where the engine marks it with N_.
    text = gettext(error.message)
    if not error.params:
        return text
    # A moment travels as a datetime and is shown in the reader's own zone (never as "UTC"); a text
    # parameter may itself be a msgid (an item's title, a unit: "Blood pressure: enter a number."), and
    # anything not in the catalog (a name, a number) comes back unchanged.
    params = {
        key: format_datetime(value, "short") if isinstance(value, datetime)
        else gettext(value) if isinstance(value, str) and value.strip() else value
        for key, value in error.params.items()
    }
    return text % params


def stored_message(text: str | None) -> str:
    """A message the engine kept in the database (an instance's error): coded ones (engine.i18n
    coded_message) are translated for the reader, plain text is shown as it is."""
    coded = decode_message(text)
    if coded is None:
        return text or ""
    message, params = coded
    # Parameters may be msgids themselves (a step's name in the diagram), lists of them (the steps an
    # instance now waits at), or coded messages (a migration refusal's reasons).
    params = {key: _param(value) for key, value in (params or {}).items()}
    translated = gettext(message)
    try:
        return translated % params if params else translated
    except (KeyError, ValueError, TypeError):
        return message % params if params else message


def _param(value: object) -> object:
    if isinstance(value, list):
        parts = [_param(v) for v in value]
        coded = any(decode_message(v) is not None for v in value if isinstance(v, str))
        return (" " if coded else ", ").join(str(p) for p in parts) or "—"
    if isinstance(value, str) and decode_message(value) is not None:
        return stored_message(value)
    if isinstance(value, str) and value.strip():
        return gettext(value)
    return value
