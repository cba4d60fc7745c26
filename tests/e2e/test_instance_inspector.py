"""A manager inspects a duty consultation waiting at the informed consent inside the called
`consultation_session`: the call activity and the consent are marked, the data reads as a table."""

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
