"""A manager starts a rehabilitation course: the start form asks for its doctor and instructor."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_rehab import login, rehab_server  # noqa: F401  (the fixture: rehab_course deployed)

pytestmark = pytest.mark.e2e


def test_a_manager_starts_a_course_choosing_the_doctor_and_the_instructor(rehab_server, new_context):  # noqa: F811
    base = rehab_server.url
    manager = new_context().new_page()
    login(manager, base, "manager@example.org")

    manager.goto(f"{base}/tasks/start")
    manager.get_by_label("Rehabilitation course").check()
    manager.get_by_label("Patient's email address").fill("patient@example.org")
    manager.get_by_role("button", name="Start").click()

    expect(manager.locator("#start-patient")).to_contain_text("patient@example.org")
    expect(manager.get_by_role("radiogroup", name="Attending doctor")).to_contain_text("Смирнов")
    manager.get_by_label("Смирнов Алексей Викторович").check()
    manager.get_by_role("button", name="Submit").click()
    expect(manager.get_by_role("radiogroup", name="Instructor")).to_be_visible()  # refused: no instructor yet
    expect(manager.locator(".flash.success")).to_have_count(0)
    manager.get_by_label("Кузнецова Ольга Сергеевна").check()
    manager.get_by_label("Course name").fill("После операции на колене")
    rehab_server.screenshot(manager, "staff-start-01-form")
    manager.get_by_role("button", name="Submit").click()

    expect(manager.get_by_role("status")).to_contain_text("The pathway has started.")
    expect(manager.locator(".cp-status")).not_to_have_text("error")
    rehab_server.screenshot(manager, "staff-start-02-started")
