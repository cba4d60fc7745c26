"""Route 3 in three browsers: the manager imports a referral table with one row (the referral import page
starts `consultation_referral` for the patient); the referred patient activates the account from the
mailbox, finds the task, uploads documents and confirms; the doctor of the target center reviews the
referral with the documents and schedules from their own free times; the patient accepts the consent
and joins in the window; the doctor marks the session held and writes the conclusion; the patient
downloads the signed conclusion from History.

Bad input on the way: confirming before any document arrived (asked again, nothing sent to the doctor),
a file that is not what its name says (refused, nothing stored), another patient's consultation (404)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.accounts.models import User
from engine.consultations.models import Consultation
from engine.documents.models import Document
from tests.e2e import consultation_fixtures as shared
from tests.e2e.consultation_fixtures import (
    PDF,
    consultation,
    download_signed_conclusion,
    login,
    open_task,
    produce,
    submit_task,
)
from tests.e2e.test_account_journey import open_mail
from tests.referrals.conftest import csv_table

pytestmark = pytest.mark.e2e
consult_server = shared.consult_server  # the shared fixture, used by name
EMAIL = "lev.orlov@example.ru"
PASSWORD = "referred patient secret"
ROW = ("Орлов", "Лев", "Николаевич", "14.05.1958", "М", "+7 912 555-44-33", EMAIL, "112-233-445 95", "",
       "G40.1", "Эпилепсия, фокальные приступы", 'БУ ХМАО-Югры "Окружная клиническая больница"', "Петров П. П.", "Неврология", "")


def _referred(server) -> Consultation:
    with server.app.extensions["carepath"].sessions() as session:
        patient_id = session.scalars(select(User.id).where(User.email == EMAIL)).one()
        found = session.scalars(select(Consultation).where(Consultation.patient_id == patient_id)).one()
        session.expunge(found)
        return found


def _documents(server, patient_id: int) -> list[Document]:
    with server.app.extensions["carepath"].sessions() as session:
        return list(session.scalars(select(Document).where(Document.patient_id == patient_id)))


def test_a_referred_patient_is_consulted_and_downloads_the_signed_conclusion(consult_server, new_context):
    server, test_clock = consult_server
    url = server.url

    # The manager imports one referral row; the import starts the pathway for that patient.
    manager = login(new_context(), url, "manager@example.org")
    manager.goto(f"{url}/referrals/")
    manager.get_by_label("Table (CSV or XLSX)").set_input_files(
        {"name": "napravleniya.csv", "mimeType": "text/csv", "buffer": csv_table([ROW])})
    manager.get_by_role("button", name="Check the table").click()
    server.screenshot(manager, "consultation_referral_import_preview")
    manager.get_by_role("button", name=re.compile(r"^Import 1 row")).click()
    expect(manager.locator("#import-status")).to_have_text("imported", timeout=30000)
    expect(manager.locator("#count-started")).to_have_text("1")
    referred = _referred(server)
    assert referred.route == "referral" and referred.status == "awaiting_documents"

    # The patient activates the account from the mail and finds the task.
    admin = login(new_context(), url, "admin@example.org")
    link = open_mail(admin, url, "You have been referred for an online consultation", EMAIL)
    patient = new_context().new_page()
    patient.goto(link)
    patient.locator("#password").fill(PASSWORD)
    patient.locator("#password_again").fill(PASSWORD)
    patient.get_by_role("button", name="Save the password").click()
    patient = login(patient.context, url, EMAIL, PASSWORD)
    # The cabinet's home shows what waits for the patient (not "Nothing is assigned yet").
    patient.goto(f"{url}/cabinet/")
    waiting = patient.locator("section.waiting-tasks")
    assert waiting.get_by_role("link", name="Upload your medical documents").count() == 1
    assert "Nothing is assigned yet" not in patient.content()
    patient.goto(f"{url}/consultations/{referred.id}")
    assert "Waiting for your documents" in patient.content()
    patient.get_by_role("link", name="Upload your medical documents").click()
    assert "G40.1" in patient.content()
    server.screenshot(patient, "consultation_referral_upload_task")

    # Confirming before any document arrived: the form refuses it next to the box, the task stays open
    # (no "Done", no loop) and nothing goes to the doctor.
    task_url = patient.url
    patient.check("input[name=uploaded]")
    submit_task(patient)
    assert "Done:" not in patient.content()
    assert "You have not uploaded any documents yet" in patient.locator(".cp-field", has=patient.locator(
        "input[name=uploaded]")).inner_text()
    assert patient.url == task_url
    assert consultation(server, referred.id).status == "awaiting_documents"

    # A file that is not what its name says is refused; the real one is kept as a draft until sent.
    patient.goto(f"{url}/consultations/documents")
    patient.set_input_files("input[name=files]", files=[
        {"name": "eeg.png", "mimeType": "image/png", "buffer": b"GIF89a not really a PNG"}])
    patient.get_by_role("button", name="Save").click()
    assert "is not an accepted file type" in patient.content()
    assert _documents(server, referred.patient_id) == []
    patient.set_input_files("input[name=files]", files=[
        {"name": "eeg.pdf", "mimeType": "application/pdf", "buffer": PDF + b"EEG report"}])
    patient.get_by_role("button", name="Save").click()
    assert "Not sent yet" in patient.locator("table.documents").inner_text()
    open_task(patient, url, "Upload your medical documents")
    patient.check("input[name=uploaded]")
    submit_task(patient)
    assert consultation(server, referred.id).status == "under_review"
    assert [d.status for d in _documents(server, referred.patient_id)] == ["submitted"]  # no longer deletable

    # The doctor of the target center reviews the referral with the documents and schedules.
    doctor = login(new_context(), url, "doctor@example.org")
    open_task(doctor, url, "Review the application")
    review = doctor.locator("main").inner_text()
    assert "Орлов Лев Николаевич" in review and "G40.1" in review and "eeg.pdf" in review
    server.screenshot(doctor, "consultation_referral_review")
    doctor.get_by_label("Schedule the consultation").check()
    doctor.locator("input[name=slot_id]").nth(2).check()
    submit_task(doctor)
    booked = consultation(server, referred.id)
    assert booked.status == "scheduled" and booked.doctor_user_id is not None

    # Someone else's consultation is "no such consultation".
    other = login(new_context(), url, "patient@example.org")
    assert other.goto(f"{url}/consultations/{referred.id}").status == 404

    patient.goto(f"{url}/consultations/{referred.id}")
    patient.get_by_role("link", name="Accept the informed voluntary consent").first.click()
    patient.check("input[name=consent_accepted]")
    submit_task(patient)
    shared.join_hold_and_conclude(server, test_clock, patient, doctor, referred.id, booked, (
        "G40.1", "Эпилепсия, фокальные приступы",
        "Приступы реже 1 раза в месяц, ЭЭГ без отрицательной динамики",
        "Продолжить терапию, дневник приступов",
    ))

    produce(server)
    download_signed_conclusion(patient, url)
    assert "G40.1" in patient.locator("main").inner_text()
    server.screenshot(patient, "consultation_referral_history")
