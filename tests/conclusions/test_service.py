"""Requesting and producing signed documents through the engine service, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import outbox
from engine.accounts.models import ACTIVE, User, UserRole
from engine.composition import build_connectors
from engine.conclusions import service
from engine.conclusions.models import FAILED, MAX_ATTEMPTS, PENDING, RENDERED, Conclusion, ConsentDocument
from engine.conclusions.texts import telemedicine_consent
from engine.db import transaction
from engine.documents import service as documents
from engine.documents.models import Document
from engine.documents.storage import FileStore
from engine.i18n import UserError
from engine.workflow.connectors import InstanceContext
from reports.verify import INTACT, verify_pdf

BASE = "https://carepath.test"


def person(session, email: str, role: str, **fields) -> User:
    user = User(email=email, last_name=fields.pop("last_name", "Иванова"), first_name=fields.pop("first_name", "Анна"),
                status=ACTIVE, locale=fields.pop("locale", "ru"), **fields)
    user.roles = [UserRole(role=role)]
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def people(sessions):
    with transaction(sessions) as session:
        patient = person(session, "anna@test.org", "patient", patronymic="Сергеевна")
        doctor = person(session, "petrov@test.org", "doctor", last_name="Петров", first_name="Сергей",
                        patronymic="Николаевич")
        other = person(session, "other-doctor@test.org", "doctor", last_name="Смирнов", first_name="Олег")
        return patient.id, doctor.id, other.id


def conclusion_fields(**changes):
    fields = dict(reference="instance:12", diagnosis_code="I10", diagnosis_text="Эссенциальная гипертензия",
                  findings="АД 160/95.", recommendations="Контроль АД.", follow_up="Через 4 недели.")
    fields.update(changes)
    return fields


def request(sessions, patient_id, doctor_id, **changes) -> int:
    with transaction(sessions) as session:
        row = service.request_conclusion(session, patient_id=patient_id, doctor_id=doctor_id,
                                         **conclusion_fields(**changes))
        assert session.info[service.REQUESTED_FLAG] is True
        return row.id


def test_a_requested_conclusion_waits_pending_with_an_unguessable_code(sessions, people):
    patient_id, doctor_id, _ = people

    conclusion_id = request(sessions, patient_id, doctor_id, diagnosis_code=" j45.0 ")

    with transaction(sessions) as session:
        row = session.get(Conclusion, conclusion_id)
        assert row.status == PENDING and row.document_id is None
        assert row.diagnosis_code == "J45.0"
        assert len(row.verification_code) >= 32


def test_an_icd10_code_typed_in_the_russian_layout_is_read_as_latin(sessions, people):
    patient_id, doctor_id, _ = people

    conclusion_id = request(sessions, patient_id, doctor_id, diagnosis_code="С50.1")  # Cyrillic С

    with transaction(sessions) as session:
        assert session.get(Conclusion, conclusion_id).diagnosis_code == "C50.1"


@pytest.mark.parametrize("changes", [
    {"diagnosis_code": "hypertension"},
    {"diagnosis_code": ""},
    {"findings": "   "},
    {"recommendations": ""},
    {"diagnosis_text": ""},
])
def test_a_conclusion_with_bad_fields_is_refused_and_nothing_is_written(sessions, people, changes):
    patient_id, doctor_id, _ = people

    with pytest.raises(UserError):
        request(sessions, patient_id, doctor_id, **changes)

    with transaction(sessions) as session:
        assert session.scalar(select(func.count(Conclusion.id))) == 0


def test_only_a_doctor_can_sign_a_conclusion(sessions, people):
    patient_id, _, _ = people

    with pytest.raises(UserError):
        request(sessions, patient_id, patient_id)


def test_produce_pending_signs_files_and_mails_once_however_often_it_runs(sessions, people, tmp_path, maker):
    patient_id, doctor_id, _ = people
    conclusion_id = request(sessions, patient_id, doctor_id)
    store = FileStore(tmp_path / "uploads")

    assert service.produce_pending(sessions, store, maker, BASE) == 1
    assert service.produce_pending(sessions, store, maker, BASE) == 0

    with transaction(sessions) as session:
        row = session.get(Conclusion, conclusion_id)
        assert row.status == RENDERED and row.rendered_at is not None
        assert session.scalar(select(func.count(Document.id))) == 1
        document = session.get(Document, row.document_id)
        assert (document.purpose, document.patient_id, document.reference) == ("conclusion", patient_id, "instance:12")
        mails = list(session.scalars(select(outbox.OutboxMessage)))
        assert [m.kind for m in mails] == ["conclusion_ready"]
        assert mails[0].recipient == "anna@test.org"
        assert mails[0].context["attachments"][0]["storage_key"] == document.storage_key
        assert mails[0].context["verify_link"] == f"{BASE}/verify/{row.verification_code}"
        pdf = store.read(document.storage_key)
    verdict = verify_pdf(pdf, [maker.ca.root_certificate()])
    assert verdict.state == INTACT
    assert verdict.signer_name == "Петров Сергей Николаевич"


def test_the_signing_doctor_may_read_the_conclusion_and_another_doctor_may_not(sessions, people, tmp_path, maker):
    patient_id, doctor_id, other_id = people
    request(sessions, patient_id, doctor_id)
    service.produce_pending(sessions, FileStore(tmp_path), maker, BASE)

    with transaction(sessions) as session:
        document = session.scalars(select(Document)).one()
        assert documents.may_read(session, document, patient_id)
        assert documents.may_read(session, document, doctor_id)
        assert not documents.may_read(session, document, other_id)


class Broken:
    def conclusion(self, content, *, doctor_id, doctor_name):
        raise RuntimeError("the signing key is unreadable")

    def consent(self, content):
        raise RuntimeError("the signing key is unreadable")


def test_a_failure_is_recorded_on_the_row_and_gives_up_after_the_last_attempt(sessions, people, tmp_path):
    patient_id, doctor_id, _ = people
    conclusion_id = request(sessions, patient_id, doctor_id)

    for _ in range(MAX_ATTEMPTS):
        assert service.produce_pending(sessions, FileStore(tmp_path), Broken(), BASE) == 0

    with transaction(sessions) as session:
        row = session.get(Conclusion, conclusion_id)
        assert row.status == FAILED and row.attempts == MAX_ATTEMPTS
        assert "signing key is unreadable" in row.last_error
        assert session.scalar(select(func.count(outbox.OutboxMessage.id))) == 0


def test_an_accepted_consent_becomes_a_pdf_with_the_exact_text_and_its_hash(sessions, people, tmp_path, maker):
    patient_id, doctor_id, _ = people
    text = telemedicine_consent("ru")
    with transaction(sessions) as session:
        record = service.record_consent(session, patient_id=patient_id, reference="instance:12",
                                        version=text.version, ip="192.0.2.7", doctor_id=doctor_id)
        consent_id = record.id

    assert service.produce_pending(sessions, FileStore(tmp_path), maker, BASE) == 1

    with transaction(sessions) as session:
        record = session.get(ConsentDocument, consent_id)
        assert record.status == RENDERED and record.text_sha256 == text.sha256
        document = session.get(Document, record.document_id)
        assert document.purpose == "consent"
        assert documents.may_read(session, document, doctor_id)
        # Consents are filed, not mailed.
        assert session.scalar(select(func.count(outbox.OutboxMessage.id))) == 0
        pdf = FileStore(tmp_path).read(document.storage_key)
    verdict = verify_pdf(pdf, [maker.ca.root_certificate()])
    assert verdict.state == INTACT and verdict.signer_name == "CarePath"
    assert verdict.title == f"Информированное добровольное согласие № {consent_id}"


def test_a_consent_to_a_text_version_no_longer_shown_is_refused(sessions, people):
    patient_id, _, _ = people

    with pytest.raises(UserError), transaction(sessions) as session:
        service.record_consent(session, patient_id=patient_id, reference="instance:1", version="1999-01")


def test_the_bpmn_operators_take_their_values_from_the_task_data(sessions, people):
    patient_id, doctor_id, _ = people
    registry = build_connectors()
    data = {"doctor_id": doctor_id, "conclusion": conclusion_fields(reference="")}
    context = InstanceContext(instance_id=41, process_model_id="consultation_session", version_id=1,
                              patient_id=patient_id, task_name="request_conclusion", data=data)

    with transaction(sessions) as session:
        result = registry.call("request_conclusion", session, context, {})
        consent = registry.call("record_consent", session, context, {"version": telemedicine_consent("ru").version})

    with transaction(sessions) as session:
        row = session.get(Conclusion, result["conclusion_id"])
        assert (row.patient_id, row.doctor_id, row.reference) == (patient_id, doctor_id, "instance:41")
        assert row.verification_code == result["verification_code"]
        assert session.get(ConsentDocument, consent["consent_id"]).reference == "instance:41"


def test_find_by_code_knows_both_kinds_and_nothing_else(sessions, people):
    patient_id, doctor_id, _ = people
    request(sessions, patient_id, doctor_id)

    with transaction(sessions) as session:
        code = session.scalars(select(Conclusion.verification_code)).one()
        assert isinstance(service.find_by_code(session, code), Conclusion)
        assert service.find_by_code(session, code[:-1] + ("A" if code[-1] != "A" else "B")) is None
        assert service.find_by_code(session, "") is None
