"""The ICD-10 catalogue: is a diagnosis code real, what is its title, is it specific enough to stand alone.

The catalogue is the Russian МКБ-10 (the Ministry of Health's reference data, with the 5-character codes
the Russian edition adds), with WHO's English titles beside it; `mkb10.tsv` is built by
tools/icd10_catalogue.py and its sources are in SOURCES.md. It is read once per process, on first use.

People type codes in many ways: `C50.4`, `с50,4` with a Cyrillic С and a decimal comma, `C504`, `G01*`
(the asterisk of a manifestation code). `normalize` turns all of them into `C50.4`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from engine.i18n import N_, UserError

CATALOGUE = Path(__file__).with_name("mkb10.tsv")
SHAPE = re.compile(r"^([A-Z][0-9]{2})(?:\.?([0-9]{1,2}))?$")
# Cyrillic letters that look like Latin ones: tables typed on a Russian keyboard contain "С50.9".
_LOOKALIKE = str.maketrans("АВЕКМНОРСТХ", "ABEKMHOPCTX")  # applied after upper()
# Titles of codes that do not say what the patient has: "unspecified", "other", "not elsewhere
# classified". Such a code goes to the doctor only with the diagnosis in words.
_VAGUE_RU = re.compile(r"неуточн|\bдруг|\bпроч|не классифицир", re.IGNORECASE)
_VAGUE_EN = re.compile(r"unspecified|\bother\b|not elsewhere classified", re.IGNORECASE)


@dataclass(frozen=True)
class Icd10Code:
    code: str
    in_use: bool  # the Russian edition keeps withdrawn codes, marked as no longer in use
    has_subcodes: bool  # a heading (C50) whose subcodes (C50.0 … C50.9) say more
    title_ru: str
    title_en: str  # WHO's title, or the nearest heading's where WHO lacks the Russian code

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_ru

    needs_text: bool  # the code alone does not tell the doctor the diagnosis (heading, "other", "unspecified")


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, Icd10Code]:
    entries: dict[str, Icd10Code] = {}
    with CATALOGUE.open(encoding="utf-8") as handle:
        for line in handle:
            code, in_use, subcodes, title_ru, title_en = line.rstrip("\n").split("\t")
            # The Russian edition's 5-character codes (S02.00) are not in WHO's list: their heading's title.
            heading = entries.get(code[:-1].rstrip("."))
            title_en = title_en or (heading.title_en if heading else "")
            vague = subcodes == "1" or bool(_VAGUE_RU.search(title_ru) or _VAGUE_EN.search(title_en))
            entries[code] = Icd10Code(code, in_use == "1", subcodes == "1", title_ru, title_en, vague)
    return entries


def normalize(text: str) -> str:
    """The code in the catalogue's spelling (`C50.4`), or UserError when it is not shaped like one."""
    typed = text.strip()
    code = typed.upper().translate(_LOOKALIKE).replace(",", ".").replace(" ", "").rstrip("*+†.")
    match = SHAPE.match(code)
    if not match:
        raise UserError(N_("%(code)s is not an ICD-10 code (like C50.9 or I10)."), code=typed[:20])
    head, tail = match.groups()
    return f"{head}.{tail}" if tail else head


def lookup(code: str) -> Icd10Code | None:
    """The catalogue's entry for a normalised code, or None."""
    return _catalogue().get(code)


def check(text: str) -> Icd10Code:
    """The catalogue's entry for a code as typed; UserError when the catalogue has no such code in use."""
    code = normalize(text)
    entry = lookup(code)
    if entry is None:
        raise UserError(N_("%(code)s is not in the ICD-10 catalogue."), code=code)
    if not entry.in_use:
        raise UserError(N_("%(code)s is no longer used in ICD-10; give the current code."), code=code)
    return entry


def title(code: str, locale: str = "ru") -> str:
    """The catalogue's title of a code as stored ("" when unknown): for pages that show a code."""
    try:
        entry = lookup(normalize(code)) if code else None
    except UserError:
        return ""
    return entry.title(locale) if entry else ""


_CODE_THEN_TEXT = re.compile(r"^\s*([A-Za-zА-Яа-я][0-9]{2}(?:[.,]?[0-9]{1,2})?[*+†]?)\s*[-–—:]?\s+(\S.*)$")


def split_code_and_text(text: str) -> tuple[str, str]:
    """`C50.9 Рак молочной железы` in one cell -> ("C50.9", "Рак молочной железы"); else (text, "")."""
    match = _CODE_THEN_TEXT.match(text)
    return (match.group(1), match.group(2).strip()) if match else (text, "")
