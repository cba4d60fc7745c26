"""What the signed documents share: A4 styles in the shipped Cyrillic font, the clinic header, the
vector QR code, the "signed electronically" stamp and the page footer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from reports.fonts import register_fonts

# Binary streams as they are, not ASCII85-encoded: smaller files, and the encoding was a tenth of the
# render time. (Process-wide, so the ticket PDFs are affected the same harmless way.)
rl_config.useA85 = 0

PAGE = A4
MARGIN = 18 * mm
WIDTH = PAGE[0] - 2 * MARGIN - 12  # platypus frames pad 6 pt on each side
INK = colors.HexColor("#1f2328")
MUTED = colors.HexColor("#57606a")
ACCENT = colors.HexColor("#0b5cab")
RULE = colors.HexColor("#c8d1dc")


@dataclass(frozen=True)
class Stamp:
    """The signer's certificate as printed in the "signed electronically" stamp."""

    owner: str
    serial: str
    valid_from: datetime
    valid_to: datetime


@dataclass(frozen=True)
class Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    label: ParagraphStyle
    heading: ParagraphStyle
    title: ParagraphStyle
    subtitle: ParagraphStyle
    clinic: ParagraphStyle


def styles() -> Styles:
    regular, bold = register_fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=10.5, leading=14.5, textColor=INK)
    return Styles(
        body=body,
        small=ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=MUTED),
        label=ParagraphStyle("label", parent=body, fontSize=9, leading=12, textColor=MUTED),
        heading=ParagraphStyle("heading", parent=body, fontName=bold, fontSize=11, leading=15, spaceBefore=9,
                               spaceAfter=3, textColor=ACCENT),
        title=ParagraphStyle("title", parent=body, fontName=bold, fontSize=15, leading=19, alignment=TA_CENTER,
                             spaceBefore=6),
        subtitle=ParagraphStyle("subtitle", parent=body, fontSize=10, leading=13, alignment=TA_CENTER,
                                textColor=MUTED, spaceAfter=8),
        clinic=ParagraphStyle("clinic", parent=body, fontName=bold, fontSize=12.5, leading=16),
    )


def text(value: str) -> str:
    """User text as Paragraph markup: escaped, line breaks kept."""
    lines = escape(value or "").strip().splitlines()
    return "<br/>".join(line.rstrip() for line in lines) or "—"


def paragraphs(value: str, style: ParagraphStyle) -> list[Paragraph]:
    """Blank-line separated paragraphs, each keeping its own line breaks."""
    blocks = [b for b in (value or "").replace("\r\n", "\n").split("\n\n") if b.strip()]
    return [Paragraph(text(b), style) for b in blocks] or [Paragraph("—", style)]


def clinic_header(name: str, details: list[str], st: Styles) -> Table:
    lines = [Paragraph(escape(name), st.clinic)] + [Paragraph(escape(d), st.small) for d in details if d]
    table = Table([[lines]], colWidths=[WIDTH])
    table.setStyle(TableStyle([
        ("LINEBELOW", (0, 0), (-1, -1), 1.2, ACCENT),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))
    return table


def rows(pairs: list[tuple[str, str]], st: Styles, label_width: float = 42 * mm) -> Table:
    data = [[Paragraph(escape(label), st.label), Paragraph(text(value), st.body)] for label, value in pairs]
    table = Table(data, colWidths=[label_width, WIDTH - label_width])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
    ]))
    return table


