"""Showing engine errors in the reader's language: the engine raises English msgids, we translate here."""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime, gettext

from engine.i18n import UserError


def user_message(error: UserError) -> str:
    # The msgid is a variable here; every such string is extracted where the engine marks it with N_.
    text = gettext(error.message)
    if not error.params:
        return text
    # A moment travels as a datetime and is shown in the reader's own zone (never as "UTC").
    params = {k: format_datetime(v, "short") if isinstance(v, datetime) else v for k, v in error.params.items()}
    return text % params
