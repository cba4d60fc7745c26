"""Every cell checked, with the reason per bad cell; duplicates found across the file."""

from __future__ import annotations

from engine.referrals.parse import read_table
from engine.referrals.validate import validate_rows

from .conftest import BAD_ROWS, ROWS, csv_table


def checked(rows, institutions=None):
    return validate_rows(read_table(csv_table(rows)).rows, institutions)


def test_good_rows_come_out_cleaned():
    rows = checked(ROWS)

    assert all(r.ok for r in rows)
    anna = rows[0].values
    assert anna["birth_date"] == "1961-03-12" and anna["phone"] == "+79123456789"
    assert anna["snils"] == "112-233-445 95" and anna["sex"] == "female"
    assert rows[2].values["phone"] == "+79121112234" and rows[2].values["oms_policy"] == "1234567890123456"


def test_each_bad_cell_has_its_own_reason():
    bad, missing = checked(BAD_ROWS)

    assert bad.errors["last_name"][0] == "A name may contain only letters, spaces, hyphens and apostrophes."
    assert bad.errors["birth_date"] == ["There is no such date: %(date)s.", {"date": "31.02.1960"}]
    assert bad.errors["phone"][0] == "Enter the phone number with its code, for example +7 912 345-67-89."
    assert bad.errors["email"][0] == "Enter a valid email address."
    assert bad.errors["diagnosis_code"] == ["%(code)s is not an ICD-10 code (like C50.9 or I10).", {"code": "C5O.9"}]
    assert set(missing.errors) == {"birth_date", "diagnosis_code", "target"}
    assert missing.errors["target"][0] == "This field is required."


def test_a_cyrillic_letter_in_an_icd_code_typed_on_a_russian_keyboard_is_accepted():
    row = list(ROWS[0])
    row[9] = "С50,9"  # Cyrillic С and a decimal comma

    [result] = checked([row])

    assert result.ok and result.values["diagnosis_code"] == "C50.9"


def test_the_same_patient_with_the_same_diagnosis_twice_in_a_file_is_a_duplicate():
    first, second = checked([ROWS[0], ROWS[0]])

    assert first.ok
    assert second.errors == {"_row": ["The same patient with the same diagnosis is already in row %(line)s.", {"line": 2}]}


def test_one_email_for_two_different_people_is_refused_in_the_later_row():
    other = list(ROWS[1])
    other[6] = ROWS[0][6]

    first, second = checked([ROWS[0], other])

    assert first.ok and second.errors["email"][1] == {"line": 2}


def test_an_unknown_referring_institution_is_refused_when_the_registry_knows_institutions():
    rows = checked(ROWS[:1], institutions=["«ОБЛАСТНАЯ  больница»"])
    assert rows[0].ok  # quotes and case do not matter

    rows = checked(ROWS[:1], institutions=["Городская поликлиника № 3"])
    assert rows[0].errors["institution"][0] == "No institution with this name is known to the registry."
