"""A patient opens their own uploaded documents (issue 23: the file is read from the store, whichever host
wrote it); another patient's document is not found."""

from __future__ import annotations

import io
import re

from tests.scale.pdf import small_pdf
from tests.webui.conftest import login


def test_a_patient_downloads_an_uploaded_document_and_nobody_else_can(app, client, cast):
    login(client, cast.patient.email)
    data = small_pdf("own document")
    answer = client.post("/consultations/documents", data={"files": [(io.BytesIO(data), "скан.pdf")]},
                         content_type="multipart/form-data", follow_redirects=True)
    assert answer.status_code == 200
    ids = re.findall(r'href="/consultations/documents/(\d+)"', answer.get_data(as_text=True))
    assert len(ids) == 1
    own = client.get(f"/consultations/documents/{ids[0]}")
    assert own.status_code == 200 and own.data == data
    assert "attachment" in own.headers["Content-Disposition"]
    assert client.get("/consultations/documents/999999").status_code == 404

    other = app.test_client()
    login(other, cast.other_patient.email)
    assert other.get(f"/consultations/documents/{ids[0]}").status_code == 404


def test_after_an_upload_the_page_leads_back_to_the_application_form(app, client, cast):
    login(client, cast.patient.email)
    apply_page = client.get("/consultations/apply").get_data(as_text=True)
    assert 'href="/consultations/documents"' in apply_page  # the way there ("Upload documents")

    answer = client.post("/consultations/documents", data={"files": [(io.BytesIO(small_pdf("scan")), "scan.pdf")]},
                         content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)

    assert "Uploaded: 1 file(s)." in answer
    assert re.search(r'<a class="button primary" href="/consultations/apply">Back to the application form</a>', answer)
    assert client.get("/consultations/apply").status_code == 200
