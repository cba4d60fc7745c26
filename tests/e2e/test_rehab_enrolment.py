"""Browser: a logged-in patient enrols in an exercise-therapy (ЛФК) group (issue 16). The enrolment is
offered in their rehabilitation page, the form is prefilled from the account and lists the group the
instructor planned, no "account already exists" error; the instructor accepts and the patient finds
the group's classes on their page."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.accounts import service as accounts
from engine.composition import build_connectors
from engine.db import transaction
from engine.rehab import courses
from engine.workflow import Actor, deploy_model, start_instance
from tests.e2e.test_rehab import login

MODEL = Path(__file__).resolve().parents[2] / "workflows" / "bpmn" / "rehab_course"
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def course_server(live_server):
    files = {str(p.relative_to(MODEL)): p.read_text(encoding="utf-8") for p in MODEL.rglob("*") if p.is_file()}
    sessions = live_server.app.extensions["carepath"].sessions
    registry = build_connectors(live_server.settings)
    with transaction(sessions) as session:
        deploy_model(session, "rehab_course", files, connectors=registry)
        ids = [accounts.find_by_email(session, e).id
               for e in ("patient@example.org", "doctor@example.org", "instructor@example.org")]
    # The doctor attached the instructor to the patient (as on /rehab/attach, tested in test_rehab.py).
    start_instance(sessions, courses.MODEL_ID, Actor(ids[1], frozenset({"doctor"})),
                   data={"doctor_id": ids[1], "instructor_id": ids[2], "title": "Back pain"},
                   patient_id=ids[0], connectors=registry)
    return live_server


def test_a_logged_in_patient_enrols_in_a_listed_group_and_finds_its_classes(course_server, new_context):
    base = course_server.url
    instructor = new_context().new_page()
    login(instructor, base, "instructor@example.org")
    instructor.goto(f"{base}/rehab/")
    instructor.get_by_role("link", name="Back pain").click()
    start = datetime.now(ZoneInfo("Europe/Moscow")) + timedelta(days=3)
    form = instructor.locator("form", has=instructor.get_by_role("button", name="Plan"))
    form.get_by_label("Title").fill("Healthy back group")
    form.get_by_label("Date").fill(start.strftime("%Y-%m-%d"))
    form.get_by_label("Start time").fill("10:00")
    form.get_by_label("Duration, minutes").fill("45")
    form.get_by_label("group").check()
    form.get_by_label("Repeat").select_option("weekly")
    form.get_by_label("Number of classes in the series").fill("4")
    form.get_by_role("button", name="Plan").click()
    assert instructor.get_by_text("Classes planned: 4.").is_visible()

    patient = new_context().new_page()
    login(patient, base, "patient@example.org")
    patient.goto(f"{base}/rehab/")
    patient.get_by_role("link", name="Enrol in an exercise-therapy (LFK) group").click()
    assert patient.get_by_role("heading", name="Enrolment in an exercise-therapy (LFK) group").is_visible()
    assert patient.get_by_text("patient@example.org").is_visible(), "prefilled from the account"
    assert patient.locator("input[name=email]").count() == 0
    group = patient.get_by_role("radio", name="Healthy back group")
    assert group.is_visible() and "4 classes" in patient.locator("fieldset.enrol-groups").inner_text()
    group.check()
    patient.get_by_label("Comment (diagnosis, convenient times)").fill("Mornings suit me")
    consent = patient.locator("input[name=consent]")
    if consent.count():  # a demo account made by the platform gave no consent yet: asked once here
        consent.check()
    course_server.screenshot(patient, "rehab_enrol_logged_in")
    patient.get_by_role("button", name="Send the application").click()
    assert patient.get_by_role("heading", name="Application sent").is_visible()
    assert patient.get_by_text("already exists").count() == 0

    instructor.goto(f"{base}/rehab/enrolments")
    row = instructor.locator("tr", has_text="patient@example.org")
    assert "Healthy back group" in row.inner_text() and "has an account" in row.inner_text()
    row.get_by_role("button", name="Accept").click()
    assert instructor.get_by_text("is enrolled in the group's classes").is_visible()

    patient.goto(f"{base}/rehab/")
    assert patient.locator(".class-row", has_text="Healthy back group").count() >= 1
    course_server.screenshot(patient, "rehab_enrolled_group_classes")
