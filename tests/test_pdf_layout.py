"""Printed documents never draw text over text: the words of the ticket and of the consent, as poppler's
pdftotext reads their boxes back, do not overlap (a long label beside its value, a long footer caption
beside the page number)."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime
from itertools import combinations

import pytest

from reports.consent import ConsentData, render_consent
from reports.ticket import TicketData, render_ticket
from tests.pdf_properties import pdf_properties

LONG_CLINIC = 'БУ ХМАО-Югры "Окружной клинический лечебно-реабилитационный центр"'
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def word_boxes(pdf: bytes, tmp_path) -> list[tuple[float, float, float, float, str]]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return [(float(a), float(b), float(c), float(d), text) for a, b, c, d, text in WORD.findall(html)]


def overlapping(boxes: list[tuple[float, float, float, float, str]]) -> list[tuple[str, str]]:
    slack = 0.5  # points: glyph boxes of neighbouring words may touch
    return [(one[4], two[4]) for one, two in combinations(boxes, 2)
            if one[0] + slack < two[2] and two[0] + slack < one[2] and one[1] + slack < two[3] and two[1] + slack < one[3]]


def test_no_text_of_the_ticket_overlaps_other_text(tmp_path):
    pdf = render_ticket(TicketData(
        title="Талон №100203088",
        rows=[("Пациент", "Иванова Мария Петровна"), ("Дата и время", "8 декабря 2026 г., 09:00"),
              ("Медицинское учреждение", LONG_CLINIC), ("Адрес", "628011, ХМАО-Югра, г. Ханты-Мансийск, ул. Калинина, 3а")],
        note="В день приёма подойдите в регистратуру с этим талоном.", footer="Электронная регистратура — CarePath"))
    boxes = word_boxes(pdf, tmp_path)

    assert any(text == "учреждение" for *_, text in boxes)
    assert overlapping(boxes) == []


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_the_consent_footer_keeps_clear_of_the_page_number(tmp_path, locale):
    pdf = render_consent(ConsentData(
        number=12345, locale=locale, clinic_name=LONG_CLINIC, patient_name="Иванова Мария Петровна",
        text="**Согласие на обработку персональных данных**\n\n" + "Я даю согласие на обработку данных. " * 20,
        version="2", text_sha256="ab" * 32, accepted_at=datetime(2026, 12, 7, 9, 0), verify_url="http://127.0.0.1/v/x"))
    boxes = word_boxes(pdf, tmp_path)

    assert any(text in ("Стр.", "Page") for *_, text in boxes)
    assert overlapping(boxes) == []


def test_the_ticket_and_the_consent_name_their_institution_in_the_pdf_properties():
    ticket = pdf_properties(render_ticket(TicketData(
        title="Талон №100203088", rows=[("Пациент", "Иванова Мария Петровна")], note="Приходите.",
        author=LONG_CLINIC, subject=f"Талон на приём: {LONG_CLINIC}")))
    assert (ticket["Title"], ticket["Author"], ticket["Subject"], ticket["Creator"]) == (
        "Талон №100203088", LONG_CLINIC, f"Талон на приём: {LONG_CLINIC}", "CarePath")

    for locale, words in (("ru", "Информированное добровольное согласие"), ("en", "informed voluntary consent")):
        consent = pdf_properties(render_consent(ConsentData(
            number=12345, locale=locale, clinic_name=LONG_CLINIC, patient_name="Иванова Мария Петровна",
            text="**Согласие**\n\nТекст.", version="2", text_sha256="ab" * 32,
            accepted_at=datetime(2026, 12, 7, 9, 0), verify_url="http://127.0.0.1/v/x")))
        assert consent["Author"] == LONG_CLINIC and consent["Creator"] == "CarePath"
        assert words in consent["Subject"] and LONG_CLINIC in consent["Subject"]
