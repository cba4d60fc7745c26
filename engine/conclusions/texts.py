"""The telemedicine consent text (ИДС) per language and version.

The current text is `consent_texts/telemedicine.<locale>.md` with version CONSENT_VERSION. When the
text changes, the old file is kept as `telemedicine.<old version>.<locale>.md` and the version raised,
so a consent PDF produced later still prints exactly the text that was accepted (its hash is checked).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from engine.accounts.consent import ConsentText
from engine.config import LOCALES

TELEMEDICINE = "telemedicine"
CONSENT_VERSION = "2026-12"  # 2026-12: the Russian text without gendered endings
_TEXTS = Path(__file__).parent / "consent_texts"


@cache
def telemedicine_consent(locale: str) -> ConsentText:
    """The current ИДС text to show before a consultation; the record stores its version and hash."""
    locale = locale if locale in LOCALES else "ru"
    text = (_TEXTS / f"{TELEMEDICINE}.{locale}.md").read_text(encoding="utf-8")
    return ConsentText(TELEMEDICINE, CONSENT_VERSION, locale, text)


def consent_text(kind: str, version: str, locale: str, sha256: str) -> str:
    """The exact text a record names; an error rather than a different text printed as if accepted."""
    archived = _TEXTS / f"{kind}.{version}.{locale}.md"
    if archived.is_file():
        text = ConsentText(kind, version, locale, archived.read_text(encoding="utf-8"))
    elif kind == TELEMEDICINE and version == CONSENT_VERSION:
        text = telemedicine_consent(locale)
    else:
        raise LookupError(f"no {kind} consent text of version {version} in {locale}")
    if text.sha256 != sha256:
        raise LookupError(f"the {kind} consent text {version}/{locale} differs from the accepted one")
    return text.text
