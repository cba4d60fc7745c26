"""Reading a referral table as regional offices produce it: CSV (UTF-8 or Windows-1251, comma,
semicolon or tab) or XLSX, with a header row in Russian or English somewhere in the first lines.

The result is a list of `SourceRow` (line number + field -> text); nothing is validated here beyond
"is this a table at all". Anything that is not gets a `TableError` with a message for the manager.

Size: a table may have at most MAX_ROWS data rows. A region's list of referred patients is a few hundred
to a few thousand rows; 20,000 leaves room (the bench imports 10,000). A bigger file is refused whole,
before anything is stored, with a message to split it: reading stops at row MAX_ROWS + 1, so a
100,000-row file costs no more memory than the limit. Refusing is chosen over streaming an unlimited
import because the manager must look at the preview of every bad row before importing, and a preview of
100,000 rows is not something a person reviews.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from engine.i18n import N_, UserError

MAX_ROWS = 20_000
MAX_BYTES = 20 * 1024 * 1024
HEADER_SEARCH_LINES = 10  # a title or a blank line above the header is common in office tables
FIELDS = (
    "last_name", "first_name", "patronymic", "birth_date", "sex", "phone", "email", "snils", "oms_policy",
    "diagnosis_code", "diagnosis_text", "institution", "attending_doctor", "target", "comment",
)  # fmt: skip
REQUIRED_COLUMNS = ("last_name", "first_name", "birth_date", "email", "diagnosis_code", "target")

# Header texts, normalised by `_norm` (lower case, ё -> е, punctuation -> spaces). The first entry per
# language is the one the downloadable template uses.
HEADERS: dict[str, tuple[str, ...]] = {
    "last_name": ("фамилия", "surname", "last name", "family name"),
    "first_name": ("имя", "name", "first name", "given name"),
    "patronymic": ("отчество", "patronymic", "middle name"),
    "birth_date": ("дата рождения", "date of birth", "birth date", "birthdate", "dob", "д р"),
    "sex": ("пол", "sex", "gender"),
    "phone": ("телефон", "phone", "мобильный телефон", "телефон мобильный", "моб телефон", "mobile phone",
              "mobile", "тел", "контактный телефон"),
    "email": ("электронная почта", "email", "e mail", "эл почта", "почта", "адрес электронной почты", "e mail адрес"),
    "snils": ("снилс", "snils"),
    "oms_policy": ("полис омс", "oms policy", "омс", "полис", "номер полиса омс", "номер полиса", "oms", "policy"),
    "diagnosis_code": ("код мкб 10", "icd 10 code", "мкб 10", "код мкб", "мкб", "код диагноза", "icd 10", "icd code",
                       "icd", "diagnosis code"),
    "diagnosis_text": ("диагноз", "diagnosis", "диагноз текст", "текст диагноза", "diagnosis text"),
    "institution": ("направившее учреждение", "referring institution", "направляющее учреждение",
                    "медицинская организация", "учреждение", "мо", "institution"),
    "attending_doctor": ("лечащий врач", "attending doctor", "врач", "doctor"),
    "target": ("специальность или центр", "target specialty or center", "куда направлен", "профиль",
               "специальность", "центр", "target", "specialty", "center", "centre"),
    "comment": ("комментарий", "comment", "примечание", "note", "notes"),
}  # fmt: skip
# The downloadable template's header, per language (engine/referrals/template.py writes it).
TEMPLATE_HEADERS: dict[str, tuple[str, ...]] = {
    "ru": ("Фамилия", "Имя", "Отчество", "Дата рождения", "Пол", "Телефон", "Электронная почта", "СНИЛС",
           "Полис ОМС", "Код МКБ-10", "Диагноз", "Направившее учреждение", "Лечащий врач",
           "Специальность или центр", "Комментарий"),
    "en": ("Surname", "First name", "Patronymic", "Date of birth", "Sex", "Phone", "Email", "SNILS",
           "OMS policy", "ICD-10 code", "Diagnosis", "Referring institution", "Attending doctor",
           "Target specialty or center", "Comment"),
}  # fmt: skip
_LOOKUP = {alias: field for field, aliases in HEADERS.items() for alias in aliases}


class TableError(UserError):
    """The file as a whole cannot be read as a referral table; nothing is stored."""


@dataclass(frozen=True)
class SourceRow:
    line: int  # 1-based line (CSV) or row (XLSX) number in the file
    cells: dict[str, str]


@dataclass(frozen=True)
class Table:
    rows: list[SourceRow]
    encoding: str  # "utf-8", "cp1251", "utf-16" or "xlsx"
    delimiter: str  # "" for XLSX
    columns: dict[str, str]  # field -> header text as found


def _norm(text: str) -> str:
    text = text.replace("\ufeff", "").strip().lower().replace("ё", "е")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def read_table(content: bytes, filename: str = "") -> Table:
    if not content or not content.strip():
        raise TableError(N_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise TableError(N_("The file is larger than %(mb)s MB; split the table into parts."), mb=MAX_BYTES // 2**20)
    if content.startswith(b"PK\x03\x04"):
        return _read_xlsx(content)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise TableError(N_("This is an old Excel file (.xls). Save it as .xlsx or CSV and upload it again."))
    text, encoding = _decode(content)
    return _read_csv(text, encoding)


def _decode(content: bytes) -> tuple[str, str]:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        return content.decode("utf-16"), "utf-16"
    head = content[:65536]
    # NUL bytes never occur in a text table in these encodings; a control-character soup is a binary
    # file renamed .csv (an image, a PDF, an archive).
    if b"\x00" in head or head.startswith(b"%PDF"):
        raise TableError(N_("This file is not a table: upload a CSV or XLSX file."))
    try:
        text, encoding = content.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = content.decode("cp1251"), "cp1251"
        except UnicodeDecodeError as exc:  # 0x98 is the one byte cp1251 leaves undefined
            raise TableError(N_("The file is neither UTF-8 nor Windows-1251 text: upload a CSV or XLSX file.")) from exc
    sample = text[:65536]
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    if control > max(3, len(sample) // 200):
        raise TableError(N_("This file is not a table: upload a CSV or XLSX file."))
    return text, encoding


def _delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:HEADER_SEARCH_LINES + 5] if line.strip()]
    sample = "\n".join(lines)
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t|").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in ";,\t"}
        return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ";"


def _read_csv(text: str, encoding: str) -> Table:
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return _collect(((reader.line_num, row) for row in reader), encoding, delimiter)


def _read_xlsx(content: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        # read_only streams rows; data_only gives a formula cell's cached value, never the formula.
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise TableError(N_("This file is not a readable XLSX table.")) from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise TableError(N_("The file is empty."))
        rows = ((number, [_xlsx_text(v) for v in row]) for number, row in enumerate(sheet.iter_rows(values_only=True), 1))
        return _collect(rows, "xlsx", "")
    finally:
        book.close()


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone or policy typed as a number comes back as 79123456789.0
    return str(value)


def _find_header(row: list[str]) -> dict[int, str] | None:
    found: dict[int, str] = {}
    for index, cell in enumerate(row):
        field = _LOOKUP.get(_norm(cell))
        if field and field not in found.values():
            found[index] = field
    return found if len(found) >= 3 else None


def _collect(rows: Any, encoding: str, delimiter: str) -> Table:
    header: dict[int, str] | None = None
    header_cells: list[str] = []
    data: list[SourceRow] = []
    for number, row in rows:
        if header is None:
            if number > HEADER_SEARCH_LINES:
                break
            header = _find_header(row)
            header_cells = row
            continue
        if not any(cell.strip() for cell in row):
            continue  # blank lines between blocks are not rows
        if len(data) >= MAX_ROWS:
            raise TableError(
                N_("The table has more than %(limit)s rows. Split it into files of at most %(limit)s rows."),
                limit=f"{MAX_ROWS:,}".replace(",", " "),
            )
        cells = {field: row[i].strip() if i < len(row) else "" for i, field in header.items()}
        data.append(SourceRow(number, cells))
    if header is None:
        raise TableError(N_("No header row was recognised. The first row must name the columns, as in the template."))
    missing = [f for f in REQUIRED_COLUMNS if f not in header.values()]
    if missing:
        names = [f"{TEMPLATE_HEADERS['ru'][FIELDS.index(f)]} / {TEMPLATE_HEADERS['en'][FIELDS.index(f)]}" for f in missing]
        raise TableError(N_("The table has no column for: %(columns)s."), columns=", ".join(names))
    if not data:
        raise TableError(N_("The table has a header but no rows."))
    return Table(data, encoding, delimiter, {f: header_cells[i] for i, f in header.items()})
