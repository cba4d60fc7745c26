"""Done-when of issue 3 in a real browser: a SpiffArena-style pathway written by someone else (lanes
patient/doctor, forms by `formJsonSchemaFilename`) is deployed with `carepath deploy` and walked to its
end by a patient and a doctor, each in their own browser, through their inboxes -- no code changes."""

from __future__ import annotations

import re

import pytest

from engine.db import create_all
from tests.e2e.conftest import DEMO_PASSWORD
from tests.tasks.conftest import SYMPTOM_CHECK
from webui.cli import main

pytestmark = pytest.mark.e2e


def login(page, base: str, email: str) -> None:
    page.goto(f"{base}/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Demo accounts speak Russian; these checks read the English text, so switch like a person would.
    page.locator("form.lang button[lang=en]").click()


def test_a_spiffarena_style_pathway_is_deployed_and_walked_by_patient_and_doctor(live_server, new_context):
    base = live_server.url
    create_all(live_server.app.extensions["carepath"].engine)  # tables of packages without a migration yet
    deployed = live_server.app.test_cli_runner().invoke(main, ["deploy", str(SYMPTOM_CHECK)])
    assert deployed.exit_code == 0, deployed.output + deployed.stderr

    # The patient starts the self-service pathway and answers the questionnaire.
    patient = new_context().new_page()
    login(patient, base, "patient@example.org")
    patient.get_by_role("link", name="My tasks").first.click()
    patient.get_by_role("link", name="Make a new request").click()
    patient.get_by_label("Symptom check after discharge").check()
    patient.get_by_role("button", name="Start").click()
    patient.wait_for_url(re.compile(r"/tasks/\d+/[0-9a-f-]{36}$"))
    instance_id = int(patient.url.split("/")[-2])
    assert patient.get_by_role("heading", name="Daily check after discharge").is_visible()
    patient.get_by_role("button", name="Send to my doctor").click()  # empty: refused with messages
    assert patient.get_by_text("Please correct the following:").is_visible()
    live_server.screenshot(patient, "tasks-form-errors")
    patient.get_by_label("Worse").check()
    patient.get_by_label("Body temperature").fill("38.4")
    patient.locator("input[type=range]").evaluate("el => { el.value = 4; }")
    patient.get_by_label("Cough").check()
    patient.get_by_label("Anything else your doctor should know?").fill("I feel weak since yesterday.")
    live_server.screenshot(patient, "tasks-questionnaire")
    patient.get_by_role("button", name="Send to my doctor").click()
    patient.wait_for_url(f"{base}/tasks/")
    assert patient.get_by_text("Done: “Tell us how you feel”.").is_visible()
    assert patient.get_by_text("Nothing is waiting for you.").is_visible()

    # The doctor finds the review in the inbox, sees the answers, takes the task and decides.
    doctor = new_context().new_page()
    login(doctor, base, "doctor@example.org")
    doctor.goto(f"{base}/tasks/")
    assert doctor.get_by_role("link", name="Symptom check after discharge 1").is_visible()
    live_server.screenshot(doctor, "tasks-doctor-inbox")
    doctor.get_by_role("link", name="Review the patient's answers").click()
    assert doctor.get_by_text("38.4 °C — fever").is_visible()
    doctor.get_by_role("button", name="Take this task").click()
    assert doctor.get_by_text("You have taken this task").is_visible()
    doctor.get_by_role("link", name="Pathway details").click()
    diagram = doctor.locator("#diagram[data-rendered=true]")
    diagram.wait_for()
    assert doctor.locator("#diagram .djs-element.cp-current[data-element-id=Activity_review]").count() == 1
    live_server.screenshot(doctor, "tasks-instance-diagram")
    doctor.go_back()
    doctor.get_by_label("Come to the clinic").check()
    doctor.get_by_label("Message to the patient").fill("Please come tomorrow at 10:00, room 12.")
    live_server.screenshot(doctor, "tasks-doctor-review")
    doctor.get_by_role("button", name="Submit").click()
    doctor.wait_for_url(f"{base}/tasks/")

    # The patient reads the doctor's message and confirms: the pathway ends.
    patient.goto(f"{base}/tasks/")
    live_server.screenshot(patient, "tasks-patient-inbox")
    patient.get_by_role("link", name="Come to the clinic").click()
    assert patient.get_by_text("Please come tomorrow at 10:00, room 12.").is_visible()
    patient.get_by_label("I have read my doctor's message").check()
    patient.get_by_role("button", name="Submit").click()
    patient.wait_for_url(f"{base}/tasks/")

    manager = new_context().new_page()
    login(manager, base, "manager@example.org")
    manager.goto(f"{base}/instances/{instance_id}")
    assert manager.get_by_text("completed", exact=True).first.is_visible()
    manager.locator("#diagram[data-rendered=true]").wait_for()
    history = manager.locator("section", has=manager.get_by_role("heading", name="History", exact=True))
    rows = history.locator("tbody tr").filter(has_not_text="Automatic step")
    assert rows.count() == 4  # started, questionnaire, review, confirmation (automatic steps besides)
    assert "Please come tomorrow" in rows.nth(2).inner_text()
    assert manager.locator("#instance-ended").is_visible()  # a completed instance names its end
    live_server.screenshot(manager, "tasks-instance-completed")
