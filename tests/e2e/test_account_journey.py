"""A person registers, confirms from the mailbox, edits the profile, reads the journal and logs out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.e2e


def open_mail(admin_page, base: str, subject: str, to: str) -> str:
    """As the admin, find the newest message to `to` in the local mailbox; returns its first link."""
    for _ in range(40):
        admin_page.goto(f"{base}/admin/mailbox")
        row = admin_page.locator("tr.mail-row", has_text=to).filter(has_text=subject)
        if row.count():
            row.first.get_by_role("link").click()
            return admin_page.locator(".mail-body a").first.get_attribute("href")
        admin_page.wait_for_timeout(250)
    raise AssertionError(f"no '{subject}' message to {to} arrived in the mailbox")


def login(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_a_patient_registers_confirms_edits_the_profile_and_reads_the_journal(live_server, new_context):
    base = live_server.url
    patient = new_context().new_page()
    admin = new_context().new_page()

    patient.goto(f"{base}/account/register")
    patient.get_by_label("Surname").fill("Лебедева")
    patient.get_by_label("First name").fill("Ирина")
    patient.get_by_label("Date of birth").fill("1975-03-09")
    patient.get_by_label("Email").fill("irina@example.net")
    patient.get_by_label("Mobile phone").fill("+7 912 000-11-22")
    patient.locator("#password").fill("my own long secret")
    patient.get_by_label("Password again").fill("my own long secret")
    patient.get_by_label("I consent to the processing of my personal data").check()
    live_server.screenshot(patient, "01-registration")
    patient.get_by_role("button", name="Register").click()
    expect(patient.get_by_role("status")).to_contain_text("we have sent you an email")

    login(admin, base, "admin@example.org", DEMO_PASSWORD)
    link = open_mail(admin, base, "Confirm", "irina@example.net")
    live_server.screenshot(admin, "02-mailbox-message")
    assert re.search(r"/account/confirm/[\w-]+$", link)

    patient.goto(link)
    expect(patient.get_by_role("status")).to_contain_text("Your email is confirmed")
    login(patient, base, "irina@example.net", "my own long secret")
    expect(patient.get_by_role("heading", level=1)).to_have_text("Hello, Ирина!")
    live_server.screenshot(patient, "03-cabinet")

    patient.get_by_role("link", name="Profile").first.click()
    patient.get_by_label("Patronymic (if any)").fill("Олеговна")
    patient.get_by_label("SNILS").fill("11223344595")
    patient.get_by_label("SMS reminders (appointments and medication)").check()
    patient.get_by_role("button", name="Save").click()
    expect(patient.get_by_role("status").first).to_contain_text("Profile saved")
    expect(patient.get_by_label("SNILS")).to_have_value("112-233-445 95")
    live_server.screenshot(patient, "04-profile")

    patient.get_by_role("link", name="Journal").first.click()
    rows = patient.locator("tr.audit-row")
    expect(rows.first).to_contain_text("Profile changed")
    expect(rows.filter(has_text="Logged in").first).to_contain_text("127.0.0.1")
    expect(rows.filter(has_text="Email confirmed")).to_have_count(1)
    live_server.screenshot(patient, "05-journal")

    patient.get_by_role("button", name="Log out").click()
    expect(patient.get_by_role("status")).to_contain_text("You have logged out")
    assert patient.url.endswith("/account/login")
    live_server.screenshot(patient, "06-logged-out")


def test_the_cabinet_speaks_russian_to_a_russian_browser(live_server, new_context):
    page = new_context(locale="ru-RU").new_page()
    page.goto(f"{live_server.url}/account/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Вход в личный кабинет")
    page.get_by_label("Электронная почта").fill("patient@example.org")
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Здравствуйте, Мария!")
    live_server.screenshot(page, "07-cabinet-ru")
