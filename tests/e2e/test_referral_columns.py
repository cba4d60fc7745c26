"""The column step in the browser: a Windows-1251 table whose birth-date and target columns are named in
words the import does not know; the manager says which column is which, sees each bad row say what is
wrong (with the ICD-10 title beside the code), downloads those rows to send back, imports the rest; the
next table from the same institution with the same headers goes straight to the preview."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from engine.composition import build_connectors
from engine.workflow import sync_folder
from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.test_account_journey import login
from tests.referrals.human_tables import RECORDS, table_bytes
from tests.referrals.test_columns import UNKNOWN

pytestmark = pytest.mark.e2e
STUB = Path(__file__).resolve().parents[1] / "data" / "referral_stub"


def upload(page, base: str, content: bytes, name: str) -> None:
    page.goto(f"{base}/referrals/")
    page.get_by_label("Table (CSV or XLSX)").set_input_files({"name": name, "mimeType": "text/csv", "buffer": content})
    page.get_by_role("button", name="Check the table").click()


def test_the_manager_says_which_column_is_which_once_for_an_institution(live_server, new_context):
    base = live_server.url
    sync_folder(live_server.app.extensions["carepath"].sessions, STUB, connectors=build_connectors())
    rows = [dict(RECORDS[0], diagnosis_code="С50.4"),  # a Cyrillic С, as typed on a Russian keyboard
            RECORDS[1],
            dict(RECORDS[2], birth_date="31.02.1970", diagnosis_code="Z99", diagnosis_text="", last_name="=Кузнецова")]
    manager = new_context().new_page()
    login(manager, base, "manager@example.org", DEMO_PASSWORD)
    manager.get_by_role("button", name="English").click()

    upload(manager, base, table_bytes(UNKNOWN, rows, fmt="cp1251;"), "oblast-dekabr.csv")

    expect(manager.locator("#columns-missing")).to_contain_text("Some columns were not recognised: Date of birth, Target specialty or center.")
    expect(manager.get_by_label("Фамилия")).to_have_value("last_name")  # what was recognised is preset
    expect(manager.get_by_label("Возраст")).to_have_value("")
    live_server.screenshot(manager, "referral-columns-01-step")
    manager.get_by_label("Родился").select_option(label="Date of birth")
    manager.get_by_label("Консультация").select_option(label="Target specialty or center")
    manager.get_by_role("button", name="Check the table with these columns").click()

    expect(manager.locator(".summary")).to_contain_text("Rows: 3; without errors: 2; with errors: 1.")
    expect(manager.locator(".ignored li")).to_have_text(["Возраст"])
    anna = manager.locator("tr.good-row[data-line='2'] td[data-field=diagnosis_code]")
    expect(anna).to_contain_text("С50.4")
    expect(anna.locator(".icd-title")).to_have_text("Malignant neoplasm: Upper-outer quadrant of breast")
    bad = manager.locator("tr.bad-row")
    expect(bad).to_have_count(1)
    expect(bad.locator("td.problems")).to_have_text(
        "Date of birth: there is no such date: 31.02.1970; Diagnosis: Z99 alone does not say the diagnosis "
        "(a heading, “other” or “unspecified”): write it in words.")
    expect(bad.locator("td[data-field=last_name]")).to_have_text("=Кузнецова")  # as typed
    live_server.screenshot(manager, "referral-columns-02-preview")

    with manager.expect_download() as download_info:
        manager.get_by_role("link", name="Download the rows with errors (CSV) to send back").click()
    sent_back = list(csv.reader(io.StringIO(download_info.value.path().read_text(encoding="utf-8-sig")), delimiter=";"))
    assert sent_back[0][-1] == "What is wrong" and sent_back[0][2] == "Родился"
    assert sent_back[1][0] == "'=Кузнецова" and sent_back[1][2] == "31.02.1970"

    manager.get_by_role("button", name="Import 2 rows without errors").click()
    expect(manager.locator("#import-status")).to_have_text("imported", timeout=30000)
    expect(manager.locator("#count-started")).to_have_text("2")

    # Next month's table from the same institution: same headers, new patient, no column step.
    newcomer = dict(RECORDS[2], email="vera.k@example.ru", snils="", oms_policy="")
    upload(manager, base, table_bytes(UNKNOWN, [newcomer], fmt="cp1251;"), "oblast-yanvar.csv")
    expect(manager.locator(".summary")).to_contain_text("Rows: 1; without errors: 1; with errors: 0.")
    expect(manager.locator("#columns-missing")).to_have_count(0)
    live_server.screenshot(manager, "referral-columns-03-next-table")
