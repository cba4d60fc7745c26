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
