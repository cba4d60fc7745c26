"""Signing as Prefect runs it (the real task worker, or the sweep flow, against the test harness), and the email it leads to:
the signed PDF attached, read from the file store at delivery time."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

from engine.accounts.models import ACTIVE, User, UserRole
from engine.conclusions import service
from engine.config import load_settings
from engine.db import transaction
from integrations.mailbox import Mailbox
from reports.signing import signed_documents
from reports.verify import INTACT, verify_pdf
from tests.workflows.conftest import task_worker, wait_until  # noqa: F401, F811
from workflows import conclusions, enqueue, sweep
from workflows.resources import session_factory


def request_one(settings) -> int:
    with transaction(session_factory(settings.database_url)) as session:
        patient = User(email="anna@test.org", last_name="Иванова", first_name="Анна", status=ACTIVE, locale="ru")
        patient.roles = [UserRole(role="patient")]
        doctor = User(email="petrov@test.org", last_name="Петров", first_name="Сергей", status=ACTIVE, locale="ru")
        doctor.roles = [UserRole(role="doctor")]
        session.add_all([patient, doctor])
        session.flush()
        row = service.request_conclusion(
            session, patient_id=patient.id, doctor_id=doctor.id, reference="instance:9", diagnosis_code="I10",
            diagnosis_text="Эссенциальная гипертензия", findings="АД 160/95.", recommendations="Контроль АД.",
            follow_up="Через 4 недели.",
        )
        return row.id


def test_the_task_worker_signs_the_requested_conclusion_and_the_mail_carries_the_pdf(task_worker, instance):  # noqa: F811
    settings = load_settings()
    enqueue.wake_after_commit(session_factory(settings.database_url), settings)

    conclusion_id = request_one(instance)  # the commit wakes signing, and the signed conclusion's mail wakes delivery

    wait_until(lambda: Mailbox(instance.mailbox_path).list_messages(), timeout=120)
    assert conclusions.produce_now(instance) == 0  # nothing left to do
    mailbox = Mailbox(instance.mailbox_path)
    [entry] = mailbox.list_messages()
    assert entry.subject == f"Заключение врача № {conclusion_id} готово"  # the patient reads Russian
    mime = BytesParser(policy=policy.default).parsebytes((instance.mailbox_path / f"{entry.id}.eml").read_bytes())
    [attachment] = list(mime.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"conclusion-{conclusion_id}.pdf"
    pdf = attachment.get_content()
    root = signed_documents(instance.keys_path).ca.root_certificate()
    assert verify_pdf(pdf, [root]).state == INTACT
    assert "/history" in mime.get_body(preferencelist=("plain",)).get_content()


def test_the_sweep_signs_a_conclusion_whose_wake_was_lost(prefect_harness, instance):
    request_one(instance)

    first, second = sweep.sweep(), sweep.sweep()

    assert (first["documents"], first["outbox"]["sent"]) == (1, 1)  # signed, and its mail sent in the same run
    assert (second["documents"], second["outbox"]["sent"]) == (0, 0)
