"""Staff start a pathway with the form of what it needs (its doctor, its instructor); a start that fails
says so, with the pathway's error in the reader's words."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from engine.workflow.models import ProcessInstance
from tests.tasks.conftest import instance_row, start
from tests.webui.conftest import login, make_user
from webui.messages import stored_message

REHAB = Path(__file__).resolve().parents[2] / "workflows" / "bpmn" / "rehab_course"


def instances(app):
    with app.extensions["carepath"].sessions() as session:
        return list(session.scalars(select(ProcessInstance).order_by(ProcessInstance.id)))


def test_a_manager_starts_a_rehabilitation_course_choosing_its_doctor_and_instructor(app, client, cast, deploy):
    deploy(REHAB)
    manager = make_user(app, "manager@test.org", "manager")
    instructor = make_user(app, "instructor@test.org", "instructor", last_name="Coach")
    login(client, manager.email)

    chosen = client.post("/tasks/start", data={"pathway": "rehab_course", "patient_email": cast.patient.email})
    assert chosen.headers["Location"].endswith("/tasks/start/rehab_course?patient=patient@test.org")
    form = client.get(chosen.headers["Location"]).get_data(as_text=True)
    assert "Attending doctor" in form and "Instructor" in form and "Coach Tess" in form
    assert instances(app) == []

    incomplete = client.post(chosen.headers["Location"], data={"doctor_id": str(cast.doctor.id)})
    assert incomplete.status_code == 400 and instances(app) == []  # nothing starts without the instructor

    done = client.post(chosen.headers["Location"], data={"doctor_id": str(cast.doctor.id),
                                                         "instructor_id": str(instructor.id), "title": "Knee"})
    [row] = instances(app)
    assert row.status != "error" and row.patient_id == cast.patient.id
    page = client.get(done.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "The pathway has started." in page


def test_a_doctor_is_the_course_doctor_unless_they_choose_another(app, client, cast, deploy):
    deploy(REHAB)
    make_user(app, "instructor@test.org", "instructor")
    login(client, cast.doctor.email)

    form = client.get("/tasks/start/rehab_course?patient=patient%40test.org").get_data(as_text=True)

    assert f'<input checked class="cp-check-input" id="doctor_id-0" name="doctor_id" required type="radio" value="{cast.doctor.id}">' in form


def test_a_start_that_fails_at_once_says_so_and_never_that_it_started(app, client, cast, deploy):
    deploy("failing")  # its first service task's provider does not answer
    manager = make_user(app, "manager@test.org", "manager")
    login(client, manager.email)

    response = client.post("/tasks/start", data={"pathway": "failing", "patient_email": cast.patient.email},
                           follow_redirects=True)

    page = response.get_data(as_text=True)
    [row] = instances(app)
    assert row.status == "error"
    assert "The pathway could not start: Service book_slot failed: the booking service does not answer." in page
    assert "The pathway has started." not in page


def test_a_missing_value_is_named_once_in_the_readers_words(app, cast, deploy):
    deploy(REHAB)
    iid = start(app, "rehab_course", cast.doctor, cast.patient, instructor_id=cast.doctor.id)  # no doctor_id
    row = instance_row(app, iid)

    assert row.status == "error"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        text = stored_message(row.error_message)
    assert "needs the value “doctor_id”, which the pathway was not given" in text
    assert "Did you mean" not in text
