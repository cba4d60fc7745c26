"""Browser: a logged-in patient enrols in an exercise-therapy (ЛФК) group (issue 16). The enrolment is
offered in their rehabilitation page, the form is prefilled from the account and lists the group the
instructor planned, no "account already exists" error; the instructor accepts and the patient finds
the group's classes on their page."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.accounts import service as accounts
from engine.composition import build_connectors
from engine.db import transaction
from engine.rehab import courses
from engine.workflow import Actor, start_instance
from tests.e2e.demo_setup import deploy_rehab_course, instructor_on_course, login, plan_class

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def course_server(live_server):
    deploy_rehab_course(live_server)
    sessions = live_server.app.extensions["carepath"].sessions
    with transaction(sessions) as session:
        ids = [accounts.find_by_email(session, e).id
               for e in ("patient@example.org", "doctor@example.org", "instructor@example.org")]
    # The doctor attached the instructor to the patient (as on /rehab/attach, tested in test_rehab.py).
    start_instance(sessions, courses.MODEL_ID, Actor(ids[1], frozenset({"doctor"})),
                   data={"doctor_id": ids[1], "instructor_id": ids[2], "title": "Back pain"},
                   patient_id=ids[0], connectors=build_connectors(live_server.settings))
    return live_server


def test_a_logged_in_patient_enrols_in_a_listed_group_and_finds_its_classes(course_server, new_context):
    base = course_server.url
    instructor = instructor_on_course(new_context, base, "Back pain")
    start = datetime.now(ZoneInfo("Europe/Moscow")) + timedelta(days=3)
    plan_class(instructor, "Healthy back group", start, 45, start_time="10:00", group_series=4)

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
    assert instructor.get_by_text("the enrolment in the group's classes is done").is_visible()

    patient.goto(f"{base}/rehab/")
    assert patient.locator(".class-row", has_text="Healthy back group").count() >= 1
    course_server.screenshot(patient, "rehab_enrolled_group_classes")