class QrCode(Flowable):
    """The QR code drawn as vector squares: sharp at any zoom and in print, no raster image to embed."""

    def __init__(self, data: str, size: float) -> None:
        super().__init__()
        # A fixed mask: choosing the "best" one tries all eight and took a third of the render time.
        code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=2)
        code.add_data(data)
        code.make(fit=True)
        self.matrix = code.get_matrix()
        self.size = size
        self.width = self.height = size

    def draw(self) -> None:
        canvas: Canvas = self.canv
        cell = self.size / len(self.matrix)
        canvas.saveState()
        canvas.setFillColor(colors.black)
        # One module is one unit: whole-number coordinates keep the content stream short and quick to write.
        canvas.scale(cell, cell)
        modules = len(self.matrix)
        for r, row in enumerate(self.matrix):
            y = modules - r - 1
            c = 0
            while c < len(row):  # one rectangle per horizontal run keeps the page small
                if row[c]:
                    start = c
                    while c < len(row) and row[c]:
                        c += 1
                    canvas.rect(start, y, c - start, 1, stroke=0, fill=1)
                else:
                    c += 1
        canvas.restoreState()


def signature_stamp(stamp: Stamp | None, verify_url: str, labels: dict[str, str], st: Styles) -> Table:
    """The box Russian clinics print on electronically signed documents, with the QR to verify it."""
    regular, bold = register_fonts()
    heading = ParagraphStyle("stamp", parent=st.body, fontName=bold, fontSize=9, leading=12, textColor=ACCENT)
    small = ParagraphStyle("stampsmall", parent=st.body, fontSize=8.5, leading=11)
    lines: list[Flowable] = [Paragraph(escape(labels["stamp_title"]), heading)]
    if stamp is not None:
        lines += [
            Paragraph(f"{escape(labels['stamp_owner'])}: {escape(stamp.owner)}", small),
            Paragraph(f"{escape(labels['stamp_serial'])}: {escape(stamp.serial)}", small),
            Paragraph(
                f"{escape(labels['stamp_valid'])}: {stamp.valid_from:%d.%m.%Y} — {stamp.valid_to:%d.%m.%Y}", small
            ),
        ]
    lines.append(Paragraph(f"{escape(labels['stamp_verify'])}:<br/>{escape(verify_url)}", st.small))
    qr = QrCode(verify_url, 30 * mm)
    table = Table([[lines, qr]], colWidths=[WIDTH - 38 * mm, 38 * mm])
    table.setStyle(TableStyle([
        ("BOX", (0, 0), (0, 0), 1, ACCENT),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (1, 0), (1, 0), "RIGHT"),
        ("LEFTPADDING", (0, 0), (0, 0), 8),
        ("TOPPADDING", (0, 0), (0, 0), 6),
        ("BOTTOMPADDING", (0, 0), (0, 0), 6),
        ("RIGHTPADDING", (1, 0), (1, 0), 0),
    ]))
    return table


def fit_lines(text: str, font: str, size: float, width: float, max_lines: int = 0) -> list[str]:
    """The text broken into lines no wider than `width`; with max_lines, the last one ends in "…"."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and stringWidth(candidate, font, size) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    if max_lines and len(lines) > max_lines:
        last = " ".join(lines[max_lines - 1:])
        while last and stringWidth(last + "…", font, size) > width:
            last = last[:-1]
        lines = [*lines[:max_lines - 1], last.rstrip() + "…"]
    return lines or [""]


def footer(caption: str, page_label: str) -> Callable[[Canvas, object], None]:
    regular, _ = register_fonts()

    def draw(canvas: Canvas, document: object) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.setFillColor(MUTED)
        canvas.setStrokeColor(RULE)
        canvas.line(MARGIN + 6, 12 * mm, PAGE[0] - MARGIN - 6, 12 * mm)
        number = f"{page_label} {canvas.getPageNumber()}"
        canvas.drawRightString(PAGE[0] - MARGIN - 6, 8.5 * mm, number)
        # The caption (clinic name · document title) may be long: it wraps within what the page number
        # leaves free, on at most two lines, so the two never overlap.
        room = PAGE[0] - 2 * (MARGIN + 6) - canvas.stringWidth(number, regular, 7.5) - 6 * mm
        for index, line in enumerate(fit_lines(caption, regular, 7.5, room, max_lines=2)):
            canvas.drawString(MARGIN + 6, (8.5 - 3.2 * index) * mm, line)
        canvas.restoreState()

    return draw
