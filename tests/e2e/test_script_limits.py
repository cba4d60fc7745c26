"""Issue 13 in a real browser: a patient completes the task before a looping script and gets a clear page
within the script time limit, while the doctor's inbox keeps answering."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from engine.accounts.models import User
from engine.workflow import Actor, ConnectorRegistry, deploy_model, limits, start_instance
from tests.e2e.conftest import in_transaction
from tests.e2e.test_tasks import login
from tests.engine.helpers import model_files
from tests.engine.test_script_limits import QUIET

pytestmark = pytest.mark.e2e

MARGIN_SECONDS = 3.0  # the page load around the step, on a loaded machine


def test_a_patient_gets_a_clear_page_within_the_limit_while_the_doctor_works(live_server, new_context):
    base = live_server.url
    sessions = live_server.app.extensions["carepath"].sessions
    files = model_files("runaway", **{**QUIET, "SCRIPT_HERE": "while True:\n    pass"})
    in_transaction(sessions, lambda s: deploy_model(s, "runaway_e2e", files, connectors=ConnectorRegistry()))
    patient_id = in_transaction(sessions, lambda s: s.scalar(select(User.id).where(User.email == "patient@example.org")))
    starter = Actor(patient_id, frozenset({"patient"}))
    instance_id = start_instance(sessions, "runaway_e2e", starter, {}, patient_id=patient_id)

    doctor = new_context().new_page()
    login(doctor, base, "doctor@example.org")
    patient = new_context().new_page()
    login(patient, base, "patient@example.org")
    patient.goto(f"{base}/tasks/")
    patient.get_by_role("link", name="Answer").first.click()
    submit = patient.get_by_role("button", name="Mark as done")
    submit.wait_for()

    began = time.monotonic()
    submit.click(no_wait_after=True)
    time.sleep(0.3)  # the script is looping on the server now
    doctor.goto(f"{base}/tasks/")  # the doctor's inbox answers meanwhile
    doctor_seconds = time.monotonic() - began
    assert doctor.get_by_role("heading", level=1).is_visible()
    patient.wait_for_url(f"{base}/tasks/", timeout=(limits.LIMITS.seconds + MARGIN_SECONDS) * 1000)
    patient_seconds = time.monotonic() - began
    assert patient.get_by_text("Your answers are saved, but the next step of this pathway could not run.").is_visible()
    live_server.screenshot(patient, "script-limit-patient")
    assert doctor_seconds < limits.LIMITS.seconds, f"the doctor's inbox took {doctor_seconds:.2f} s"
    assert patient_seconds <= limits.LIMITS.seconds + MARGIN_SECONDS

    # Staff read the reason in their language on the instance page.
    manager = new_context().new_page()
    login(manager, base, "manager@example.org")
    manager.goto(f"{base}/instances/{instance_id}")
    assert manager.get_by_role("alert").get_by_text("The script ran longer than 2 s and was stopped.").is_visible()
    live_server.screenshot(manager, "script-limit-instance")
