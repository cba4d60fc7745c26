"""The signed conclusion as a file: pyHanko and poppler's pdfsig both accept it against our CA and both
notice one changed byte; the Russian text is really in it; its QR code reads back as the verify link."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from reports.ca import PlatformCA
from reports.conclusion import ConclusionData, render_conclusion
from reports.verify import INTACT, MODIFIED, UNKNOWN_SIGNER, UNREADABLE, UNSIGNED, verify_pdf
from tests.conclusions.conftest import DOCTOR_NAME, sample_content
from tests.pdf_properties import pdf_properties

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def tampered(data: bytes) -> bytes:
    """One byte changed inside the signed range: a digit of the page content's length field stays
    parseable, so the file still opens and only the signature can tell."""
    index = data.index(b"/Producer")  # in the document info, covered by the signature
    changed = bytearray(data)
    changed[index + 2] ^= 0x01
    return bytes(changed)


def pdfsig(path: Path, nss_db: str) -> str:
    if shutil.which("pdfsig") is None:
        pytest.fail("pdfsig is missing: `make install-test` installs poppler-utils")
    result = subprocess.run(["pdfsig", "-nssdir", nss_db, str(path)], capture_output=True, text=True, timeout=60)
    return result.stdout + result.stderr


def test_pyhanko_finds_the_conclusion_intact_and_signed_by_the_doctor(maker, signed_conclusion):
    verdict = verify_pdf(signed_conclusion, [maker.ca.root_certificate()])

    assert verdict.state == INTACT
    assert verdict.signer_name == DOCTOR_NAME
    assert verdict.signer_organization == "CarePath"
    assert verdict.title == "Заключение врача № 12"
    assert verdict.signed_at is not None


def test_pdfsig_says_the_signature_is_valid_and_the_certificate_trusted(tmp_path, signed_conclusion, nss_db):
    path = tmp_path / "conclusion.pdf"
    path.write_bytes(signed_conclusion)

    output = pdfsig(path, nss_db)

    assert "Signature Validation: Signature is Valid." in output
    assert "Certificate Validation: Certificate is Trusted." in output
    assert f"Signer Certificate Common Name: {DOCTOR_NAME}" in output
    assert "Total document signed" in output
    assert "ETSI.CAdES.detached" in output


def test_one_changed_byte_breaks_the_signature_for_pyhanko_and_pdfsig(tmp_path, maker, signed_conclusion, nss_db):
    broken = tampered(signed_conclusion)
    path = tmp_path / "tampered.pdf"
    path.write_bytes(broken)

    assert verify_pdf(broken, [maker.ca.root_certificate()]).state == MODIFIED
    output = pdfsig(path, nss_db)
    assert "Signature Validation: Signature is Valid." not in output
    assert "Digest Mismatch" in output


def test_bytes_appended_after_the_signature_count_as_a_change(maker, signed_conclusion):
    appended = signed_conclusion + b"\n%% appended later\n"

    assert verify_pdf(appended, [maker.ca.root_certificate()]).state == MODIFIED


def test_a_signature_from_another_ca_is_an_unknown_signer(tmp_path, signed_conclusion):
    stranger = PlatformCA(tmp_path / "other-keys").root_certificate()

    verdict = verify_pdf(signed_conclusion, [stranger])

    assert verdict.state == UNKNOWN_SIGNER
    assert verdict.signer_name == DOCTOR_NAME


def test_an_unsigned_pdf_and_a_non_pdf_are_told_apart(maker):
    root = maker.ca.root_certificate()
    unsigned = render_conclusion(ConclusionData(**sample_content()))

    assert verify_pdf(unsigned, [root]).state == UNSIGNED
    assert verify_pdf(b"GIF89a not a pdf", [root]).state == UNREADABLE


def test_the_russian_text_is_in_the_pdf_as_text(tmp_path, signed_conclusion):
    path = tmp_path / "conclusion.pdf"
    path.write_bytes(signed_conclusion)

    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout

    for expected in ("ЗАКЛЮЧЕНИЕ ВРАЧА", "Иванова Анна Сергеевна", "I10", "Эссенциальная (первичная) гипертензия",
                     "Ограничение соли до 5 г в сутки", "ДОКУМЕНТ ПОДПИСАН ЭЛЕКТРОННОЙ ПОДПИСЬЮ", DOCTOR_NAME,
                     "ГБУЗ «Окружная клиническая больница»", "Повторная консультация через 4 недели"):
        assert expected in text


def test_the_qr_code_reads_back_as_the_verification_link(tmp_path, signed_conclusion):
    if shutil.which("zbarimg") is None:
        pytest.fail("zbarimg is missing: `make install-test` installs zbar-tools")
    path = tmp_path / "conclusion.pdf"
    path.write_bytes(signed_conclusion)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
                   check=True)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(tmp_path / "page-1.png", ARTIFACTS / "conclusion-page-1.png")

    decoded = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page-1.png")], capture_output=True,
                             text=True).stdout.strip()

    assert decoded == "https://carepath.test/verify/TEST-CODE-0123456789"


def test_a_long_conclusion_flows_onto_more_pages_and_stays_signed(tmp_path, maker):
    long_text = "\n\n".join(f"Пункт {i}: наблюдение и комментарий врача по результатам обследования." for i in range(90))
    pdf = maker.conclusion(sample_content(findings=long_text), doctor_id=7, doctor_name=DOCTOR_NAME)
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf)

    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 2
    assert verify_pdf(pdf, [maker.ca.root_certificate()]).state == INTACT


def test_the_english_conclusion_uses_english_labels(tmp_path, maker):
    pdf = maker.conclusion(sample_content(locale="en"), doctor_id=7, doctor_name=DOCTOR_NAME)
    path = tmp_path / "en.pdf"
    path.write_bytes(pdf)

    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout

    assert "DOCTOR'S CONCLUSION" in text and "Recommendations" in text
    assert verify_pdf(pdf, [maker.ca.root_certificate()]).title == "Doctor's conclusion No. 12"


def test_the_pdf_properties_name_the_doctor_and_the_institution(signed_conclusion):
    properties = pdf_properties(signed_conclusion)
    assert properties["Author"] == DOCTOR_NAME and properties["Creator"] == "CarePath"
    assert properties["Title"].startswith("Заключение врача №")
    assert "по результатам телемедицинской консультации" in properties["Subject"]
    assert sample_content()["clinic_name"] in properties["Subject"]
