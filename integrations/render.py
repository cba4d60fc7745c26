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
from functools import cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from integrations.base import RenderedMessage

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Read from disk rather than imported: integrations never import webui.
TRANSLATIONS = Path(__file__).resolve().parents[1] / "webui" / "translations"
DOMAIN = "messages"
CHANNEL_FOLDERS = {"email": "mail", "sms": "sms"}


def load_translations(locale: str) -> NullTranslations:
    """The catalog for a locale; an empty one (English msgids) when it has not been compiled."""
    return Translations.load(dirname=str(TRANSLATIONS), locales=[locale], domain=DOMAIN)


def make_environment(translations: NullTranslations) -> Environment:
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
    return env


@cache
def _environment(locale: str) -> Environment:
    # One environment per locale for the life of the process: compiled templates are cached in it.
    return make_environment(load_translations(locale))


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
    env = _environment(locale) if translations is None else make_environment(translations)
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
