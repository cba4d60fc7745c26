"""The personal-data processing consent (R-ACC-04, R-ACC-26): its text per language and its version.

A consent record stores the version and the sha256 of the exact text shown, so what a person agreed
to can be proven later even after the text changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PERSONAL_DATA = "personal_data"
VERSION = "2026-11"
_FOLDER = Path(__file__).parent / "consent_texts"


@dataclass(frozen=True)
class ConsentText:
    kind: str
    version: str
    locale: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@cache
def personal_data_consent(locale: str) -> ConsentText:
    path = _FOLDER / f"personal_data.{locale}.md"
    if not path.exists():
        path = _FOLDER / "personal_data.ru.md"
        locale = "ru"
    return ConsentText(PERSONAL_DATA, VERSION, locale, path.read_text(encoding="utf-8"))
