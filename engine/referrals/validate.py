"""Checking every row of a referral table, cell by cell, before anything is imported.

`validate_rows` returns, per row, the cleaned values and the reason for each bad cell as
`[msgid, params]` (English msgid, translated by the web layer), so the preview can mark the exact cell.
A row with any bad cell is not imported; the others are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.accounts import validation
from engine.clock import now
from engine.i18n import N_, UserError
from engine.referrals.parse import FIELDS, SourceRow

REQUIRED = ("last_name", "first_name", "birth_date", "email", "diagnosis_code", "target")
TEXT_LIMITS = {"diagnosis_text": 500, "institution": 300, "attending_doctor": 200, "target": 200, "comment": 1000}
# ICD-10: a letter, two digits, optionally a dot and one or two digits (C50.9, I10, S72.01).
ICD10 = re.compile(r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$")
# Cyrillic letters that look like Latin ones: tables typed on a Russian keyboard contain "С50.9".
_LOOKALIKE = str.maketrans("АВЕКМНОРСТХаеорсх", "ABEKMHOPCTXAEOPCX")
SEX = {"м": "male", "муж": "male", "мужской": "male", "m": "male", "male": "male",
       "ж": "female", "жен": "female", "женский": "female", "f": "female", "female": "female"}  # fmt: skip
DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y")


@dataclass
class CheckedRow:
    line: int
    raw: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, name: str, msgid: str, **params: Any) -> None:
        self.errors.setdefault(name, [msgid, params])


def parse_date(text: str) -> date:
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if fmt == "%d.%m.%y" and parsed > now().date():
            parsed = parsed.replace(year=parsed.year - 100)  # 01.02.56 is 1956, not 2056
        return parsed
    raise UserError(N_("Enter the date as dd.mm.yyyy or yyyy-mm-dd."))


def icd10(text: str) -> str:
    code = text.strip().upper().translate(_LOOKALIKE).replace(",", ".").replace(" ", "")
    if not ICD10.match(code):
        raise UserError(N_("%(code)s is not an ICD-10 code (like C50.9 or I10)."), code=text.strip()[:20])
    return code


def fingerprint(values: dict[str, Any]) -> str:
    """Same diagnosis and same target: the same referral (used to refuse referring anyone twice)."""
    target = " ".join(str(values.get("target", "")).casefold().split())
    return f"{values.get('diagnosis_code', '')}|{target}"[:120]


def _norm_name(text: str) -> str:
    return " ".join(re.sub(r"[\"'«»“”„]", " ", text).casefold().replace("ё", "е").split())


def _check_cell(row: CheckedRow, name: str, text: str, institutions: set[str] | None) -> None:
    if text.startswith("="):
        row.fail(name, N_("This cell holds a formula; enter plain text."))
        return
    if not text:
        if name in REQUIRED:
            row.fail(name, N_("This field is required."))
        return
    try:
        if name in ("last_name", "first_name"):
            row.values[name] = validation.clean_name(text)
        elif name == "patronymic":
            row.values[name] = validation.clean_name(text, required=False)
        elif name == "birth_date":
            born = parse_date(text)
            if not date(1900, 1, 1) <= born <= now().date():
                raise UserError(N_("Enter a real date of birth."))
            row.values[name] = born.isoformat()
        elif name == "sex":
            if text.casefold().rstrip(".") not in SEX:
                raise UserError(N_("Sex is М or Ж (M or F)."))
            row.values[name] = SEX[text.casefold().rstrip(".")]
        elif name == "phone":
            row.values[name] = validation.normalize_phone(text)
        elif name == "email":
            row.values[name] = validation.normalize_email(text)
        elif name == "snils":
            row.values[name] = validation.normalize_snils(text)
        elif name == "oms_policy":
            row.values[name] = validation.normalize_oms(text)
        elif name == "diagnosis_code":
            row.values[name] = icd10(text)
        else:
            cleaned = " ".join(text.split())
            if len(cleaned) > TEXT_LIMITS[name]:
                raise UserError(N_("The text is longer than %(n)s characters."), n=TEXT_LIMITS[name])
            if name == "institution" and institutions is not None and _norm_name(cleaned) not in institutions:
                raise UserError(N_("No institution with this name is known to the registry."))
            row.values[name] = cleaned
    except UserError as error:
        row.fail(name, error.message, **error.params)


def _identity(values: dict[str, Any]) -> str | None:
    for key in ("snils", "oms_policy"):
        if values.get(key):
            return f"{key}:{values[key]}"
    if values.get("email") and values.get("birth_date"):
        return f"email:{values['email']}:{values['birth_date']}"
    return None


def validate_rows(rows: Iterable[SourceRow], known_institutions: Iterable[str] | None = None) -> list[CheckedRow]:
    """Every row checked; duplicates are found across the file. `known_institutions` None: any name."""
    institutions = {_norm_name(n) for n in known_institutions} if known_institutions is not None else None
    checked: list[CheckedRow] = []
    seen_referral: dict[tuple[str, str], int] = {}
    email_owner: dict[str, tuple[str, int]] = {}
    for source in rows:
        row = CheckedRow(source.line, {k: v for k, v in source.cells.items() if k in FIELDS})
        for name in FIELDS:
            _check_cell(row, name, source.cells.get(name, "").strip(), institutions)
        identity = _identity(row.values)
        if identity and "diagnosis_code" in row.values:
            key = (identity, fingerprint(row.values))
            if key in seen_referral:
                cell = identity.split(":")[0]
                row.fail(cell if cell != "email" else "email", N_("The same patient with the same diagnosis is already in row %(line)s."),
                         line=seen_referral[key])
            else:
                seen_referral[key] = row.line
        email = row.values.get("email")
        person = f"{row.values.get('last_name', '')}|{row.values.get('first_name', '')}|{row.values.get('birth_date', '')}"
        if email:
            owner = email_owner.setdefault(email, (person, row.line))
            if owner[0] != person:
                row.fail("email", N_("This email is given for another person in row %(line)s."), line=owner[1])
        checked.append(row)
    return checked
