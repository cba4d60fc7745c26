"""The doctor builds a monitoring plan, the evening dispatch invites the patient, the patient opens the
invitation from the mailbox and sends data, and the doctor sees the alert and the chart."""

from __future__ import annotations

import re
import struct
import zlib

import pytest
from playwright.sync_api import expect

from engine.clock import now
from engine.composition import build_connectors
from engine.db import transaction
from engine.monitoring import dispatch, schedule
from engine.workflow import deploy_model
from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.test_account_journey import login
from tests.monitoring.conftest import model_files

pytestmark = pytest.mark.e2e


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\xff\0\0")) + chunk(b"IEND", b"")


def invitation_link(admin, base: str, to: str) -> str:
    for _ in range(40):
        admin.goto(f"{base}/admin/mailbox")
        row = admin.locator("tr.mail-row", has_text=to).filter(has_text=re.compile("monitoring|мониторинг", re.I))
        if row.count():
            row.first.get_by_role("link").click()
            return admin.locator(".mail-body a", has_text="/monitoring/days/").first.get_attribute("href")
        admin.wait_for_timeout(250)
    raise AssertionError(f"no monitoring invitation to {to} arrived in the mailbox")


def test_doctor_builds_a_plan_patient_answers_from_the_invitation_and_doctor_sees_the_alert(live_server, new_context):
    base, sessions = live_server.url, live_server.app.extensions["carepath"].sessions
    connectors = build_connectors(live_server.settings)
    with transaction(sessions) as session:
        deploy_model(session, "monitoring_cycle", model_files(), connectors=connectors)
    today = schedule.local_day(now(), "Europe/Moscow")

    doctor = new_context().new_page()
    login(doctor, base, "doctor@example.org", DEMO_PASSWORD)
    doctor.goto(f"{base}/monitoring/plans/new")
    doctor.locator("#patient_email").fill("patient@example.org")
    doctor.locator("#title").fill("Blood pressure control")
    doctor.locator("#start_date").fill(today.isoformat())
    doctor.locator("#invite_time").fill("00:00")  # so that the dispatch below finds the evening has come
    doctor.locator("form.cp-plan-form button[type=submit]").click()
    doctor.locator("#kind").select_option("measurement")
    doctor.locator("#time_of_day").select_option("morning")
    doctor.locator("#code").select_option("bp")
    doctor.locator("#alert_high").fill("140")
    doctor.locator("#alert_high2").fill("90")
    doctor.locator("form.cp-item-form button[type=submit]").click()
    doctor.locator("#kind").select_option("question")
    doctor.locator("#title").fill("Headache")
    doctor.locator("#answer_type").select_option("slider")
    doctor.locator("#alert_from").fill("7")
    doctor.locator("form.cp-item-form button[type=submit]").click()
    expect(doctor.locator("table.cp-items tbody tr")).to_have_count(2)
    live_server.screenshot(doctor, "monitoring-01-plan")

    report = dispatch.dispatch_evening(sessions, base_url=base, connectors=connectors)
    assert report.started == 1

    admin = new_context().new_page()
    login(admin, base, "admin@example.org", DEMO_PASSWORD)
    link = invitation_link(admin, base, "patient@example.org")
    assert link.endswith(f"/monitoring/days/{today.isoformat()}")
    live_server.screenshot(admin, "monitoring-02-invitation")

    patient = new_context().new_page()
    login(patient, base, "patient@example.org", DEMO_PASSWORD)
    patient.goto(link)
    form = patient.locator("form.cp-questionnaire")
    expect(form.locator("input[type=range]")).to_have_value("0")  # starts at "normal"
    inputs = form.locator("#section-morning input")
    inputs.nth(0).fill("300")
    inputs.nth(1).fill("95")
    form.locator("button[type=submit]").click()
    expect(patient.locator(".flash.error")).to_contain_text("50–260")
    form = patient.locator("form.cp-questionnaire")
    inputs = form.locator("#section-morning input")
    inputs.nth(0).fill("168")
    inputs.nth(1).fill("96")
    form.locator("input[type=range]").fill("4")
    form.locator("#comment").fill("Dizzy in the morning")
    form.locator("#files").set_input_files({"name": "ecg.png", "mimeType": "image/png", "buffer": tiny_png()})
    live_server.screenshot(patient, "monitoring-03-questionnaire")
    form.locator("button[type=submit]").click()
    expect(patient.locator(".flash.success")).to_be_visible()

    doctor.goto(f"{base}/monitoring/patients")
    expect(doctor.locator("tr.cp-alerted")).to_have_count(1)
    doctor.locator("tr.cp-alerted a").click()
    expect(doctor.locator(".cp-alerts")).to_contain_text("168/96")
    expect(doctor.locator("svg.cp-chart-wide .cp-beyond")).to_have_count(2)  # the desktop's drawing
    expect(doctor.locator("svg.cp-chart-narrow")).to_be_hidden()
    expect(doctor.locator(".cp-days-table")).to_contain_text("Dizzy in the morning")
    expect(doctor.locator(".cp-days-table a", has_text="ecg.png")).to_have_count(1)
    live_server.screenshot(doctor, "monitoring-04-doctor-patient-page")
