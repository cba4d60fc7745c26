"""Checking every row of a referral table, cell by cell, before anything is imported.

`validate_rows` returns, per row, the cleaned values and the reason for each bad cell as
`[msgid, params]` (English msgid, translated by the web layer), so the preview can mark the exact cell;
a reason about the row as a whole (the same patient twice) is kept under ROW. A row with any reason is
not imported; the others are.

Text is taken as typed: a surname or a comment that starts with `=`, `+`, `-` or `@` is data (people
paste from spreadsheets), kept as it is; every CSV the platform writes escapes it (engine.csv_safe).
Diagnosis codes are checked against the ICD-10 catalogue (engine.icd10).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine import icd10
from engine.accounts import validation
from engine.clock import now
from engine.csv_safe import unescape_cell
from engine.i18n import N_, UserError
from engine.referrals.parse import FIELDS, SourceRow

REQUIRED = ("last_name", "first_name", "birth_date", "diagnosis_code", "target")  # a phone or an email: see _check_contacts
ROW = "_row"  # errors key of a reason that concerns the whole row
TEXT_LIMITS = {"diagnosis_text": 500, "institution": 300, "attending_doctor": 200, "target": 200, "comment": 1000}
MAX_AGE_YEARS = 120
# Dates as people write them: 31.02.1970, 31/02/1970, 31-02-70, 1970-02-31. A text of this shape that is
# no date of the calendar is "no such date", not a format problem.
_DATE_SHAPES = (re.compile(r"^\d{1,2}[./-]\d{1,2}[./-](\d{2}|\d{4})$"), re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$"))
SEX = {"м": "male", "муж": "male", "мужской": "male", "m": "male", "male": "male",
       "ж": "female", "жен": "female", "женский": "female", "f": "female", "female": "female"}  # fmt: skip
DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y", "%d-%m-%y")


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
        if fmt.endswith("%y") and parsed > now().date():
            parsed = parsed.replace(year=parsed.year - 100)  # 01.02.56 is 1956, not 2056
        return parsed
    if any(shape.match(text) for shape in _DATE_SHAPES):
        raise UserError(N_("There is no such date: %(date)s."), date=text[:20])
    raise UserError(N_("Enter the date as dd.mm.yyyy or yyyy-mm-dd."))


def birth_date(text: str) -> date:
    born, today = parse_date(text), now().date()
    if born > today:
        raise UserError(N_("The date of birth %(date)s is in the future."), date=text[:20])
    if born < today.replace(year=today.year - MAX_AGE_YEARS, day=min(today.day, 28)):
        raise UserError(N_("The date of birth %(date)s makes the patient older than %(n)s years."),
                        date=text[:20], n=MAX_AGE_YEARS)
    return born


def fingerprint(values: dict[str, Any]) -> str:
    """Same diagnosis and same target: the same referral (used to refuse referring anyone twice)."""
    target = " ".join(str(values.get("target", "")).casefold().split())
    return f"{values.get('diagnosis_code', '')}|{target}"[:120]


def _norm_name(text: str) -> str:
    return " ".join(re.sub(r"[\"'«»“”„]", " ", text).casefold().replace("ё", "е").split())


def _check_cell(row: CheckedRow, name: str, text: str, institutions: set[str] | None,
                target_known: Callable[[str], bool] | None = None) -> None:
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
            row.values[name] = birth_date(text).isoformat()
        elif name == "sex":
            if text.casefold().rstrip(".") not in SEX:
                raise UserError(N_("Sex is М or Ж (M or F)."))
            row.values[name] = SEX[text.casefold().rstrip(".")]
        elif name == "phone":
            row.values[name] = phone(text)
        elif name == "email":
            row.values[name] = validation.normalize_email(text)
        elif name == "snils":
            row.values[name] = validation.normalize_snils(text)
        elif name == "oms_policy":
            row.values[name] = validation.normalize_oms(text)
        elif name == "diagnosis_code":
            row.values[name] = icd10.check(text).code
        else:
            cleaned = " ".join(text.split())
            if len(cleaned) > TEXT_LIMITS[name]:
                raise UserError(N_("The text is longer than %(n)s characters."), n=TEXT_LIMITS[name])
            if name == "institution" and institutions is not None and _norm_name(cleaned) not in institutions:
                raise UserError(N_("No institution with this name is known to the registry."))
            if name == "target" and target_known is not None and not target_known(cleaned):
                raise UserError(N_("No specialty or consultation center with this name is known. Write a specialty "
                                   "(for example, Neurology) or a center's name."))
            row.values[name] = cleaned
    except UserError as error:
        row.fail(name, error.message, **error.params)


def is_mobile(number: str) -> bool:
    """Russian mobile numbers are +79…; only they receive SMS."""
    return number.startswith("+79") and len(number) == 12


def phone(text: str) -> str:
    """The patient's number in +7 form. A cell may hold two («8-912-345-67-89, 8 (4852) 12-34-56»):
    the mobile one is taken, as it is the one that receives SMS."""
    parts = [p for p in re.split(r"[,;/]|\s+или\s+|\s+or\s+", text) if p.strip()]
    numbers = [validation.normalize_phone(p) for p in parts] if len(parts) > 1 else [validation.normalize_phone(text)]
    return next((n for n in numbers if is_mobile(n)), numbers[0])


def _check_contacts(row: CheckedRow) -> None:
    """The patient must be reachable: an email gets the activation link, a mobile phone gets it by SMS
    (the person then gives an email, their login, when they set the password). A landline receives
    no SMS, so it does not count."""
    if row.raw.get("email", "").strip() or is_mobile(row.values.get("phone", "")):
        return
    if row.values.get("phone"):
        row.fail("phone", N_("%(phone)s is not a mobile number and cannot receive SMS: give a mobile phone or an email."),
                 phone=row.values["phone"])
    elif "phone" not in row.errors:
        row.fail(ROW, N_("There is no way to reach the patient: give a mobile phone or an email."))


def _check_diagnosis(row: CheckedRow) -> None:
    """A code that does not say the diagnosis by itself (a heading such as Z99, "other", "unspecified")
    goes to the doctor only with the diagnosis in words."""
    code = row.values.get("diagnosis_code")
    entry = icd10.lookup(code) if code else None
    if entry is not None and entry.needs_text and not row.values.get("diagnosis_text") and "diagnosis_text" not in row.errors:
        row.fail("diagnosis_text", N_("%(code)s alone does not say the diagnosis (a heading, “other” or “unspecified”): write it in words."),
                 code=code)


def _identity(values: dict[str, Any]) -> str | None:
    for key in ("snils", "oms_policy"):
        if values.get(key):
            return f"{key}:{values[key]}"
    if values.get("email") and values.get("birth_date"):
        return f"email:{values['email']}:{values['birth_date']}"
    if values.get("phone") and values.get("birth_date"):
        return f"phone:{phone_identity(values)}"
    return None


def phone_identity(values: dict[str, Any]) -> str:
    """A patient known only by a mobile phone: the phone with the name and date of birth, because one
    phone often serves a family (a daughter's number given for both parents)."""
    names = "|".join(_norm_name(values.get(k) or "") for k in ("last_name", "first_name"))
    return f"{values['phone']}|{names}|{values['birth_date']}"


def validate_rows(rows: Iterable[SourceRow], known_institutions: Iterable[str] | None = None,
                  target_known: Callable[[str], bool] | None = None) -> list[CheckedRow]:
    """Every row checked; duplicates are found across the file. `known_institutions` None: any name;
    `target_known` None: any target (else it says whether a specialty or center has that name)."""
    institutions = {_norm_name(n) for n in known_institutions} if known_institutions is not None else None
    checked: list[CheckedRow] = []
    seen_referral: dict[tuple[str, str], int] = {}
    email_owner: dict[str, tuple[str, int]] = {}
    for source in rows:
        # A cell escaped by our own file of error rows, corrected and sent back, is read as first typed.
        cells = {k: unescape_cell(v) if v.startswith("'") else v for k, v in source.cells.items() if k in FIELDS}
        row = CheckedRow(source.line, dict(cells))
        # «C50.9 Рак молочной железы» in the code column, and no diagnosis column: the cell gives both.
        code_text, words = icd10.split_code_and_text(cells.get("diagnosis_code", "").strip())
        if words and not cells.get("diagnosis_text", "").strip():
            cells["diagnosis_code"], cells["diagnosis_text"] = code_text, words
        for name in FIELDS:
            _check_cell(row, name, cells.get(name, "").strip(), institutions, target_known)
        _check_contacts(row)
        _check_diagnosis(row)
        identity = _identity(row.values)
        if identity and "diagnosis_code" in row.values:
            key = (identity, fingerprint(row.values))
            if key in seen_referral:
                row.fail(ROW, N_("The same patient with the same diagnosis is already in row %(line)s."),
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
