"""The appointment ticket (талон) as a one-page PDF: what the registry asks the patient to bring.

`render_ticket(data)` takes plain values (already translated labels included), so this module needs no
database and no web layer: the caller decides the language and the local time.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from reports.fonts import register_fonts
from reports.layout import fit_lines


@dataclass(frozen=True)
class TicketData:
    title: str  # "Талон №100203088"
    rows: list[tuple[str, str]]  # (label, value): doctor, specialty, time, institution, address, patient
    note: str  # what to do on the day
    footer: str = ""
    # The PDF's properties, as a reader's "Document properties" shows them: who issued it (the institution)
    # and what it is, in the reader's language; reportlab's defaults ("anonymous", "unspecified") otherwise.
    author: str = ""
    subject: str = ""


def render_ticket(data: TicketData) -> bytes:
    regular, bold = register_fonts()
    buffer = BytesIO()
    page_width, page_height = A5
    pdf = canvas.Canvas(buffer, pagesize=A5, pageCompression=1)
    pdf.setTitle(data.title)
    pdf.setAuthor(data.author or "CarePath")
    pdf.setSubject(data.subject or data.title)
    pdf.setCreator("CarePath")
    margin = 14 * mm
    width = page_width - 2 * margin
    y = page_height - margin - 6 * mm
    pdf.setFont(bold, 18)
    pdf.drawString(margin, y, data.title)
    y -= 4 * mm
    pdf.setLineWidth(0.8)
    pdf.line(margin, y, page_width - margin, y)
    y -= 8 * mm
    label_width = 34 * mm
    for label, value in data.rows:
        # A long label («Медицинское учреждение») wraps inside its column instead of running under the value;
        # the row is as tall as the taller of the two.
        pdf.setFont(regular, 9)
        pdf.setFillGray(0.35)
        label_lines = fit_lines(label, regular, 9, label_width - 3 * mm)
        for index, line in enumerate(label_lines):
            pdf.drawString(margin, y - index * 4 * mm, line)
        pdf.setFillGray(0)
        pdf.setFont(bold, 11)
        value_lines = fit_lines(value, bold, 11, width - label_width)
        for index, line in enumerate(value_lines):
            pdf.drawString(margin + label_width, y - index * 5.5 * mm, line)
        y -= max(len(label_lines) * 4 * mm, len(value_lines) * 5.5 * mm) + 2 * mm
    y -= 4 * mm
    pdf.setFont(regular, 10)
    for line in fit_lines(data.note, regular, 10, width):
        pdf.drawString(margin, y, line)
        y -= 5 * mm
    if data.footer:
        pdf.setFont(regular, 8)
        pdf.setFillGray(0.4)
        for index, line in enumerate(reversed(fit_lines(data.footer, regular, 8, width))):
            pdf.drawString(margin, margin + index * 3.6 * mm, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
