"""Texts an analyst wrote into a pathway (form titles and options, task names, instructions), shown in the
reader's language.

They are authored in English and extracted into the catalog by `forms.babel_extract` and
`webui.babel_bpmn`, so translating them is an ordinary gettext look-up by the text itself. A text the
catalog does not know yet (an analyst's new form, before the translators saw it) simply shows as written.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel.speaklater import LazyString
from markupsafe import escape


class AuthoredText(LazyString):
    """Lazy like `lazy_gettext`, so a form class built once serves every locale.

    Unlike an `_l()` message (written by us, trusted), an authored text is not HTML: flask_babel's
    LazyString hands itself to Jinja and WTForms as ready-made HTML, so `__html__` escapes it here.
    """

    def __html__(self) -> str:
        return str(escape(str(self)))


def translated(text: Any) -> Any:
    """The text in the current locale now, as a plain str (for flashes, JSON, cache keys)."""
    # gettext("") would return the catalog's header, and non-texts are not ours to translate.
    if not isinstance(text, str) or not text.strip():
        return text
    return gettext(text)


def authored(text: Any) -> Any:
    """A lazy translation of the text; anything but a non-empty str comes back unchanged."""
    if not isinstance(text, str) or not text.strip():
        return text
    return AuthoredText(translated, text)
