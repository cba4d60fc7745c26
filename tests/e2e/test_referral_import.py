"""Route 3 in the browser: the manager uploads a Windows-1251 semicolon table with bad rows, reads the
reasons, imports the good rows, watches the progress and downloads the report; each referred patient
activates from the mailbox and finds the referral task in their inbox; the same file again creates
nothing.

The real `consultation_referral` pathway is another issue's; until it is deployed, the stand-in of
tests/data/referral_stub (a patient task "Upload documents") is deployed here.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from engine.accounts.models import User
from engine.composition import build_connectors
from engine.workflow import sync_folder
from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.test_account_journey import login, open_mail
from tests.referrals.conftest import BAD_ROWS, ROWS, csv_table

pytestmark = pytest.mark.e2e
STUB = Path(__file__).resolve().parents[1] / "data" / "referral_stub"
PATIENTS = {"anna@example.ru": "Анна", "oleg@example.ru": "Олег", "vera@example.ru": "Вера"}


def upload(page, base: str, content: bytes) -> None:
    page.goto(f"{base}/referrals/")
    page.get_by_label("Table (CSV or XLSX)").set_input_files(
        {"name": "napravleniya.csv", "mimeType": "text/csv", "buffer": content}
    )
    page.get_by_role("button", name="Check the table").click()


def users(live_server) -> int:
    with live_server.app.extensions["carepath"].sessions() as session:
        return session.scalar(select(func.count()).select_from(User))


def test_a_manager_imports_a_referral_table_and_each_patient_finds_the_referral_task(live_server, new_context, tmp_path):
    base = live_server.url
    sync_folder(live_server.app.extensions["carepath"].sessions, STUB, connectors=build_connectors())
    content = csv_table(ROWS + BAD_ROWS, encoding="cp1251", delimiter=";")
    manager = new_context().new_page()
    login(manager, base, "manager@example.org", DEMO_PASSWORD)
    manager.get_by_role("button", name="English").click()  # the demo manager's own language is Russian

    manager.get_by_role("link", name="Import referrals").click()
    live_server.screenshot(manager, "referrals-01-upload")
    upload(manager, base, content)

    expect(manager.locator(".summary")).to_contain_text("Rows: 5; without errors: 3; with errors: 2.")
    bad = manager.locator("tr.bad-row")
    expect(bad).to_have_count(2)
    expect(bad.first.locator("td[data-field=last_name]")).to_have_text('=HYPERLINK("http://evil.example","click")')
    problems = bad.first.locator("td.problems")  # what is wrong, in one sentence at the row's start
    expect(problems).to_contain_text("Date of birth: there is no such date: 31.02.1960;")
    expect(problems).to_contain_text("ICD-10 code: C5O.9 is not an ICD-10 code")
    expect(bad.first.locator("td.bad-cell[data-field=diagnosis_code]")).to_be_visible()
    expect(bad.nth(1).locator("td.problems")).to_contain_text("Target specialty or center: this field is required.")
    expect(manager.locator("tr.good-row")).to_have_count(3)
    live_server.screenshot(manager, "referrals-02-preview")

    manager.get_by_role("button", name="Import 3 rows without errors").click()
    expect(manager.locator("#import-progress progress")).to_be_visible()
    live_server.screenshot(manager, "referrals-03-progress")
    expect(manager.locator("#import-status")).to_have_text("imported", timeout=30000)
    expect(manager.locator("#import-done")).to_have_text("3")
    expect(manager.locator("#count-created")).to_have_text("3")
    expect(manager.locator("#count-started")).to_have_text("3")
    live_server.screenshot(manager, "referrals-04-done")

    with manager.expect_download() as download_info:
        manager.get_by_role("link", name="Download the report (CSV)").click()
    report = download_info.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(report)))
    assert rows[0][:5] == ["Row", "Surname", "First name", "Date of birth", "Result"]
    results = {row[0]: row[4] for row in rows[1:]}
    assert results == {"2": "referred", "3": "referred", "4": "referred",
                       "5": "not imported: errors in the row", "6": "not imported: errors in the row"}  # fmt: skip
    assert rows[4][1] == "'=HYPERLINK(\"http://evil.example\",\"click\")"  # escaped, never a formula

    admin = new_context().new_page()
    login(admin, base, "admin@example.org", DEMO_PASSWORD)
    for index, (email, name) in enumerate(PATIENTS.items()):
        link = open_mail(admin, base, "You have been referred for an online consultation", email)
        if index == 0:
            live_server.screenshot(admin, "referrals-05-activation-mail")
        person = new_context().new_page()
        person.goto(link)
        person.locator("#password").fill("referred patient secret")
        person.locator("#password_again").fill("referred patient secret")
        person.get_by_role("button", name="Save the password").click()
        login(person, base, email, "referred patient secret")
        expect(person.get_by_role("heading", level=1)).to_have_text(f"Hello, {name}!")
        person.goto(f"{base}/tasks/")
        expect(person.get_by_role("link", name="Upload documents")).to_be_visible()
        if index == 0:
            live_server.screenshot(person, "referrals-06-patient-inbox")

    before = users(live_server)
    upload(manager, base, content)
    expect(manager.get_by_role("status").filter(has_text="This file was imported before")).to_be_visible()
    manager.get_by_role("button", name="Import 3 rows without errors").click()
    expect(manager.locator("#import-status")).to_have_text("imported", timeout=30000)
    expect(manager.locator("#count-created")).to_have_text("0")
    expect(manager.locator("#count-started")).to_have_text("0")
    expect(manager.locator("#count-skipped")).to_have_text("3")
    expect(manager.locator("ul.skipped li").first).to_contain_text("Already referred with this diagnosis")
    live_server.screenshot(manager, "referrals-07-reimport")
    assert users(live_server) == before


PHONE_ONLY = ("Орлова", "Нина", "Петровна", "03.04.1950", "Ж", "8 (912) 700-11-22", "", "", "",
              "C50.9", "Рак молочной железы", "Областная больница", "Петров П. П.", "Онкология", "")  # fmt: skip
LANDLINE_ONLY = ("Белов", "Игорь", "", "04.05.1960", "М", "8 (4852) 12-34-56", "", "", "",
                 "I10", "Гипертензия", "Областная больница", "Петров П. П.", "Кардиология", "")  # fmt: skip
NO_CONTACT = ("Белова", "Ольга", "", "05.06.1962", "Ж", "", "", "", "",
              "I10", "Гипертензия", "Областная больница", "Петров П. П.", "Кардиология", "")  # fmt: skip


def test_a_patient_with_only_a_mobile_phone_activates_from_the_sms_gives_an_email_and_finds_the_task(live_server, new_context):
    base = live_server.url
    sync_folder(live_server.app.extensions["carepath"].sessions, STUB, connectors=build_connectors())
    manager = new_context().new_page()
    login(manager, base, "manager@example.org", DEMO_PASSWORD)
    manager.get_by_role("button", name="English").click()
    upload(manager, base, csv_table([PHONE_ONLY, LANDLINE_ONLY, NO_CONTACT]))

    bad = manager.locator("tr.bad-row")
    expect(bad).to_have_count(2)
    expect(bad.first.locator("td.problems")).to_have_text(
        "Phone: +74852123456 is not a mobile number and cannot receive SMS: give a mobile phone or an email.")
    expect(bad.nth(1).locator("td.problems")).to_have_text(
        "There is no way to reach the patient: give a mobile phone or an email.")
    manager.get_by_role("button", name="Import 1 row without errors").click()
    expect(manager.locator("#count-created")).to_have_text("1", timeout=30000)

    # No SMS gateway: the SMS is in the local mailbox, where the admin reads it.
    admin = new_context().new_page()
    login(admin, base, "admin@example.org", DEMO_PASSWORD)
    link = open_mail(admin, base, "SMS to +79127001122", "+79127001122")
    live_server.screenshot(admin, "referrals-08-activation-sms")

    person = new_context().new_page()
    person.goto(link)
    person.locator("#password").fill("referred by phone secret")
    person.locator("#password_again").fill("referred by phone secret")
    person.get_by_role("button", name="Save the password").click()
    expect(person.locator("#email-error")).to_contain_text("This field is required")
    person.locator("#email").fill("nina.orlova@example.ru")
    person.locator("#password").fill("referred by phone secret")
    person.locator("#password_again").fill("referred by phone secret")
    live_server.screenshot(person, "referrals-09-activation-with-email")
    person.get_by_role("button", name="Save the password").click()
    expect(person.get_by_text("We have sent a link to nina.orlova@example.ru")).to_be_visible()
    expect(person.get_by_text("Referred by your doctor and got an SMS?")).to_be_visible()  # the login page

    person.goto(open_mail(admin, base, "Confirm your email", "nina.orlova@example.ru"))
    login(person, base, "nina.orlova@example.ru", "referred by phone secret")
    expect(person.get_by_role("heading", level=1)).to_have_text("Hello, Нина!")
    person.goto(f"{base}/tasks/")
    expect(person.get_by_role("link", name="Upload documents")).to_be_visible()
