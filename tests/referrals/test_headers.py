"""Headers as people write them: five human ways per format (Windows-1251 and UTF-8, `;` and `,`, XLSX),
each found without asking, in any order, under a title line, with unused columns listed."""

from __future__ import annotations

import pytest

from engine.referrals.parse import read_table, recognise
from engine.referrals.validate import validate_rows

from .human_tables import FORMATS, RECORDS, STYLES, expected_fields, table_bytes


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("style", STYLES, ids=[s.name for s in STYLES])
def test_a_table_with_headers_written_by_a_person_is_read_without_asking(style, fmt):
    table = read_table(table_bytes(style, fmt=fmt))

    assert table.missing == []
    assert set(table.columns.values()) == {f for _, f in style.columns if f}
    assert table.ignored == [header for header, field in style.columns if field is None]
    assert (table.encoding, table.delimiter) == (("xlsx", "") if fmt == "xlsx" else (fmt[:-1], fmt[-1]))
    rows = table.rows
    assert len(rows) == len(RECORDS)
    for row, record in zip(rows, RECORDS, strict=True):
        assert row.cells == {f: record[f] for f in expected_fields(style)}
    checked = validate_rows(rows)
    assert [r.errors for r in checked] == [{}, {}, {}]
    assert checked[0].values["diagnosis_code"] == "C50.9" and checked[0].values["phone"] == "+79123456789"


def test_the_line_numbers_are_the_files_even_under_a_title_and_a_numbering_row():
    regional, _, numbered = STYLES[0], STYLES[1], STYLES[2]

    assert [r.line for r in read_table(table_bytes(regional)).rows] == [3, 4, 5]
    assert [r.line for r in read_table(table_bytes(numbered)).rows] == [3, 4, 5]
    assert read_table(table_bytes(regional)).header_line == 2


@pytest.mark.parametrize(("header", "field"), [
    ("Диагноз (МКБ-10)", "diagnosis_code"), ("Диагноз", "diagnosis_text"), ("Дата рожд.", "birth_date"),
    ("Тел.", "phone"), ("Полис", "oms_policy"), ("СНИЛС пациента", "snils"), ("МКБ", "diagnosis_code"),
    ("Направившее ЛПУ", "institution"), ("Направивший врач", "attending_doctor"), ("ФИО врача", "attending_doctor"),
    ("ФИО", "full_name"), ("Пол", "sex"), ("Почтовый адрес", None), ("Дата направления", None), ("№ п/п", None),
    ("ТЕЛЕФОН  (моб.)", "phone"), ("Отчёство", "patronymic"), ("Комментарий врача", "comment"),
])  # fmt: skip
def test_overlapping_words_go_to_the_field_people_mean(header, field):
    assert recognise(header) == field
