"""The doctor's conclusion after a telemedicine consultation (заключение врача, R-CONC-01..03) as an A4 PDF.

`render_conclusion(data)` takes plain values and returns unsigned PDF bytes; reports.signing signs them.
The labels are Russian or English by `data.locale` (a medical document is read in the patient's
language, and this module runs in flows with no web request to translate through). The stamp with
the signer's certificate and the QR code to the verification page is printed on the page; the PAdES
signature itself is invisible, so the printed page and the file say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

from reports import layout
from reports.layout import MARGIN, PAGE, Stamp

LABELS: dict[str, dict[str, str]] = {
    "ru": {
        "title": "ЗАКЛЮЧЕНИЕ ВРАЧА",
        "subtitle": "по результатам телемедицинской консультации",
        "number": "№ %(number)s от %(date)s",
        "patient": "Пациент",
        "birth_date": "Дата рождения",
        "doctor": "Врач",
        "consultation": "Консультация",
        "date": "Дата и время",
        "diagnosis": "Диагноз (код по МКБ-10)",
        "findings": "Результаты консультации",
        "recommendations": "Рекомендации",
        "follow_up": "Дальнейшее наблюдение",
        "stamp_title": "ДОКУМЕНТ ПОДПИСАН ЭЛЕКТРОННОЙ ПОДПИСЬЮ",
        "stamp_owner": "Владелец",
        "stamp_serial": "Сертификат",
        "stamp_valid": "Действителен",
        "stamp_verify": "Проверить подлинность",
        "doc_title": "Заключение врача № %(number)s",
        "page": "Стр.",
    },
    "en": {
        "title": "DOCTOR'S CONCLUSION",
        "subtitle": "on the results of a telemedicine consultation",
        "number": "No. %(number)s of %(date)s",
        "patient": "Patient",
        "birth_date": "Date of birth",
        "doctor": "Doctor",
        "consultation": "Consultation",
        "date": "Date and time",
        "diagnosis": "Diagnosis (ICD-10 code)",
        "findings": "Findings",
        "recommendations": "Recommendations",
        "follow_up": "Follow-up",
        "stamp_title": "SIGNED WITH AN ELECTRONIC SIGNATURE",
        "stamp_owner": "Owner",
        "stamp_serial": "Certificate",
        "stamp_valid": "Valid",
        "stamp_verify": "Verify authenticity",
        "doc_title": "Doctor's conclusion No. %(number)s",
        "page": "Page",
    },
}


@dataclass(frozen=True)
class ConclusionData:
    number: int
    locale: str
    issued_at: datetime  # already in the patient's time zone
    clinic_name: str
    patient_name: str
    doctor_name: str
    diagnosis_code: str
    diagnosis_text: str
    findings: str
    recommendations: str
    follow_up: str
    verify_url: str
    clinic_details: list[str] = field(default_factory=list)  # address, phones, website
    patient_birth_date: str = ""
    doctor_specialty: str = ""
    consultation: str = ""  # e.g. "online, 05.03.2026 10:00"
    stamp: Stamp | None = None


def labels_for(locale: str) -> dict[str, str]:
    return LABELS.get(locale, LABELS["ru"])


def document_title(number: int, locale: str) -> str:
    return labels_for(locale)["doc_title"] % {"number": number}


def render_conclusion(data: ConclusionData) -> bytes:
    lab = labels_for(data.locale)
    st = layout.styles()
    title = document_title(data.number, data.locale)
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=14 * mm, bottomMargin=18 * mm, title=title, author=data.doctor_name,
        # Who wrote it, and for which institution: "… по результатам телемедицинской консультации, <clinic>".
        subject=f"{title} {lab['subtitle']}, {data.clinic_name}",
        creator="CarePath", pageCompression=1,
    )
    patient_rows = [(lab["patient"], data.patient_name)]
    if data.patient_birth_date:
        patient_rows.append((lab["birth_date"], data.patient_birth_date))
    doctor = data.doctor_name + (f", {data.doctor_specialty}" if data.doctor_specialty else "")
    patient_rows.append((lab["doctor"], doctor))
    if data.consultation:
        patient_rows.append((lab["consultation"], data.consultation))
    patient_rows.append((lab["date"], f"{data.issued_at:%d.%m.%Y %H:%M}"))

    diagnosis = f"<b>{escape(data.diagnosis_code.strip().upper())}</b>"
    if data.diagnosis_text.strip():
        diagnosis += f" — {layout.text(data.diagnosis_text)}"

    story = [
        layout.clinic_header(data.clinic_name, data.clinic_details, st),
        Spacer(1, 8),
        Paragraph(lab["title"], st.title),
        Paragraph(escape(lab["subtitle"]), st.subtitle),
        Paragraph(escape(lab["number"] % {"number": data.number, "date": f"{data.issued_at:%d.%m.%Y}"}),
                  st.subtitle),
        layout.rows(patient_rows, st),
        Paragraph(escape(lab["diagnosis"]), st.heading),
        Paragraph(diagnosis, st.body),
        Paragraph(escape(lab["findings"]), st.heading),
        *layout.paragraphs(data.findings, st.body),
        Paragraph(escape(lab["recommendations"]), st.heading),
        *layout.paragraphs(data.recommendations, st.body),
        Paragraph(escape(lab["follow_up"]), st.heading),
        *layout.paragraphs(data.follow_up, st.body),
        Spacer(1, 14),
        KeepTogether([layout.signature_stamp(data.stamp, data.verify_url, lab, st)]),
    ]
    page_footer = layout.footer(f"{data.clinic_name} · {title}", lab["page"])
    document.build(story, onFirstPage=page_footer, onLaterPages=page_footer)
    return buffer.getvalue()
