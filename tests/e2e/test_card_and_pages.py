"""In Chromium: the patient and their doctor open the patient card and filter it, a doctor of other
patients gets 404; a manager writes an information page, and readers see it from the menu in Russian
and in English."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.accounts.models import ACTIVE, User, UserRole
from engine.accounts.service import hash_password
from engine.clock import now
from engine.consultations.models import SCHEDULED, Consultation
from engine.demo import demo_email
from tests.e2e.conftest import DEMO_PASSWORD, in_transaction
from tests.e2e.test_accessibility import _axe

pytestmark = pytest.mark.e2e


def log_in(page, url: str, email: str) -> None:
    page.goto(f"{url}/account/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page.locator("form[action$='/account/logout']")).to_have_count(1)


def switch_to(page, language: str) -> None:
    page.locator(f"form.lang button[lang={language}]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


@pytest.fixture(scope="module")
def people(live_server) -> dict[str, int]:
    def build(session) -> dict[str, int]:
        patient = session.scalar(select(User).where(User.email == demo_email("patient")))
        doctor = session.scalar(select(User).where(User.email == demo_email("doctor")))
        stranger = User(email="stranger.doctor@example.org", last_name="Stranger", first_name="Sam", status=ACTIVE,
                        password_hash=hash_password(DEMO_PASSWORD), email_confirmed_at=now(), locale="en")
        stranger.roles = [UserRole(role="doctor")]
        session.add(stranger)
        starts = now() + timedelta(days=3)
        session.add(Consultation(route="application", status=SCHEDULED, patient_id=patient.id,
                                 doctor_user_id=doctor.id, diagnosis_code="I10", diagnosis_text="Hypertension",
                                 starts_at=starts, ends_at=starts + timedelta(minutes=30)))
        session.flush()
        return {"patient": patient.id, "doctor": doctor.id}

    return in_transaction(live_server.app.extensions["carepath"].sessions, build)


def test_the_patient_and_their_doctor_see_the_card_and_a_stranger_gets_404(live_server, new_context, people):
    url = live_server.url
    patient = new_context().new_page()
    log_in(patient, url, demo_email("patient"))
    switch_to(patient, "en")
    patient.locator("nav a", has_text="My patient card").click()
    expect(patient.locator("h1")).to_have_text("My patient card")
    expect(patient.locator("tr.card-diagnosis")).to_contain_text("I10")
    expect(patient.locator("tr.card-diagnosis")).to_contain_text("Essential (primary) hypertension")
    assert _axe(patient) == []

    doctor = new_context().new_page()
    log_in(doctor, url, demo_email("doctor"))
    switch_to(doctor, "en")
    doctor.goto(f"{url}/card/patients/{people['patient']}")
    doctor.select_option("#card-kind", "consultation")
    doctor.locator("form.card-filter button[type=submit]").click()
    expect(doctor.locator("tr.card-entry")).to_have_count(1)
    expect(doctor.locator("tr.card-consultation a")).to_have_attribute("href", f"/consultations/{_consultation(live_server)}")
    live_server.screenshot(doctor, "patient-card-doctor")

    stranger = new_context().new_page()
    log_in(stranger, url, "stranger.doctor@example.org")
    response = stranger.goto(f"{url}/card/patients/{people['patient']}")
    assert response is not None and response.status == 404


def _consultation(live_server) -> int:
    def find(session) -> int:
        return session.scalar(select(Consultation.id).where(Consultation.diagnosis_text == "Hypertension"))

    return in_transaction(live_server.app.extensions["carepath"].sessions, find)


def test_a_manager_writes_a_page_and_readers_see_it_in_russian_and_english(live_server, new_context):
    url = live_server.url
    manager = new_context().new_page()
    log_in(manager, url, demo_email("manager"))
    switch_to(manager, "en")
    manager.goto(f"{url}/info/manage/new")
    manager.fill("#slug", "contacts")
    manager.fill("#title_ru", "Контакты")
    manager.fill("#body_ru", "Телефон колл-центра: **8 800 100-00-00**")
    manager.fill("#title_en", "Contacts")
    manager.fill("#body_en", "Call-centre phone: **8 800 100-00-00** <script>document.title='hacked'</script>")
    manager.locator("#info-form button[type=submit]").click()
    expect(manager.locator("h1")).to_have_text("Contacts")
    manager.goto(f"{url}/info/manage/contacts/edit")
    manager.fill("#body_en", "Call-centre phone: **8 800 100-00-00**, every day 8:00–20:00")
    manager.locator("#info-form button[type=submit]").click()
    expect(manager.locator(".flash")).to_contain_text("Version 2 is published.")

    reader = new_context(locale="ru-RU").new_page()
    reader.goto(f"{url}/feedback/")
    switch_to(reader, "ru")
    reader.locator("nav a.info-link", has_text="Контакты").click()
    expect(reader.locator("h1")).to_have_text("Контакты")
    expect(reader.locator(".info-body strong")).to_have_text("8 800 100-00-00")
    switch_to(reader, "en")
    expect(reader.locator("h1")).to_have_text("Contacts")
    expect(reader.locator(".info-body")).to_contain_text("every day 8:00–20:00")
    assert reader.title() != "hacked" and _axe(reader) == []
    reader.goto(f"{url}/feedback/")
    expect(reader.locator("#contacts-link")).to_have_attribute("href", "/info/contacts")
