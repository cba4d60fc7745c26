"""Referral tables with headers written the ways people write them, in every format regions send.

A style is a list of (header as written, field it holds); field None is a column the import does not
use, "full_name" one column «ФИО». `table_bytes(style, records, fmt)` writes the records (dicts by field)
under that header as CSV (Windows-1251 or UTF-8, `;` or `,`) or XLSX, with a title line above when the
style asks for one and the numbering row «1 | 2 | 3 …» under the header when it asks for that.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from engine.referrals.parse import FIELDS

from .conftest import ROWS

RECORDS = [dict(zip(FIELDS, row, strict=True)) for row in ROWS]
EXTRA = {"№ п/п": "1", "ВОЗРАСТ": "64", "Возраст": "64", "Дата направления": "01.12.2026", "Age": "64", "Адрес": "г. Ярославль"}


@dataclass(frozen=True)
class Style:
    name: str
    columns: tuple[tuple[str, str | None], ...]
    title: str = ""  # a line above the header
    numbering: bool = False  # the row 1 | 2 | 3 … under the header


STYLES = (
    Style("regional form", (
        ("№ п/п", None), ("Фамилия", "last_name"), ("Имя", "first_name"), ("Отчество", "patronymic"),
        ("Дата рожд.", "birth_date"), ("Пол", "sex"), ("Тел.", "phone"), ("Эл. почта", "email"),
        ("СНИЛС пациента", "snils"), ("Полис", "oms_policy"), ("Диагноз (МКБ-10)", "diagnosis_code"),
        ("Диагноз", "diagnosis_text"), ("Направившее ЛПУ", "institution"), ("Лечащий врач", "attending_doctor"),
        ("Куда направлен", "target"), ("Примечание", "comment"),
    ), title="Список пациентов, направленных на телеконсультацию, декабрь 2026"),
    Style("capitals, another order", (
        ("МКБ", "diagnosis_code"), ("ДИАГНОЗ (ТЕКСТ)", "diagnosis_text"), ("ФАМИЛИЯ", "last_name"), ("ИМЯ", "first_name"),
        ("ОТЧЕСТВО", "patronymic"), ("ДАТА РОЖДЕНИЯ (ДД.ММ.ГГГГ)", "birth_date"), ("ВОЗРАСТ", None),
        ("ПОЛ (М/Ж)", "sex"), ("МОБИЛЬНЫЙ ТЕЛЕФОН", "phone"), ("E-MAIL", "email"), ("СНИЛС", "snils"),
        ("НОМЕР ПОЛИСА ОМС", "oms_policy"), ("МЕДИЦИНСКАЯ ОРГАНИЗАЦИЯ", "institution"), ("ВРАЧ", "attending_doctor"),
        ("ПРОФИЛЬ", "target"), ("КОММЕНТАРИЙ", "comment"),
    )),
    Style("one name column, numbered", (
        ("Ф.И.О. пациента", "full_name"), ("Д.Р.", "birth_date"), ("Пол", "sex"), ("Контактный телефон", "phone"),
        ("Адрес электронной почты", "email"), ("СНИЛС", "snils"), ("ЕНП", "oms_policy"),
        ("Код диагноза по МКБ-10", "diagnosis_code"), ("Диагноз основной", "diagnosis_text"),
        ("Направившая МО", "institution"), ("Направивший врач", "attending_doctor"),
        ("Специальность / центр", "target"), ("Дата направления", None), ("Примечание", "comment"),
    ), numbering=True),
    Style("English", (
        ("Surname", "last_name"), ("Given name", "first_name"), ("Middle name", "patronymic"), ("DOB", "birth_date"),
        ("Gender", "sex"), ("Mobile phone", "phone"), ("E-mail", "email"), ("SNILS", "snils"), ("OMS policy", "oms_policy"),
        ("ICD-10 code", "diagnosis_code"), ("Diagnosis", "diagnosis_text"), ("Referring institution", "institution"),
        ("Attending doctor", "attending_doctor"), ("Target specialty or center", "target"), ("Age", None), ("Notes", "comment"),
    ), title="Referred patients"),
    Style("mixed, with ё and units", (
        ("Комментарий врача", "comment"), ("Учреждение", "institution"), ("Центр", "target"),
        ("Фамилия/Surname", "last_name"), ("имя:", "first_name"), ("отчество", "patronymic"), ("пол", "sex"),
        ("дата рождения", "birth_date"), ("телефон (для SMS)", "phone"), ("e-mail адрес", "email"),
        ("СНИЛС №", "snils"), ("полис ОМС (16 цифр)", "oms_policy"), ("Шифр МКБ", "diagnosis_code"),
        ("Заболевание", "diagnosis_text"), ("Лечащий врач", "attending_doctor"), ("Адрес", None),
    ), title="Направления  ;  отделение  ;  2026"),
)  # fmt: skip
FORMATS = ("cp1251;", "cp1251,", "utf-8;", "utf-8,", "xlsx")


def cell(record: dict[str, str], header: str, field: str | None) -> str:
    if field is None:
        return EXTRA.get(header, "x")
    if field == "full_name":
        return " ".join(p for p in (record["last_name"], record["first_name"], record["patronymic"]) if p)
    return record[field]


def grid(style: Style, records: list[dict[str, str]]) -> list[list[str]]:
    lines: list[list[str]] = [[style.title]] if style.title else []
    lines.append([header for header, _ in style.columns])
    if style.numbering:
        lines.append([str(n) for n in range(1, len(style.columns) + 1)])
    lines += [[cell(r, header, field) for header, field in style.columns] for r in records]
    return lines


def table_bytes(style: Style, records: list[dict[str, str]] = RECORDS, fmt: str = "cp1251;") -> bytes:
    lines = grid(style, records)
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        for line in lines:
            book.active.append(line)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
    encoding, delimiter = fmt[:-1], fmt[-1]
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(lines)
    return text.getvalue().encode(encoding)


def expected_fields(style: Style) -> set[str]:
    fields = {f for _, f in style.columns if f}
    return (fields - {"full_name"}) | ({"last_name", "first_name", "patronymic"} if "full_name" in fields else set())
