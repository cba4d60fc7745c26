"""At 360 px nothing widens the page: a long word in a complaint (the consultation page and the doctor's task
page break it), and a table with action buttons (the documents page) stacks its rows so "Withdraw" stays on
the screen."""

from __future__ import annotations

import pytest

from tests.e2e import consultation_fixtures as shared
from tests.e2e.consultation_fixtures import PDF, login

pytestmark = pytest.mark.e2e
consult_server = shared.consult_server  # the shared fixture, used by name
REHAB = "Окружной клинический лечебно-реабилитационный центр"
NEUROLOGY = "Врач-невролог"
PHONE = {"width": 360, "height": 740}
LONG_WORD = "головнаяболь" * 12  # 144 letters without a space, as a pasted text can be


def _sideways(page) -> int:
    page.wait_for_load_state("load")  # measured with the stylesheets applied
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_long_words_and_action_tables_fit_a_phone(consult_server, new_context):
    server, _clock = consult_server
    url = server.url
    patient = login(new_context(), url, "patient@example.org")
    patient.set_viewport_size(PHONE)
    patient.goto(f"{url}/consultations/documents")
    patient.set_input_files("input[name=files]", files=[{"name": "выписка-из-больницы-2026.pdf",
                                                         "mimeType": "application/pdf", "buffer": PDF + b"x"}])
    patient.get_by_role("button", name="Save").click()
    withdraw = patient.get_by_role("button", name="Withdraw")
    box = withdraw.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"], box
    assert _sideways(patient) == 0

    patient.goto(f"{url}/consultations/apply")
    # In Russian the specialties and «(сейчас нет врача, принимающего заявки)» are the longest.
    patient.locator("form.lang button[lang=ru]").click()
    patient.wait_for_url("**/consultations/apply")
    assert patient.locator("label.choice.unavailable").count() > 0  # the long rows with their note
    past_the_card = patient.evaluate("""() => {
        const card = document.querySelector('form.card').getBoundingClientRect();
        return Array.from(document.querySelectorAll('form.card fieldset, form.card label.choice, form.card small'))
            .filter(e => e.getBoundingClientRect().right > card.right - 1)
            .map(e => e.textContent.trim().slice(0, 40) + ' ' + Math.round(e.getBoundingClientRect().right)); }""")
    assert past_the_card == [], past_the_card
    patient.locator("form.lang button[lang=en]").click()
    patient.wait_for_url("**/consultations/apply")
    patient.locator(".center").filter(has_text=REHAB).get_by_label(NEUROLOGY).check()
    patient.locator("#diagnosis_code").fill("G43.0")
    patient.locator("#diagnosis_text").fill("Мигрень")
    patient.locator("#complaints").fill(f"Жалобы: {LONG_WORD}")
    patient.get_by_role("button", name="Send the application").click()
    patient.wait_for_url("**/consultations/*")
    assert LONG_WORD in patient.content()
    assert _sideways(patient) == 0

    doctor = login(new_context(), url, "doctor@example.org")
    doctor.set_viewport_size(PHONE)
    doctor.goto(f"{url}/tasks/")
    _tasks_fit_a_phone(doctor)
    doctor.get_by_role("link", name="Review the application").first.click()
    assert LONG_WORD in doctor.content()
    wide = doctor.evaluate("""() => Array.from(document.querySelectorAll('main *'))
        .filter(e => e.getBoundingClientRect().right > 362).slice(-3)
        .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert _sideways(doctor) == 0, wide


def _tasks_fit_a_phone(page) -> None:
    """The inbox stacks its rows (table.cp-stack): every cell, the actions one («Take») too, is on the
    screen, not in a sideways scroll; a pathway chip's count stands apart from its name and inside the
    chip's rounded border."""
    page.wait_for_load_state("load")
    assert page.locator(".cp-inbox tbody tr").count() > 0
    off_screen = page.evaluate("""() => Array.from(document.querySelectorAll('.cp-inbox td'))
        .filter(td => td.getBoundingClientRect().width > 0 && td.getBoundingClientRect().right > window.innerWidth)
        .map(td => td.className + ' ' + Math.round(td.getBoundingClientRect().right))""")
    assert off_screen == [], off_screen
    cramped = page.evaluate("""() => Array.from(document.querySelectorAll('.cp-filters a')).filter(chip => {
        const badge = chip.querySelector('.badge').getBoundingClientRect();
        const range = document.createRange();
        range.selectNodeContents(chip.firstChild);
        const words = range.getBoundingClientRect();
        return badge.left - words.right < 4 || chip.getBoundingClientRect().right - badge.right < 8;
    }).map(chip => chip.textContent.trim())""")
    assert cramped == [], cramped
