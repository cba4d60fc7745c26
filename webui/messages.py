"""Showing engine errors in the reader's language: the engine raises English msgids, we translate here."""

from __future__ import annotations

from flask_babel import gettext

from engine.i18n import UserError


def user_message(error: UserError) -> str:
    # The msgid is a variable here; every such string is extracted where the engine marks it with N_.
    text = gettext(error.message)
    if not error.params:
        return text
    # A text parameter may itself be a msgid (an item's title, a unit: "Blood pressure: enter a number.");
    # anything not in the catalog (a name, a number) comes back unchanged.
    params = {key: gettext(value) if isinstance(value, str) and value.strip() else value
              for key, value in error.params.items()}
    return text % params
