"""A referral's review in the queue of the receiving center's doctors of the specialty, in three browsers:
both neurologists of the center see it, one takes it, the other no longer sees it (and may not open it),
a doctor of another specialty gets 404 on the task and the consultation; the taker schedules from their
own times and becomes the consultation's doctor."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from engine.accounts.models import ACTIVE, User, UserRole
from engine.accounts.service import hash_password
from engine.clock import now
from engine.composition import build_connectors
from engine.consultations import service
from engine.consultations.models import Consultation
from engine.documents import service as documents
from engine.documents.storage import FileStore
from engine.registry.demo import DEMO_DOCTOR_NAME
from engine.registry.models import Doctor, DoctorPost, Slot, Specialty
from engine.workflow import Actor, complete_task
from engine.workflow.models import PendingTask
from tests.e2e import consultation_fixtures as shared
from tests.e2e.conftest import DEMO_PASSWORD, in_transaction
from tests.e2e.consultation_fixtures import PDF, consultation, login

pytestmark = pytest.mark.e2e
consult_server = shared.consult_server  # the shared fixture, used by name
COLLEAGUE, OPHTHALMOLOGIST = "second.neurologist@example.org", "eye.doctor@example.org"


def _doctor_like_the_demo_one(session, email: str, last_name: str, specialty_id: int | None) -> list[int]:
    """A doctor account at the demo neurologist's center, with that post's specialty or another one;
    returns the free slots of the new post (three, days ahead)."""
    user = User(email=email, last_name=last_name, first_name="Ирина", patronymic="", birth_date=date(1980, 1, 1),
                status=ACTIVE, email_confirmed_at=now(), created_at=now(), locale="ru",
                password_hash=hash_password(DEMO_PASSWORD))
    user.roles = [UserRole(role="doctor")]
    session.add(user)
    session.flush()
    last, first, _ = DEMO_DOCTOR_NAME.split(" ")
    demo = session.scalars(select(Doctor).where(Doctor.last_name == last, Doctor.first_name == first,
                                                Doctor.user_id.is_not(None))).first()
    neuro = next(p for p in demo.posts if "невролог" in p.specialty.name.lower())
    doctor = Doctor(institution_id=demo.institution_id, last_name=last_name, first_name="Ирина", user_id=user.id)
    session.add(doctor)
    session.flush()
    post = DoctorPost(doctor_id=doctor.id, department_id=neuro.department_id,
                      specialty_id=specialty_id or neuro.specialty_id)
    session.add(post)
    session.flush()
    ids = []
    for hours in (0, 1, 2):
        at = (now() + timedelta(days=3, hours=hours)).replace(second=0, microsecond=0)
        slot = Slot(post_id=post.id, doctor_id=doctor.id, department_id=post.department_id,
                    specialty_id=post.specialty_id, institution_id=demo.institution_id, starts_at=at,
                    ends_at=at + timedelta(minutes=30), status="free")
        session.add(slot)
        session.flush()
        ids.append(slot.id)
    return ids


def _referral_with_documents(server) -> tuple[int, int]:
    """(instance, consultation) of a neurology referral of the demo patient whose documents have arrived."""
    sessions, connectors = server.app.extensions["carepath"].sessions, build_connectors(server.settings)
    with sessions() as session:
        patient = session.scalars(select(User.id).where(User.email == "patient@example.org")).one()
        manager = session.scalars(select(User.id).where(User.email == "manager@example.org")).one()
    instance = service.start_referral(sessions, Actor(manager, frozenset({"manager"})), {
        "patient_id": patient, "referral_id": "R-Q1", "diagnosis_code": "G40.1", "diagnosis_text": "Эпилепсия",
        "target": "Неврология", "manager_id": manager}, connectors=connectors)
    in_transaction(sessions, lambda session: documents.upload(
        session, FileStore(server.settings.uploads_path), patient_id=patient, uploader_id=patient,
        filename="eeg.pdf", data=PDF + b"EEG"))
    with sessions() as session:
        upload = session.scalars(select(PendingTask).where(PendingTask.instance_id == instance,
                                                          PendingTask.task_name == "upload")).one()
        opened = session.scalars(select(Consultation.id).where(Consultation.process_instance_id == instance)).one()
    complete_task(sessions, Actor(patient, frozenset({"patient"})), instance, upload.task_guid, {"uploaded": True},
                  connectors=connectors)
    return instance, opened


def _review_link(page, url):
    page.goto(f"{url}/tasks/")
    return page.locator("a", has_text="Review the application")


def test_one_doctor_of_the_queue_takes_the_review_and_the_others_lose_it(consult_server, new_context):
    server, _clock = consult_server
    url, sessions = server.url, server.app.extensions["carepath"].sessions
    with sessions() as session:
        eye = session.scalars(select(Specialty.id).where(Specialty.name.ilike("%офтальмолог%"))).first()
    slots = in_transaction(sessions, lambda s: _doctor_like_the_demo_one(s, COLLEAGUE, "Невролог", None))
    in_transaction(sessions, lambda s: _doctor_like_the_demo_one(s, OPHTHALMOLOGIST, "Окулист", eye))
    _instance, consultation_id = _referral_with_documents(server)

    demo_doctor = login(new_context(), url, "doctor@example.org")
    colleague = login(new_context(), url, COLLEAGUE)
    outsider = login(new_context(), url, OPHTHALMOLOGIST)
    assert _review_link(demo_doctor, url).count() == 1 and _review_link(colleague, url).count() == 1
    assert _review_link(outsider, url).count() == 0
    task_url = _review_link(colleague, url).first.get_attribute("href")
    assert outsider.goto(f"{url}{task_url}").status == 404  # another specialty learns nothing of it
    assert outsider.goto(f"{url}/consultations/{consultation_id}").status == 404
    assert colleague.goto(f"{url}/consultations/{consultation_id}").status == 200  # reads it before taking it

    colleague.goto(f"{url}{task_url}")
    colleague.get_by_role("button", name="Take this task").click()
    assert "The task is yours now" in colleague.content()
    server.screenshot(colleague, "referral_queue_taken")
    assert _review_link(demo_doctor, url).count() == 0  # taken: the colleague no longer sees it
    assert demo_doctor.goto(f"{url}{task_url}").status == 403
    assert demo_doctor.goto(f"{url}/consultations/{consultation_id}").status == 404

    colleague.goto(f"{url}{task_url}")
    assert "eeg.pdf" in colleague.locator("main").inner_text()
    colleague.get_by_label("Schedule the consultation").check()
    colleague.locator(f"input[name=slot_id][value='{slots[1]}']").check()  # the taker's own times
    shared.submit_task(colleague)
    booked = consultation(server, consultation_id)
    with sessions() as session:
        taker = session.scalars(select(User.id).where(User.email == COLLEAGUE)).one()
        assert session.get(Slot, slots[1]).status != "free"
    assert booked.status == "scheduled" and booked.doctor_user_id == taker
