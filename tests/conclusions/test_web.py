"""The History page and downloads (who may see which PDF), and the public /verify page."""

from __future__ import annotations

import io

import pytest

from engine.conclusions import service
from engine.conclusions.models import Conclusion
from engine.db import transaction
from engine.documents.storage import FileStore
from reports.signing import signed_documents
from tests.conclusions.test_pdf import tampered
from tests.webui.conftest import login, make_user


def produce(app) -> None:
    runtime = app.extensions["carepath"]
    settings = runtime.settings
    service.produce_pending(runtime.sessions, FileStore(settings.uploads_path), signed_documents(settings.keys_path),
                            "http://localhost")


@pytest.fixture
def conclusion(app, cast) -> Conclusion:
    with transaction(app.extensions["carepath"].sessions) as session:
        row = service.request_conclusion(
            session, patient_id=cast.patient.id, doctor_id=cast.doctor.id, reference="instance:3",
            diagnosis_code="I10", diagnosis_text="Essential hypertension", findings="BP 160/95.",
            recommendations="Check BP twice a day.", follow_up="In four weeks.",
        )
    produce(app)
    with transaction(app.extensions["carepath"].sessions) as session:
        return session.get(Conclusion, row.id)


def pdf_of(app, conclusion: Conclusion) -> bytes:
    from engine.documents.models import Document

    with transaction(app.extensions["carepath"].sessions) as session:
        document = session.get(Document, conclusion.document_id)
        return FileStore(app.extensions["carepath"].settings.uploads_path).read(document.storage_key)


def test_the_patient_sees_the_conclusion_in_the_history_and_downloads_it(client, cast, conclusion):
    login(client, cast.patient.email)

    page = client.get("/history/")
    response = client.get(f"/history/document/{conclusion.document_id}.pdf")

    assert page.status_code == 200
    assert "Essential hypertension" in page.text and "Download PDF" in page.text
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")


def test_another_patient_gets_403_for_someone_elses_conclusion(client, cast, conclusion):
    login(client, cast.other_patient.email)

    assert client.get(f"/history/document/{conclusion.document_id}.pdf").status_code == 403
    assert "Essential hypertension" not in client.get("/history/").text


def test_a_doctor_without_a_grant_gets_403(app, client, cast, conclusion):
    make_user(app, "stranger-doctor@test.org", "doctor")
    login(client, "stranger-doctor@test.org")

    assert client.get(f"/history/document/{conclusion.document_id}.pdf").status_code == 403
    assert client.get(f"/history/patient/{cast.patient.id}").status_code == 403


def test_the_signing_doctor_sees_the_patients_history_and_the_pdf(client, cast, conclusion):
    login(client, cast.doctor.email)

    assert client.get(f"/history/document/{conclusion.document_id}.pdf").status_code == 200
    assert "Essential hypertension" in client.get(f"/history/patient/{cast.patient.id}").text


def test_history_needs_a_login(client, conclusion):
    assert client.get(f"/history/document/{conclusion.document_id}.pdf").status_code in (302, 401)


def test_the_verify_page_says_the_registered_document_is_intact(client, conclusion):
    page = client.get(f"/verify/{conclusion.verification_code}")

    assert page.status_code == 200
    assert "The document is intact" in page.text
    assert "Test Tess" in page.text  # the doctor's name from the certificate
    assert f"conclusion No. {conclusion.id}" in page.text  # the document's title


def test_the_verify_page_checks_an_uploaded_copy(app, client, conclusion):
    real = pdf_of(app, conclusion)
    url = f"/verify/{conclusion.verification_code}"

    same = client.post(url, data={"document": (io.BytesIO(real), "conclusion.pdf")},
                       content_type="multipart/form-data")
    broken = client.post(url, data={"document": (io.BytesIO(tampered(real)), "conclusion.pdf")},
                         content_type="multipart/form-data")

    assert same.status_code == 200
    assert same.text.count("The document is intact") == 2
    assert "It is exactly the document registered under this code." in same.text
    assert broken.status_code == 200
    assert "The document has been changed after it was signed." in broken.text


def test_the_general_verify_form_refuses_a_file_that_is_not_a_pdf(client):
    response = client.post("/verify/", data={"document": (io.BytesIO(b"\x89PNG\r\n"), "scan.png")},
                           content_type="multipart/form-data")

    assert response.status_code == 400
    assert "This is not a PDF file." in response.text


def test_an_unknown_code_is_404(client):
    assert client.get("/verify/not-a-real-code").status_code == 404


def test_a_pending_conclusion_says_it_is_being_signed(app, client, cast):
    with transaction(app.extensions["carepath"].sessions) as session:
        row = service.request_conclusion(
            session, patient_id=cast.patient.id, doctor_id=cast.doctor.id, reference="instance:4",
            diagnosis_code="I10", diagnosis_text="Hypertension", findings="x", recommendations="y", follow_up="",
        )
        code = row.verification_code

    assert "The document is being signed." in client.get(f"/verify/{code}").text
