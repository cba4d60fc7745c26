"""The informed voluntary consent to a telemedicine consultation (ИДС, R-CONC-02) as an A4 PDF.

The page carries the exact text the patient accepted, followed by the record of acceptance: who, when,
from which address, which version of the text and its SHA-256, so the PDF alone proves what was agreed
to. The organization's signer signs it (reports.signing); the stamp and QR code are printed as on a
conclusion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

from reports import layout
from reports.layout import MARGIN, PAGE, Stamp

LABELS: dict[str, dict[str, str]] = {
    "ru": {
        "accepted": "Согласие принято",
        "patient": "Пациент",
        "birth_date": "Дата рождения",
        "accepted_at": "Дата и время",
        "method": "Способ",
        "method_value": "электронно, в личном кабинете CarePath (нажатие кнопки «Принимаю»)",
        "ip": "IP-адрес",
        "version": "Редакция текста",
        "sha": "SHA-256 текста",
        "consultation": "Консультация",
        "stamp_title": "ДОКУМЕНТ ПОДПИСАН ЭЛЕКТРОННОЙ ПОДПИСЬЮ",
        "stamp_owner": "Владелец",
        "stamp_serial": "Сертификат",
        "stamp_valid": "Действителен",
        "stamp_verify": "Проверить подлинность",
        "doc_title": "Информированное добровольное согласие № %(number)s",
        # The PDF's "Subject" property; the institution follows it.
        "subject": "Информированное добровольное согласие пациента",
        "page": "Стр.",
    },
    "en": {
        "accepted": "Consent given",
        "patient": "Patient",
        "birth_date": "Date of birth",
        "accepted_at": "Date and time",
        "method": "How",
        "method_value": "electronically, in the CarePath cabinet (the “I accept” button)",
        "ip": "IP address",
        "version": "Text version",
        "sha": "SHA-256 of the text",
        "consultation": "Consultation",
        "stamp_title": "SIGNED WITH AN ELECTRONIC SIGNATURE",
        "stamp_owner": "Owner",
        "stamp_serial": "Certificate",
        "stamp_valid": "Valid",
        "stamp_verify": "Verify authenticity",
        "doc_title": "Informed voluntary consent No. %(number)s",
        "subject": "The patient's informed voluntary consent",
        "page": "Page",
    },
}


@dataclass(frozen=True)
class ConsentData:
    number: int
    locale: str
    clinic_name: str
    patient_name: str
    text: str  # the consent text exactly as shown (Markdown: a bold first line as its title)
    version: str
    text_sha256: str
    accepted_at: datetime  # in the patient's time zone
    verify_url: str
    clinic_details: list[str] = field(default_factory=list)
    patient_birth_date: str = ""
    ip: str = ""
    consultation: str = ""
    stamp: Stamp | None = None
    # Labels that differ from the consent's (a signed contract uses this layout: reports/contract.py).
    labels: dict[str, str] | None = None


def labels_for(locale: str) -> dict[str, str]:
    return LABELS.get(locale, LABELS["ru"])


def document_title(number: int, locale: str) -> str:
    return labels_for(locale)["doc_title"] % {"number": number}


_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _markdown_light(block: str) -> str:
    """The consent texts use only **bold** and plain paragraphs; nothing else is interpreted."""
    return _BOLD.sub(r"<b>\1</b>", layout.text(" ".join(block.split())))


def render_consent(data: ConsentData) -> bytes:
    lab = {**labels_for(data.locale), **(data.labels or {})}
    st = layout.styles()
    title = lab["doc_title"] % {"number": data.number}
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=14 * mm, bottomMargin=18 * mm,
        title=title, author=data.clinic_name, subject=f"{lab['subject']}, {data.clinic_name}", creator="CarePath",
        pageCompression=1,
    )
    # A consent is one page: the text a little smaller than a conclusion's, the stamp on the same page.
    body = ParagraphStyle("consent", parent=st.body, fontSize=9.5, leading=12.6)
    title_style = ParagraphStyle("consenttitle", parent=st.title, fontSize=13, leading=16.5)
    blocks = [b for b in data.text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    story: list = [layout.clinic_header(data.clinic_name, data.clinic_details, st), Spacer(1, 10)]
    for index, block in enumerate(blocks):
        heading = index == 0 and block.strip().startswith("**") and block.strip().endswith("**")
        if heading:
            story.append(Paragraph(escape(block.strip().strip("*")), title_style))
            story.append(Spacer(1, 6))
        else:
            story.append(Paragraph(_markdown_light(block), body))
            story.append(Spacer(1, 3))
    record = [(lab["patient"], data.patient_name)]
    if data.patient_birth_date:
        record.append((lab["birth_date"], data.patient_birth_date))
    record.append((lab["accepted_at"], f"{data.accepted_at:%d.%m.%Y %H:%M:%S} {_utc_offset(data.accepted_at)}".strip()))
    record.append((lab["method"], lab["method_value"]))
    if data.ip:
        record.append((lab["ip"], data.ip))
    if data.consultation:
        record.append((lab["consultation"], data.consultation))
    record += [(lab["version"], data.version), (lab["sha"], data.text_sha256)]
    story += [
        KeepTogether([Paragraph(escape(lab["accepted"]), st.heading), layout.rows(record, st)]),
        Spacer(1, 10),
        KeepTogether([layout.signature_stamp(data.stamp, data.verify_url, lab, st)]),
    ]
    page_footer = layout.footer(f"{data.clinic_name} · {title}", lab["page"])
    document.build(story, onFirstPage=page_footer, onLaterPages=page_footer)
    return buffer.getvalue()


def _utc_offset(moment: datetime) -> str:
    """"UTC+3" rather than the zone's abbreviation ("MSK"), which is English in a Russian document."""
    offset = moment.utcoffset()
    if offset is None:
        return ""
    minutes = int(offset.total_seconds() // 60)
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")

