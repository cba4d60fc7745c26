"""Reading tables as offices produce them, and refusing what is not a table with a clear message."""

from __future__ import annotations

import pytest

from engine.referrals import parse
from engine.referrals.parse import TableError, read_table

from .conftest import ROWS, csv_table, xlsx_table


def test_a_windows_1251_semicolon_table_with_a_russian_header_is_read():
    table = read_table(csv_table(encoding="cp1251", delimiter=";"))

    assert (table.encoding, table.delimiter) == ("cp1251", ";")
    assert [r.line for r in table.rows] == [2, 3, 4]
    assert table.rows[0].cells["last_name"] == "Иванова"
    assert table.rows[1].cells["diagnosis_code"] == "I10"


def test_a_utf8_comma_table_with_a_bom_and_an_english_header_is_read():
    content = b"\xef\xbb\xbf" + csv_table(header=parse.TEMPLATE_HEADERS["en"], delimiter=",", encoding="utf-8")

    table = read_table(content)

    assert (table.encoding, table.delimiter) == ("utf-8", ",")
    assert table.rows[2].cells["email"] == "vera@example.ru"


def test_an_xlsx_table_is_read_with_dates_and_numbers_as_text():
    from datetime import datetime

    rows = [list(ROWS[0])]
    rows[0][3] = datetime(1961, 3, 12)
    rows[0][8] = 1234567890123456.0

    table = read_table(xlsx_table(rows))

    assert table.encoding == "xlsx"
    assert table.rows[0].cells["birth_date"] == "1961-03-12"
    assert table.rows[0].cells["oms_policy"] == "1234567890123456"


def test_a_title_line_above_the_header_and_blank_lines_are_tolerated():
    content = ("Список пациентов по заболеваниям\r\n\r\n".encode("cp1251")) + csv_table()

    table = read_table(content)

    assert [r.line for r in table.rows] == [4, 5, 6]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"   \r\n", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "This file is not a table: upload a CSV or XLSX file."),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "This file is not a table: upload a CSV or XLSX file."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "This is an old Excel file (.xls). Save it as .xlsx or CSV and upload it again."),
        (b"PK\x03\x04 this is no workbook", "This file is not a readable XLSX table."),
        (b"a;b;c\r\n1;2;3\r\n", "No header row was recognised. The first row must name the columns, as in the template."),
        (csv_table([]), "The table has a header but no rows."),
    ],
    ids=["empty", "blank", "png-renamed", "pdf-renamed", "xls", "broken-xlsx", "no-header", "no-rows"],
)
def test_what_is_not_a_usable_table_gets_a_clear_message(content, message):
    with pytest.raises(TableError) as caught:
        read_table(content, "table.csv")

    assert caught.value.message == message


def test_a_missing_column_is_named_in_both_languages():
    table = read_table("Фамилия;Имя;Пол\r\nИванова;Анна;Ж\r\n".encode("cp1251"))
    assert table.missing == ["birth_date", "email", "diagnosis_code", "target"]

    with pytest.raises(TableError) as caught:
        table.require_columns()

    assert "Дата рождения / Date of birth" in str(caught.value)
    assert "Код МКБ-10 / ICD-10 code" in str(caught.value)


def test_a_table_above_the_row_limit_is_refused_whole_without_reading_it_all(monkeypatch):
    monkeypatch.setattr(parse, "MAX_ROWS", 1000)
    rows = [ROWS[0]] * 100_000

    with pytest.raises(TableError) as caught:
        read_table(csv_table(rows))

    assert caught.value.message.startswith("The table has more than %(limit)s rows.")
    assert caught.value.params == {"limit": "1 000"}


def test_the_real_limit_admits_the_bench_size_and_refuses_100000_rows():
    assert 10_000 <= parse.MAX_ROWS < 100_000
    with pytest.raises(TableError):
        read_table(csv_table([ROWS[0]] * 100_000))
