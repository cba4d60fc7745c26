"""The signed contract becomes a PDF sealed with the platform's signature, filed as the patient's document."""

from __future__ import annotations

from sqlalchemy import select

from engine.documents.models import Document
from engine.documents.storage import FileStore
from engine.payments import contracts
from engine.payments.models import PDF_RENDERED, ContractSignature
from reports.contract import ContractMaker, masked
from reports.signing import signed_documents
from reports.verify import INTACT, verify_pdf
from tests.payments.test_paid_route import sign_contract
from tests.pdf_properties import pdf_properties
from tests.webui.conftest import app, client, settings  # noqa: F401


def test_a_signed_contract_is_sealed_and_listed_with_the_patients_documents(sessions, world, paid, tmp_path):
    sign_contract(sessions, world, paid)
    store = FileStore(tmp_path / "files")
    documents = signed_documents(tmp_path / "keys")
    assert contracts.any_pending(sessions)
    assert contracts.produce_pending(sessions, store, ContractMaker(documents), "https://carepath.example") == 1
    assert contracts.produce_pending(sessions, store, ContractMaker(documents), "https://carepath.example") == 0
    with sessions() as session:
        row = session.scalars(select(ContractSignature)).one()
        document = session.get(Document, row.document_id)
        assert row.pdf_status == PDF_RENDERED and document.patient_id == world.patient and document.purpose == "contract"
        listed = contracts.signed_by(session, world.patient)
        assert [s.id for s, _ in listed] == [row.id]
    pdf = store.read(document.storage_key)
    verdict = verify_pdf(pdf, [documents.ca.root_certificate()])
    assert verdict.state == INTACT
    assert "Договор" in verdict.title or "Contract" in verdict.title
    properties = pdf_properties(pdf)  # signing keeps what the reader's "Document properties" show
    assert properties["Subject"].startswith(("Договор на оказание", "Contract for paid"))
    assert properties["Author"] not in ("", "anonymous") and properties["Author"] in properties["Subject"]


def test_the_code_address_is_shown_partly_hidden():
    assert masked("patient@example.test") == "p***@example.test"
    assert masked("+79123456789") == "+7***6789"


def test_the_verification_page_knows_a_sealed_contract(client, sessions, world, paid, tmp_path):  # noqa: F811
    sign_contract(sessions, world, paid)
    configured = client.application.extensions["carepath"].settings
    contracts.produce_pending(sessions, FileStore(configured.uploads_path),
                              ContractMaker(signed_documents(configured.keys_path)), "https://carepath.example")
    with sessions() as session:
        code = session.scalars(select(ContractSignature)).one().verification_code
    page = client.get(f"/verify/{code}")
    assert page.status_code == 200 and "intact" in page.get_data(as_text=True).lower()
    assert client.get("/verify/not-a-code").status_code == 404
