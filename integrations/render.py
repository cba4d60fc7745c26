"""Turning an outbox row (kind, locale, context) into a subject, a text and an HTML body.

One template per kind serves both languages: the English text is the gettext msgid, translated from the
application's catalog (webui/translations, domain "messages") by Jinja's i18n extension. The subject is
the `subject` block of the text template, translated like everything else.

Strings are marked with `_()` and `ngettext()` (the i18n extension's functions, newstyle: always
%-formatted), which pybabel extracts with `[jinja2: integrations/templates/**.txt]` and `**.html` in
babel.cfg. The Russian strings for the lead's catalog are in webui/translations/ru/LC_MESSAGES/mail.po.part.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from engine.numbers import PATTERN, localized_numbers
from integrations.base import RenderedMessage

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Read from disk rather than imported: integrations never import webui.
TRANSLATIONS = Path(__file__).resolve().parents[1] / "webui" / "translations"
DOMAIN = "messages"
CHANNEL_FOLDERS = {"email": "mail", "sms": "sms"}


def load_translations(locale: str) -> NullTranslations:
    """The catalog for a locale; an empty one (English msgids) when it has not been compiled."""
    return Translations.load(dirname=str(TRANSLATIONS), locales=[locale], domain=DOMAIN)


def make_environment(translations: NullTranslations, locale: str = "en") -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        extensions=["jinja2.ext.i18n"],
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        # A context key missing from an outbox row is a bug to see in the attempt log, not a blank.
        undefined=StrictUndefined,
    )
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    # A value that is itself a msgid (a unit such as "%", an item's title): looked up, never %-formatted.
    env.filters["translate"] = lambda text: translations.gettext(text) if isinstance(text, str) and text else text
    # A measured value kept as text ("71.6", "168/96") written as the recipient writes numbers («71,6»).
    env.filters["number"] = lambda value: localized_numbers(
        value, lambda number: format_decimal(number, PATTERN, locale=locale))
    env.filters["date"] = lambda value: _long_date(value, locale)
    return env


def _long_date(value: Any, locale: str) -> str:
    """An ISO date from a context ("2026-12-07") as the recipient reads it: «7 декабря 2026 г.». A calendar
    day (the patient's day of a questionnaire) is the same day in every zone; other text stays as it is."""
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return format_date(day, "long", locale=locale)


@cache
def _environment(locale: str) -> Environment:
    # One environment per locale for the life of the process: compiled templates are cached in it.
    return make_environment(load_translations(locale), locale)


def render_message(
    kind: str,
    locale: str,
    context: Mapping[str, Any],
    *,
    to: str = "",
    channel: str = "email",
    translations: NullTranslations | None = None,
) -> RenderedMessage:
    """Render `<kind>.txt` (subject block + text) and, for email, `<kind>.html` in the shared layout.

    `translations` replaces the installed catalog (tests compile their own).
    """
    env = _environment(locale) if translations is None else make_environment(translations, locale)
    folder = CHANNEL_FOLDERS[channel]
    values = {**context, "locale": locale}
    text_template = env.get_template(f"{folder}/{kind}.txt")
    subject = _block(text_template, "subject", values)
    # Blank lines left by tags are folded, so text templates can stay readable.
    text = re.sub(r"\n{3,}", "\n\n", text_template.render(values)).strip() + "\n"
    html = ""
    if channel == "email":
        html = env.get_template(f"{folder}/{kind}.html").render({**values, "subject": subject})
    return RenderedMessage(subject=subject, text=text, html=html, to=to)


def _block(template: Template, name: str, values: Mapping[str, Any]) -> str:
    render = template.blocks.get(name)
    if render is None:
        return ""
    # Subjects are one line: a stray newline in a header would break the message.
    return " ".join("".join(render(template.new_context(dict(values)))).split())
