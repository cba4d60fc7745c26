"""The checks a row goes through, with real ICD-10 codes of the catalogue shipped with the project."""

from __future__ import annotations

from datetime import date

import pytest

from engine import icd10
from engine.referrals.parse import read_table
from engine.referrals.report import problems
from engine.referrals.validate import ROW, validate_rows

from .conftest import ROWS, csv_table


def row_with(**changes: str):
    from engine.referrals.parse import FIELDS

    values = dict(zip(FIELDS, ROWS[0], strict=True)) | changes
    [checked] = validate_rows(read_table(csv_table([tuple(values[f] for f in FIELDS)])).rows)
    return checked


@pytest.mark.parametrize("typed", ["C50.4", "С50.4", "C504", "с50,4", " C50.4 "])
def test_an_icd10_code_is_accepted_as_people_type_it_and_stored_in_the_catalogues_spelling(typed):
    row = row_with(diagnosis_code=typed)

    assert row.ok, row.errors
    assert row.values["diagnosis_code"] == "C50.4"
    assert icd10.title("C50.4", "ru") == "Злокачественное новообразование верхненаружного квадранта молочной железы"
    assert icd10.title(typed, "en") == "Malignant neoplasm: Upper-outer quadrant of breast"


@pytest.mark.parametrize(("typed", "reason"), [
    ("C50.7", ["%(code)s is not in the ICD-10 catalogue.", {"code": "C50.7"}]),
    ("Q99.7", ["%(code)s is not in the ICD-10 catalogue.", {"code": "Q99.7"}]),
    ("A90", ["%(code)s is no longer used in ICD-10; give the current code.", {"code": "A90"}]),
    ("C5O.9", ["%(code)s is not an ICD-10 code (like C50.9 or I10).", {"code": "C5O.9"}]),
])  # fmt: skip
def test_a_code_the_catalogue_does_not_have_in_use_is_refused(typed, reason):
    assert row_with(diagnosis_code=typed).errors == {"diagnosis_code": reason}


@pytest.mark.parametrize("code", ["Z99", "C50.9", "J18.8", "C50"])
def test_a_heading_other_or_unspecified_code_asks_for_the_diagnosis_in_words(code):
    row = row_with(diagnosis_code=code, diagnosis_text="")

    assert list(row.errors) == ["diagnosis_text"]
    assert row.errors["diagnosis_text"][1] == {"code": code}
    assert row_with(diagnosis_code=code, diagnosis_text="Зависимость от аппарата ИВЛ").ok


def test_a_specific_code_needs_no_words_and_a_cell_with_code_and_words_gives_both():
    assert row_with(diagnosis_code="I10", diagnosis_text="").ok
    row = row_with(diagnosis_code="C50.9 Рак молочной железы", diagnosis_text="")
    assert row.ok and (row.values["diagnosis_code"], row.values["diagnosis_text"]) == ("C50.9", "Рак молочной железы")


@pytest.mark.parametrize(("typed", "reason"), [
    ("31.02.1970", "There is no such date: %(date)s."),
    ("30/02/1970", "There is no such date: %(date)s."),
    ("1970-13-01", "There is no such date: %(date)s."),
    ("12.03.2099", "The date of birth %(date)s is in the future."),
    ("12.03.1899", "The date of birth %(date)s makes the patient older than %(n)s years."),
    ("март 1970", "Enter the date as dd.mm.yyyy or yyyy-mm-dd."),
])  # fmt: skip
def test_impossible_future_and_too_old_birth_dates_are_each_named(typed, reason):
    assert row_with(birth_date=typed).errors["birth_date"][0] == reason


def test_a_birth_date_exactly_120_years_ago_is_still_possible():
    from engine.clock import now

    today = now().date()
    assert row_with(birth_date=date(today.year - 120, today.month, min(today.day, 28)).strftime("%d.%m.%Y")).ok


@pytest.mark.parametrize("typed", ["8 (912) 345-67-89", "+7 912 345 67 89", "89123456789", "9123456789", "7-912-345-67-89",
                                   "+7(912)345-67-89", "8 912 345-67-89, 8 (4852) 12-34-56"])
def test_russian_phone_notations_become_plus_seven(typed):
    assert row_with(phone=typed).values["phone"] == "+79123456789"


def test_a_row_with_no_way_to_reach_the_patient_says_so_in_one_sentence():
    nothing = row_with(email="", phone="")

    assert nothing.errors == {ROW: ["There is no way to reach the patient: give a mobile phone or an email.", {}]}
    assert problems(nothing.errors) == "There is no way to reach the patient: give a mobile phone or an email."


def test_a_mobile_phone_alone_or_an_email_alone_reaches_the_patient():
    assert row_with(email="").ok  # the activation link goes by SMS
    assert row_with(phone="").ok  # and by email


@pytest.mark.parametrize("landline", ["8 (4852) 12-34-56", "+7 495 123-45-67"])
def test_a_landline_alone_is_refused_saying_a_mobile_or_an_email_is_needed(landline):
    row = row_with(email="", phone=landline)

    assert not row.ok
    assert problems(row.errors).startswith("Phone: ")
    assert "is not a mobile number and cannot receive SMS: give a mobile phone or an email" in problems(row.errors)
    assert row_with(phone=landline).ok  # with an email it is fine


@pytest.mark.parametrize("text", ["=Смирнова", "+Смирнова", "-Смирнова"])
def test_formula_looking_text_is_kept_as_typed(text):
    row = row_with(last_name=text, comment='=HYPERLINK("http://evil.example","click")', target="@Онкология")

    assert row.ok, row.errors
    assert row.values["last_name"] == text and row.values["comment"].startswith("=HYPERLINK(")
    assert row.values["target"] == "@Онкология"


def test_our_own_escape_comes_off_when_the_corrected_file_is_sent_back():
    assert row_with(last_name="'=Смирнова").values["last_name"] == "=Смирнова"


def test_the_row_says_everything_wrong_in_one_sentence():
    row = row_with(birth_date="31.02.1970", diagnosis_code="Z99", diagnosis_text="", email="", phone="")

    assert problems(row.errors) == (
        "There is no way to reach the patient: give a mobile phone or an email; "
        "Date of birth: there is no such date: 31.02.1970; "
        "Diagnosis: Z99 alone does not say the diagnosis (a heading, “other” or “unspecified”): write it in words."
    )
