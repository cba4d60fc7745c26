"""A manager inspects a duty consultation waiting at the informed consent inside the called
`consultation_session`: the call activity and the consent are marked, the data reads as a table; in Russian
the diagrams draw the pathway's names (tasks, events, gateways, lanes) in Russian."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e import consultation_fixtures as shared
from tests.e2e.consultation_fixtures import login

pytestmark = pytest.mark.e2e
consult_server = shared.consult_server  # the shared fixture, used by name


def test_the_inspector_marks_the_consent_inside_the_session_process(consult_server, new_context):
    server, _clock = consult_server
    url = server.url
    patient = login(new_context(), url, "patient@example.org")
    patient.goto(f"{url}/consultations/duty")
    patient.locator("input[name=slot_id]").first.check()
    patient.get_by_role("button", name="Book").first.click()
    patient.wait_for_url("**/consultations/*")

    manager = login(new_context(), url, "manager@example.org")
    manager.goto(f"{url}/instances/")
    row = manager.locator("tr", has_text="Accept the informed voluntary consent").first
    expect(row).to_contain_text("Иванова Мария Петровна")  # the patient column names whose pathway it is
    row.get_by_role("link").first.click()

    main = manager.locator("#diagram")
    expect(main).to_have_attribute("data-rendered", "true")
    expect(main.locator('g.djs-element.cp-current[data-element-id="session"]')).to_have_count(1)
    expect(main.locator('g.djs-element.cp-done[data-element-id="open"]')).to_have_count(1)  # the path so far
    # The session and its "before the session" pool are one file: one diagram, the consent marked in it.
    called = manager.locator(".cp-called")
    expect(called).to_have_count(1)
    expect(called).to_have_attribute("data-rendered", "true")
    expect(manager.get_by_role("heading", name="Inside “Consultation session”: the called process")).to_be_visible()
    expect(called.locator('g.djs-element.cp-current[data-element-id="consent"]')).to_have_count(1)
    table = manager.locator("#instance-data")
    expect(table).to_contain_text("Иванова Мария Петровна")
    expect(manager.locator("details pre.cp-data")).not_to_be_visible()  # the raw JSON waits behind its toggle
    expect(manager.get_by_text("Automatic step:").first).to_be_visible()
    server.screenshot(manager, "inspector-01-called-process")

    # In Russian the viewer draws the names in Russian: the server translates the copy it sends (the model
    # itself stays as the analyst wrote it), lanes read as the roles' labels. Events and gateways carry their
    # name on a separate label element (<id>_label).
    manager.locator("form.lang button[lang=ru]").click()
    expect(manager.locator("html")).to_have_attribute("lang", "ru")
    main = manager.locator("#diagram")
    expect(main).to_have_attribute("data-rendered", "true")
    expect(main.locator('g.djs-element[data-element-id="open"]')).to_contain_text("Забронировать")
    expect(main.locator('g.djs-element[data-element-id="booked_gw_label"]')).to_contain_text("Записано?")
    expect(main.locator('g.djs-element[data-element-id="Lane_consultation_duty_doctor"]')).to_contain_text("Врач")
    expect(main).not_to_contain_text("Book the time")
    called = manager.locator(".cp-called")
    expect(called).to_have_attribute("data-rendered", "true")
    expect(called.locator('g.djs-element[data-element-id="consent_pdf"]')).to_contain_text("PDF")
    expect(called.locator('g.djs-element[data-element-id="t_day_label"]')).to_contain_text("За день")
    expect(called.locator('g.djs-element.cp-current[data-element-id="consent"]')).to_have_count(1)
    server.screenshot(manager, "inspector-02-russian-diagram")
