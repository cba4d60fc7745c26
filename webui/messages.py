"""Showing engine errors in the reader's language: the engine raises English msgids, we translate here."""

from __future__ import annotations

from flask_babel import gettext

from engine.i18n import UserError


def user_message(error: UserError) -> str:
    # The msgid is a variable here; every such string is extracted where the engine marks it with N_.
    text = gettext(error.message)
    return text % error.params if error.params else text
