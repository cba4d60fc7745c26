"""The terminal's language for the `carepath` commands: what they print about a person's files (deploy's
and sync's problems) is said in it, as gettext programs do: LC_ALL, else LC_MESSAGES, else LANG
("ru_RU.UTF-8" -> Russian); anything else, or C/POSIX, is English."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import force_locale

from engine.config import LOCALES

FALLBACK = "en"


def terminal_locale(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:  # the first one set decides, as in setlocale(3)
            language = value.split(".")[0].split("@")[0].split("_")[0].lower()
            return language if language in LOCALES else FALLBACK
    return FALLBACK


@contextmanager
def terminal_language() -> Iterator[str]:
    """Inside the app context of a command: gettext answers in the terminal's language."""
    locale = terminal_locale()
    with force_locale(locale):
        yield locale
