"""The conclusions flow as Prefect runs it (the session's test harness), and the email it leads to:
the signed PDF attached, read from the file store at delivery time."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

from engine.accounts.models import ACTIVE, User, UserRole
from engine.conclusions import service
from engine.db import transaction
from integrations.mailbox import Mailbox
from reports.signing import signed_documents
from reports.verify import INTACT, verify_pdf
from workflows import conclusions
from workflows.dispatch import deliver_now
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


def test_the_flow_run_signs_the_pending_conclusion_and_the_mail_carries_the_pdf(prefect_harness, instance):
    conclusion_id = request_one(instance)

    assert conclusions.produce_conclusions() == 1
    assert conclusions.produce_conclusions() == 0  # a second run finds nothing left to do
    report = deliver_now(instance)

    assert report.sent == 1
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


def test_the_batch_task_logic_runs_without_prefect(instance):
    request_one(instance)

    assert conclusions.produce_batch.fn(limit=10) == 1
    assert conclusions.produce_batch.fn(limit=10) == 0


def test_the_served_deployments_include_the_conclusions_flow():
    from workflows.deployments import CONCLUSIONS_RUN, deployments

    names = {d.name for d in deployments()}

    assert "conclusions" in names
    assert CONCLUSIONS_RUN == "produce-conclusions/conclusions"
