"""Documents: checked by content, immutable once submitted, readable only by those entitled."""

from __future__ import annotations

import pytest

from engine.accounts.models import User, UserRole
from engine.audit import AuditEntry
from engine.db import transaction
from engine.documents import service
from engine.documents.models import SUBMITTED
from engine.documents.storage import FileStore
from engine.i18n import Forbidden, NotFound, UserError
from engine.join_window import join_window

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000a49444154789c6300010000050001"
                    "0d0a2db40000000049454e44ae426082")


@pytest.fixture
def people(sessions):
    with transaction(sessions) as session:
        users = []
        for email, role in (("p@t.org", "patient"), ("q@t.org", "patient"), ("d@t.org", "doctor")):
            user = User(email=email, last_name="T", first_name="T", status="active")
            user.roles = [UserRole(role=role)]
            session.add(user)
            users.append(user)
    return users


def test_a_png_named_pdf_is_stored_as_png_and_a_text_file_named_pdf_is_refused(sessions, tmp_path, people):
    patient = people[0]
    store = FileStore(tmp_path)
    with transaction(sessions) as session:
        doc = service.upload(session, store, patient_id=patient.id, uploader_id=patient.id, filename="scan.pdf",
                             data=PNG)
        assert doc.content_type == "image/png"
    with transaction(sessions) as session, pytest.raises(UserError, match="not an accepted file type"):
        service.upload(session, store, patient_id=patient.id, uploader_id=patient.id, filename="x.pdf",
                       data=b"just text, not a PDF at all")


def test_a_file_over_the_limit_is_refused(sessions, tmp_path, people):
    with transaction(sessions) as session, pytest.raises(UserError, match="larger than 1 MB"):
        service.upload(session, FileStore(tmp_path), patient_id=people[0].id, uploader_id=people[0].id,
                       filename="big.pdf", data=PDF + b"0" * (1024 * 1024),
                       limits=service.Limits(max_bytes=1024 * 1024))


def test_a_submitted_document_cannot_be_withdrawn_but_a_draft_can(sessions, tmp_path, people):
    patient = people[0]
    store = FileStore(tmp_path)
    with transaction(sessions) as session:
        kept = service.upload(session, store, patient_id=patient.id, uploader_id=patient.id, filename="a.pdf", data=PDF)
        draft = service.upload(session, store, patient_id=patient.id, uploader_id=patient.id, filename="b.png", data=PNG)
        service.submit(session, [kept.id], user_id=patient.id, reference="application:1")
    with transaction(sessions) as session, pytest.raises(UserError, match="cannot be deleted"):
        service.withdraw(session, kept.id, user_id=patient.id)
    with transaction(sessions) as session:
        service.withdraw(session, draft.id, user_id=patient.id)
        assert [d.id for d in service.for_patient(session, patient.id)] == [kept.id]
        assert service.for_patient(session, patient.id)[0].status == SUBMITTED


def test_only_the_patient_and_granted_people_read_a_document_and_every_view_is_journalled(sessions, tmp_path, people):
    patient, other, doctor = people
    store = FileStore(tmp_path)
    with transaction(sessions) as session:
        doc = service.upload(session, store, patient_id=patient.id, uploader_id=patient.id, filename="a.pdf", data=PDF)
    for outsider in (other, doctor):
        with transaction(sessions) as session, pytest.raises(Forbidden):
            service.read(session, store, doc.id, user_id=outsider.id)
    with transaction(sessions) as session:
        service.grant(session, [doc.id], doctor.id, reason="consultation:1")
    with transaction(sessions) as session:
        _, data = service.read(session, store, doc.id, user_id=doctor.id, ip="10.0.0.7")
        assert data == PDF
    with transaction(sessions) as session:
        views = session.query(AuditEntry).filter_by(action="document_viewed").all()
        assert [(v.actor_id, v.subject_id, v.ip) for v in views] == [(doctor.id, patient.id, "10.0.0.7")]
    with transaction(sessions) as session, pytest.raises(NotFound):
        service.read(session, store, doc.id + 999, user_id=patient.id)


def test_the_join_window_opens_ten_minutes_before_and_closes_at_the_end(clock):
    from datetime import timedelta

    start = clock.current + timedelta(hours=1)
    window = join_window(start, start + timedelta(minutes=30))
    assert window.state() == "early"
    with pytest.raises(UserError, match="opens 10 minutes before"):
        window.check()
    clock.advance(minutes=50)
    assert window.state() == "open"
    clock.advance(minutes=41)
    assert window.state() == "over"
