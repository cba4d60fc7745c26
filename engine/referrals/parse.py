"""Reading a referral table as regional offices produce it: CSV (UTF-8 or Windows-1251, comma,
semicolon or tab) or XLSX, with a header row in Russian or English somewhere in the first lines.

The result is a `Table`: the header row as written, every data line as written, and which column is
which (`columns`), found from headers as people write them (see RULES) or as a manager chose them for
this kind of table before (engine.referrals.mapping). `Table.rows` gives `SourceRow`s (line number +
field -> text); `Table.missing` the required fields no column gives. Nothing is validated here beyond
"is this a table at all"; anything that is not gets a `TableError` with a message for the manager.

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
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
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

# How people name each column. A header matches a way of naming when every word of that way begins one
# of the header's words (a way's words of three letters or fewer must be whole words: "пол" is not
# "полис"). Headers are compared as words: lower case, ё as е, punctuation, brackets and units dropped,
# so «Диагноз (МКБ-10)», «Дата рожд.» and «Тел. (моб.)» all read. The fields are tried in this order, and
# the order settles the overlaps: «Диагноз (МКБ-10)» is the code, not the text; «ФИО врача» the doctor,
# not the patient; «Направивший врач» the doctor, not the institution.
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("diagnosis_code", ("мкб", "icd", "код диагн", "шифр", "код заболеван", "diagnosis code")),
    ("snils", ("снилс", "snils", "страхов номер")),
    ("oms_policy", ("полис", "омс", "енп", "oms", "policy")),
    ("email", ("email", "e mail", "почта", "почты", "эл адрес", "электрон адрес")),
    ("phone", ("телеф", "тел", "моб", "мобил", "сотов", "phone", "mobile", "tel", "cell")),
    ("birth_date", ("дата рожд", "рожд", "д р", "др", "birth", "dob", "born")),
    ("comment", ("коммент", "примеч", "замечан", "comment", "note", "remark")),  # «Комментарий врача» too
    ("target", ("куда", "специальн", "центр", "профил", "направлен в", "направлен к", "target", "specialty",
                "speciality", "center", "centre")),
    ("attending_doctor", ("врач", "лечащ", "doctor", "physician")),
    ("full_name", ("фио", "ф и о", "full name")),
    ("patronymic", ("отчеств", "patronym", "middle name")),
    ("last_name", ("фамил", "surname", "last name", "family name")),
    ("first_name", ("имя", "first name", "given name", "name")),
    ("sex", ("пол", "sex", "gender")),
    ("institution", ("лпу", "мо", "учрежд", "организац", "направивш", "направляющ", "больниц", "поликлин",
                     "institution", "hospital", "clinic", "referring")),
    ("diagnosis_text", ("диагн", "заболеван", "diagnos")),
)  # fmt: skip
FULL_NAME = "full_name"  # one column «ФИО» holding surname, first name and patronymic


# The downloadable template's header, per language (engine/referrals/report.py writes it).
TEMPLATE_HEADERS: dict[str, tuple[str, ...]] = {
    "ru": ("Фамилия", "Имя", "Отчество", "Дата рождения", "Пол", "Телефон", "Электронная почта", "СНИЛС",
           "Полис ОМС", "Код МКБ-10", "Диагноз", "Направившее учреждение", "Лечащий врач",
           "Специальность или центр", "Комментарий"),
    "en": ("Surname", "First name", "Patronymic", "Date of birth", "Sex", "Phone", "Email", "SNILS",
           "OMS policy", "ICD-10 code", "Diagnosis", "Referring institution", "Attending doctor",
           "Target specialty or center", "Comment"),
}  # fmt: skip
Columns = dict[int, str]  # column index -> field (FIELDS or FULL_NAME)


class TableError(UserError):
    """The file as a whole cannot be read as a referral table; nothing is stored."""


@dataclass(frozen=True)
class SourceRow:
    line: int  # 1-based line (CSV) or row (XLSX) number in the file
    cells: dict[str, str]  # field -> text, for the columns the table has
    source: tuple[str, ...] = ()  # the whole line as in the file (for the file of rows sent back)


@dataclass(frozen=True)
class Table:
    encoding: str  # "utf-8", "cp1251", "utf-16" or "xlsx"
    delimiter: str  # "" for XLSX
    header_line: int
    headers: tuple[str, ...]  # the header row's cells as written
    lines: tuple[tuple[int, tuple[str, ...]], ...]  # (line number, cells) of every data row
    columns: Columns = field(default_factory=dict)

    @cached_property
    def rows(self) -> list[SourceRow]:
        return [SourceRow(number, cells_of(cells, self.columns), cells) for number, cells in self.lines]

    @property
    def missing(self) -> list[str]:
        """Required fields that no column gives."""
        given = set(self.columns.values())
        if FULL_NAME in given:
            given |= {"last_name", "first_name", "patronymic"}
        return [f for f in REQUIRED_COLUMNS if f not in given]

    @property
    def ignored(self) -> list[str]:
        """Headers of the columns the import does not use, as written."""
        return [h for i, h in enumerate(self.headers) if h.strip() and i not in self.columns]

    def with_columns(self, columns: Columns) -> Table:
        return replace(self, columns=dict(columns))

    def require_columns(self) -> None:
        if self.missing:
            names = [f"{TEMPLATE_HEADERS['ru'][FIELDS.index(f)]} / {TEMPLATE_HEADERS['en'][FIELDS.index(f)]}"
                     for f in self.missing]  # fmt: skip
            raise TableError(N_("The table has no column for: %(columns)s."), columns=", ".join(names))


def header_words(text: str) -> tuple[str, ...]:
    text = text.replace("\ufeff", "").lower().replace("ё", "е").replace("№", " номер ")
    return tuple(w for w in re.split(r"[\W_]+", text) if w)


def header_key(text: str) -> str:
    """A header as compared and remembered: «Дата рожд.» and «дата  РОЖД» are the same column."""
    return " ".join(header_words(text))


def _word_matches(way: str, words: tuple[str, ...]) -> bool:
    return any(word == way or (len(way) > 3 and word.startswith(way)) for word in words)


def recognise(header: str) -> str | None:
    """The field a header names, or None."""
    words = header_words(header)
    for name, ways in RULES:
        if any(all(_word_matches(w, words) for w in way.split()) for way in ways):
            return name
    return None


def auto_columns(headers: tuple[str, ...] | list[str], remembered: dict[str, str] | None = None) -> Columns:
    """Columns found by their headers. `remembered` (header key -> field, "" = not used) is what a
    manager chose for these headers before; it wins over recognition. The first column naming a
    field takes it; a second one is left out (and listed as not used)."""
    remembered = remembered or {}
    columns: Columns = {}
    for index, header in enumerate(headers):
        choice = remembered.get(header_key(header))
        if choice and choice in MAPPABLE and choice not in columns.values():
            columns[index] = choice
    for index, header in enumerate(headers):
        if index in columns or header_key(header) in remembered:
            continue
        name = recognise(header)
        if name and name not in columns.values():
            columns[index] = name
    return columns


MAPPABLE = (*FIELDS, FULL_NAME)


def cells_of(cells: tuple[str, ...], columns: Columns) -> dict[str, str]:
    out = {name: cells[i].strip() if i < len(cells) else "" for i, name in columns.items()}
    full = out.pop(FULL_NAME, None)
    if full is not None:
        parts = full.split(maxsplit=2)
        for name, part in zip(("last_name", "first_name", "patronymic"), parts + ["", "", ""], strict=False):
            out.setdefault(name, part)
    return out


def read_table(content: bytes, filename: str = "", remembered: dict[str, str] | None = None) -> Table:
    """The table with its columns recognised (or as remembered); `Table.missing` says what is not found."""
    if not content or not content.strip():
        raise TableError(N_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise TableError(N_("The file is larger than %(mb)s MB; split the table into parts."), mb=MAX_BYTES // 2**20)
    if content.startswith(b"PK\x03\x04"):
        table = _read_xlsx(content)
    elif content.startswith(b"\xd0\xcf\x11\xe0"):
        raise TableError(N_("This is an old Excel file (.xls). Save it as .xlsx or CSV and upload it again."))
    else:
        text, encoding = _decode(content)
        table = _read_csv(text, encoding)
    return table.with_columns(auto_columns(table.headers, remembered))


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


def _is_header(row: list[str]) -> bool:
    """Three cells that name fields make a header row (one or two could be a data row's words)."""
    return len({recognise(cell) for cell in row if cell.strip()} - {None}) >= 3


def _is_numbering(row: list[str]) -> bool:
    """The row «1 | 2 | 3 | …» that official forms put under the header."""
    cells = [c.strip() for c in row if c.strip()]
    return len(cells) >= 3 and cells == [str(n) for n in range(1, len(cells) + 1)]


def _collect(rows: Any, encoding: str, delimiter: str) -> Table:
    header: tuple[str, ...] | None = None
    header_line = 0
    data: list[tuple[int, tuple[str, ...]]] = []
    for number, row in rows:
        if header is None:
            if number > HEADER_SEARCH_LINES:
                break
            if _is_header(row):
                header, header_line = tuple(cell.strip() for cell in row), number
            continue
        if not any(cell.strip() for cell in row) or (not data and _is_numbering(row)):
            continue  # blank lines between blocks are not rows
        if len(data) >= MAX_ROWS:
            raise TableError(
                N_("The table has more than %(limit)s rows. Split it into files of at most %(limit)s rows."),
                limit=f"{MAX_ROWS:,}".replace(",", " "),
            )
        data.append((number, tuple(row)))
    if header is None:
        raise TableError(N_("No header row was recognised. The first row must name the columns, as in the template."))
    if not data:
        raise TableError(N_("The table has a header but no rows."))
    return Table(encoding, delimiter, header_line, header, tuple(data))
