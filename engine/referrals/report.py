"""The import report as CSV (created, updated, started, skipped with reasons), the rows with errors as a
file to send back to the region, and the blank template.

All go through engine.csv_safe, so a name like `=HYPERLINK(...)` copied from the uploaded table comes
back as text, never as a formula.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from engine.csv_safe import write_rows
from engine.i18n import N_
from engine.referrals import models as m
from engine.referrals.models import ReferralImport
from engine.referrals.parse import FIELDS, FULL_NAME, TEMPLATE_HEADERS
from engine.referrals.service import rows_of
from engine.referrals.validate import ROW

Translate = Callable[[str], str]

RESULT_LABELS = {
    m.INVALID: N_("not imported: errors in the row"),
    m.SKIPPED: N_("skipped"),
    m.STARTED: N_("referred"),
    m.PENDING: N_("waiting"),
    m.PATIENT_READY: N_("waiting"),
}
OUTCOME_LABELS = {m.CREATED: N_("account created"), m.UPDATED: N_("account updated"), m.MATCHED: N_("account found")}
REPORT_COLUMNS = (
    N_("Row"), N_("Surname"), N_("First name"), N_("Date of birth"), N_("Result"), N_("Patient account"),
    N_("Patient id"), N_("Pathway id"), N_("Reasons"),
)


def _message(translate: Translate, pair: list[object]) -> str:
    msgid, params = str(pair[0]), pair[1] if len(pair) > 1 and isinstance(pair[1], dict) else {}
    text = translate(msgid)
    return text % params if params else text


def _lower_first(text: str) -> str:
    # "Enter a valid email" reads on inside a sentence as "enter a valid email"; "C5O.9 is not…" stays.
    word = text.split(" ", 1)[0]
    plain_word = word.isalpha() and (len(word) == 1 or not word.isupper())  # not SNILS, OMS, C50.9
    return text[0].lower() + text[1:] if text and text[0].isupper() and plain_word else text


def problems(errors: dict[str, list[object]], translate: Translate = lambda s: s) -> str:
    """Everything wrong with a row in one sentence: «Дата рождения: такой даты нет: 31.02.1970; …»."""
    parts = [_message(translate, errors[ROW]).rstrip(".")] if ROW in errors else []
    parts += [f"{translate(FIELD_LABELS[f])}: {_lower_first(_message(translate, errors[f]).rstrip('.'))}"
              for f in FIELDS if f in errors]  # fmt: skip
    return "; ".join(parts) + "." if parts else ""


def report_csv(session: Session, import_id: int, translate: Translate = lambda s: s) -> str:
    lines: list[list[object]] = [[translate(c) for c in REPORT_COLUMNS]]
    for row in rows_of(session, import_id):
        reasons = [problems(row.errors, translate)] if row.errors else []
        if row.message:
            reasons.append(_message(translate, row.message))
        lines.append([
            row.line, row.raw.get("last_name", ""), row.raw.get("first_name", ""), row.raw.get("birth_date", ""),
            translate(RESULT_LABELS[row.status]),
            translate(OUTCOME_LABELS[row.patient_outcome]) if row.patient_outcome in OUTCOME_LABELS else "",
            row.patient_id or "", row.instance_id or "", " ".join(reasons),
        ])  # fmt: skip
    return write_rows(lines)


def error_rows_csv(session: Session, batch: ReferralImport, translate: Translate = lambda s: s) -> str:
    """The rows with errors as the region wrote them (every column, in its order), each with what is
    wrong in a last column: the region corrects them and sends the file again. The extra column is not
    one the import reads, so the corrected file uploads as it is."""
    lines: list[list[object]] = [[*batch.headers, translate(WHAT_IS_WRONG)]]
    width = len(batch.headers)
    for row in rows_of(session, batch.id, statuses=[m.INVALID]):
        cells = list(row.cells[:width]) + [""] * (width - len(row.cells))
        lines.append([*cells, problems(row.errors, translate)])
    return write_rows(lines, delimiter=batch.delimiter if batch.delimiter in (";", ",", "\t") else ";")


def template_csv(locale: str, institution: str | None = None, target: str | None = None) -> str:
    """The blank table with one example row, semicolon-separated as Russian Excel saves CSV. `institution` and
    `target` (names the registry knows) replace the example's, so the example passes the import's own check."""
    example = {
        "ru": ("Иванова", "Анна", "Сергеевна", "12.03.1961", "Ж", "+7 912 345-67-89", "anna@example.ru",
               "112-233-445 95", "", "C50.9", "Рак молочной железы", "ГБУЗ Областная больница №1",
               "Петров П. П.", "Онкология", ""),
        "en": ("Ivanova", "Anna", "Sergeevna", "1961-03-12", "F", "+7 912 345-67-89", "anna@example.ru",
               "112-233-445 95", "", "C50.9", "Breast cancer", "Regional hospital No. 1", "Dr P. Petrov",
               "Oncology", ""),
    }[locale if locale in TEMPLATE_HEADERS else "en"]
    at = FIELDS.index("institution"), FIELDS.index("target")
    example = tuple(institution if i == at[0] and institution else target if i == at[1] and target else v
                    for i, v in enumerate(example))
    return write_rows([TEMPLATE_HEADERS[locale if locale in TEMPLATE_HEADERS else "en"], example], delimiter=";")


WHAT_IS_WRONG = N_("What is wrong")
FIELD_LABELS = dict(zip(FIELDS, (
    N_("Surname"), N_("First name"), N_("Patronymic"), N_("Date of birth"), N_("Sex"), N_("Phone"), N_("Email"),
    N_("SNILS"), N_("OMS policy"), N_("ICD-10 code"), N_("Diagnosis"), N_("Referring institution"),
    N_("Attending doctor"), N_("Target specialty or center"), N_("Comment"),
), strict=True))  # fmt: skip
# The choices of the column step: every field, and one column holding the whole name.
COLUMN_LABELS = {**FIELD_LABELS, FULL_NAME: N_("Full name (surname, first name, patronymic)")}
