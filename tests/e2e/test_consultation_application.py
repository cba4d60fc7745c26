"""Route 1 in two browsers: the patient uploads documents, chooses a medical center by its profile and
fills the application; the doctor of the center reads it with the documents and first asks for one more
document, which the patient sees with the doctor's message and sends; the doctor then schedules from
their own free times; the patient accepts the consent and joins in the window; the doctor marks the
session held and writes the conclusion; the patient downloads the signed conclusion from History.

Bad input on the way, each with a clear message and nothing changed: a file that is not what its name
says, an application to a center without the chosen specialty (a stale or altered form), a second
"ask for more documents" without saying which."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.consultations.models import Consultation
from engine.documents.models import Document
from engine.registry.models import Slot, Ticket
from tests.e2e import consultation_fixtures as shared
from tests.e2e.consultation_fixtures import (
    PDF,
    consultation,
    consultation_id_of,
    download_signed_conclusion,
    login,
    open_task,
    produce,
    submit_task,
)

pytestmark = pytest.mark.e2e
consult_server = shared.consult_server  # the shared fixture, used by name
REHAB = "Окружной клинический лечебно-реабилитационный центр"
NEUROLOGY = "Врач-невролог"


def _count(server, model, **where):
    with server.app.extensions["carepath"].sessions() as session:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return session.scalar(query)


def _upload(page, url, name, body):
    page.goto(f"{url}/consultations/documents")
    page.set_input_files("input[name=files]", files=[{"name": name, "mimeType": "application/pdf", "buffer": body}])
    page.get_by_role("button", name="Save").click()


def _profile_age() -> str:
    """The demo patient's age by her profile's birth date (the form fills it in and refuses another)."""
    from engine.clock import now
    from engine.consultations.service import years_on
    from engine.demo import DEMO_PEOPLE

    return str(years_on(DEMO_PEOPLE[0][4], now().date()))


def _fill_application(page):
    assert page.locator("#age").input_value() == _profile_age()  # from the profile's birth date
    page.locator("#diagnosis_code").fill("G43.0")
    page.locator("#diagnosis_text").fill("Мигрень без ауры")
    page.locator("#complaints").fill("Головные боли по утрам, 3–4 раза в неделю")


def test_a_patient_applies_to_a_center_and_downloads_the_signed_conclusion(consult_server, new_context):
    server, test_clock = consult_server
    url = server.url
    patient = login(new_context(), url, "patient@example.org")

    # Documents first. A file named .pdf that is not a PDF is refused and nothing is stored.
    _upload(patient, url, "discharge.pdf", b"MZ\x90\x00 this is a program, not a PDF")
    assert "is not an accepted file type" in patient.content()
    assert _count(server, Document) == 0
    _upload(patient, url, "discharge.pdf", PDF + b"discharge summary")
    assert "Uploaded: 1 file(s)." in patient.content()
    assert "discharge.pdf" in patient.locator("table.documents").inner_text()

    patient.goto(f"{url}/consultations/apply")
    center = patient.locator(".center").filter(has_text=REHAB)
    assert NEUROLOGY in center.inner_text()  # the center's profile of specialties is shown
    _fill_application(patient)
    server.screenshot(patient, "consultation_application_form")

    # A center without the chosen specialty (a stale form, or one altered by hand): refused, nothing sent.
    # Specialties without a doctor who reviews applications are shown but cannot be chosen.
    other = patient.locator(".center").filter(has_not_text=REHAB).locator("input[name=choice]").first
    assert other.is_disabled()
    assert "no doctor takes applications now" in patient.locator(".center").filter(has_not_text=REHAB).first.inner_text()
    foreign_specialty = other.get_attribute("data-specialty")
    radio = center.get_by_label(NEUROLOGY)
    radio.evaluate("(el, s) => { el.value = el.dataset.center + ':' + s; }", foreign_specialty)
    radio.check()
    patient.get_by_role("button", name="Send the application").click()
    assert "does not consult in this specialty" in patient.content()
    assert _count(server, Consultation) == 0
    assert _count(server, Document, status="draft") == 1  # still the patient's to withdraw
    assert patient.locator("#diagnosis_text").input_value() == "Мигрень без ауры"  # what was typed is kept
    # An age that contradicts the profile's birth date is refused with the age it gives; nothing is sent.
    patient.locator("#age").fill("30")
    center.get_by_label(NEUROLOGY).check()
    patient.get_by_role("button", name="Send the application").click()
    assert f"By the birth date in your profile, your age is {_profile_age()}." in patient.content()
    assert _count(server, Consultation) == 0
    assert patient.locator("#age").input_value() == "30"  # what was typed is kept, to correct
    patient.locator("#age").fill(_profile_age())

    center.get_by_label(NEUROLOGY).check()
    patient.get_by_role("button", name="Send the application").click()
    patient.wait_for_url("**/consultations/*")
    consultation_id = consultation_id_of(patient)
    assert "Under review" in patient.content()
    assert "discharge.pdf" in patient.content()

    # The doctor reads the application with its documents and asks for one more.
    doctor = login(new_context(), url, "doctor@example.org")
    open_task(doctor, url, "Review the application")
    review = doctor.locator("main")
    server.screenshot(doctor, "consultation_review_with_documents")
    assert "G43.0" in review.inner_text() and "discharge.pdf" in review.inner_text()
    # An incomplete decision is refused by the form next to the missing field: no "Done", the task is not
    # completed (no identical task comes back), nothing reaches the patient, nothing is booked.
    task_url = doctor.url
    doctor.get_by_label("Schedule the consultation").check()
    submit_task(doctor)
    assert "Done:" not in doctor.content() and doctor.url == task_url
    assert "Choose a time slot." in doctor.locator(".cp-field", has=doctor.locator("input[name=slot_id]").first).inner_text()
    assert consultation(server, consultation_id).slot_id is None
    doctor.get_by_label("Ask for more documents").check()
    submit_task(doctor)
    assert "Done:" not in doctor.content()
    assert "This field is required." in doctor.locator(".cp-field", has=doctor.locator("textarea[name=message]")).inner_text()
    assert consultation(server, consultation_id).status == "under_review"
    doctor.get_by_label("Ask for more documents").check()
    doctor.locator("textarea[name=message]").fill("Пришлите, пожалуйста, заключение МРТ головного мозга.")
    submit_task(doctor)

    patient.goto(f"{url}/consultations/{consultation_id}")
    assert "More documents requested" in patient.content()
    assert "заключение МРТ головного мозга" in patient.locator("#doctor-asks").inner_text()
    server.screenshot(patient, "consultation_more_documents_patient")
    # Sent from the consultation page: submitted at once (no longer deletable) and readable by the doctor.
    patient.set_input_files("input[name=file]", files=[{"name": "mri.pdf", "mimeType": "application/pdf",
                                                         "buffer": PDF + b"MRI report"}])
    patient.locator("#send-file").click()
    assert "The file is attached to the consultation." in patient.content()
    assert "mri.pdf" in patient.locator("#docs-title + ul").inner_text()
    patient.get_by_role("link", name="Upload the requested documents").click()  # straight to the task
    assert "заключение МРТ головного мозга" in patient.content()
    server.screenshot(patient, "consultation_more_documents_task")
    patient.check("input[name=uploaded]")
    patient.fill("input[name=note]", "МРТ от 10.11, заключение приложено")
    submit_task(patient)
    patient.goto(f"{url}/consultations/{consultation_id}")
    assert "Under review" in patient.content() and "The doctor asks for more documents" not in patient.content()

    # Both documents reach the doctor, who now schedules from their own free times.
    open_task(doctor, url, "Review the application")
    assert "mri.pdf" in doctor.locator("main").inner_text()
    assert "МРТ от 10.11, заключение приложено" in doctor.locator("main").inner_text()  # the patient's note
    assert doctor.locator("textarea[name=message]").input_value() == ""  # the last request is not offered again
    doctor.get_by_label("Schedule the consultation").check()
    first_time = doctor.locator("input[name=slot_id]").first
    first_time.check()
    server.screenshot(doctor, "consultation_schedule_slot_picker")
    submit_task(doctor)
    booked = consultation(server, consultation_id)
    assert booked.status == "scheduled" and booked.starts_at is not None

    patient.goto(f"{url}/consultations/{consultation_id}")
    assert "Scheduled" in patient.content()

    # The consultation's time is also a registry ticket; the registry's own cancel must not free it
    # behind the consultation's back: it leads to the consultation's cancellation (with a reason).
    # It is listed as an online consultation, apart from the clinic tickets (no address, no ticket cancel).
    patient.goto(f"{url}/registry/my")
    assert patient.locator(f"a[href$='/my/tickets/{booked.ticket_id}/cancel']").count() == 0
    assert patient.locator("article.online-appointment").filter(
        has_text=f"Online consultation No. {consultation_id}").count() == 1
    patient.goto(f"{url}/registry/my/tickets/{booked.ticket_id}/cancel")  # an old link still leads there
    patient.wait_for_url(f"**/consultations/{consultation_id}*")
    assert f"This time belongs to online consultation No. {consultation_id}" in patient.content()
    assert patient.get_by_role("button", name="Cancel the consultation").is_visible()
    token = patient.locator("input[name=csrf_token]").first.get_attribute("value")
    response = patient.request.post(f"{url}/registry/my/tickets/{booked.ticket_id}/cancel",
                                    form={"csrf_token": token}, max_redirects=0)  # a confirmed "Yes" too
    assert response.status == 302 and f"/consultations/{consultation_id}" in response.headers["location"]
    with server.app.extensions["carepath"].sessions() as session:
        assert session.get(Ticket, booked.ticket_id).status == "confirmed"
        assert session.get(Slot, booked.slot_id).status == "booked"
    assert consultation(server, consultation_id).status == "scheduled"

    open_task(patient, url, "Accept the informed voluntary consent")
    patient.check("input[name=consent_accepted]")
    submit_task(patient)
    patient.wait_for_url(f"**/consultations/{consultation_id}")  # back on the consultation, not an empty inbox
    assert consultation(server, consultation_id).consent_at is not None

    shared.join_hold_and_conclude(server, test_clock, patient, doctor, consultation_id, booked, (
        "G43.0", "Мигрень без ауры",
        "Неврологический статус без очаговой симптоматики",
        "Дневник головной боли, контроль АД",
    ))

    produce(server)
    download_signed_conclusion(patient, url)
    server.screenshot(patient, "consultation_application_history")
    assert "G43.0" in patient.locator("main").inner_text()

    # In Russian the ICD-10 title already says the patient's words: the diagnosis is shown once.
    patient.get_by_role("button", name="Русский").click()
    patient.goto(f"{url}/consultations/{consultation_id}")
    diagnosis = patient.locator("dt", has_text="Диагноз").locator("xpath=following-sibling::dd[1]").inner_text()
    assert diagnosis.startswith("G43.0 (Мигрень без ауры") and diagnosis.count("Мигрень без ауры") == 1, diagnosis
