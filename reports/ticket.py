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


@dataclass(frozen=True)
class TicketData:
    title: str  # "Талон №100203088"
    rows: list[tuple[str, str]]  # (label, value): doctor, specialty, time, institution, address, patient
    note: str  # what to do on the day
    footer: str = ""


def _wrap(pdf: canvas.Canvas, text: str, font: str, size: float, width: float) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if pdf.stringWidth(candidate, font, size) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines or [""]


def render_ticket(data: TicketData) -> bytes:
    regular, bold = register_fonts()
    buffer = BytesIO()
    page_width, page_height = A5
    pdf = canvas.Canvas(buffer, pagesize=A5, pageCompression=1)
    pdf.setTitle(data.title)
    pdf.setAuthor("CarePath")
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
        pdf.setFont(regular, 9)
        pdf.setFillGray(0.35)
        pdf.drawString(margin, y, label)
        pdf.setFillGray(0)
        pdf.setFont(bold, 11)
        for line in _wrap(pdf, value, bold, 11, width - label_width):
            pdf.drawString(margin + label_width, y, line)
            y -= 5.5 * mm
        y -= 2 * mm
    y -= 4 * mm
    pdf.setFont(regular, 10)
    for line in _wrap(pdf, data.note, regular, 10, width):
        pdf.drawString(margin, y, line)
        y -= 5 * mm
    if data.footer:
        pdf.setFont(regular, 8)
        pdf.setFillGray(0.4)
        pdf.drawString(margin, margin, data.footer)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
