"""Starting pathways (staff for a patient, patients where self-service) and the staff instance page."""

from __future__ import annotations

from sqlalchemy import select

from engine.audit import AuditEntry
from engine.workflow.models import ProcessInstance
from tests.tasks.conftest import SYMPTOM_CHECK, instance_row, start, task_of
from tests.webui.conftest import login, make_user


def _instances(app):
    with app.extensions["carepath"].sessions() as session:
        return list(session.scalars(select(ProcessInstance).order_by(ProcessInstance.id)))


def test_a_patient_starts_a_self_service_pathway_and_lands_on_its_first_task(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)  # its start event lies in the patient lane
    deploy("escalation")  # starts in the doctor lane: the clinic's
    login(client, cast.patient.email)
    page = client.get("/tasks/start").get_data(as_text=True)
    assert "Symptom check after discharge" in page and "escalation" not in page
    response = client.post("/tasks/start", data={"pathway": "symptom_check"})
    [row] = _instances(app)
    assert row.patient_id == cast.patient.id and row.started_by == cast.patient.id
    assert response.headers["Location"].endswith(f"/tasks/{row.id}/{task_of(app, cast.patient, row.id)}")
    refused = client.post("/tasks/start", data={"pathway": "escalation"})
    assert refused.status_code == 403
    assert "This pathway is started by the clinic, not by patients." in refused.get_data(as_text=True)
    assert len(_instances(app)) == 1


def test_a_patient_is_offered_only_what_the_manifest_lets_a_patient_start(app, client, cast, deploy):
    deploy("review")  # its start event lies in the patient lane, but its manifest does not offer it
    deploy("start_form")  # model.json: "patient_start": {"form": "forms/start.json"}
    login(client, cast.patient.email)
    page = client.get("/tasks/start").get_data(as_text=True)
    assert "Application with a start form" in page and "Application review" not in page
    refused = client.post("/tasks/start", data={"pathway": "review"})
    assert refused.status_code == 403 and _instances(app) == []
    chosen = client.post("/tasks/start", data={"pathway": "start_form"})
    assert chosen.headers["Location"].endswith("/tasks/start/start_form") and _instances(app) == []
    form = client.get("/tasks/start/start_form").get_data(as_text=True)
    assert "Your name" in form and 'name="name"' in form
    assert client.post("/tasks/start/start_form", data={"name": "A"}).status_code == 400
    assert _instances(app) == []  # a bad start form starts nothing
    started = client.post("/tasks/start/start_form", data={"name": "Anna"})
    [row] = _instances(app)
    assert started.headers["Location"].endswith(f"/tasks/{row.id}/{task_of(app, cast.patient, row.id)}")
    assert "Hello Anna, describe your complaint." in client.get(started.headers["Location"]).get_data(as_text=True)
    # The clinic's staff still start any model, without the patient's start form.
    client.post("/account/logout")
    login(client, cast.doctor.email)
    assert "Application review" in client.get("/tasks/start").get_data(as_text=True)


def test_a_doctor_starts_a_pathway_for_a_patient_by_email(app, client, cast, deploy):
    deploy("escalation")
    login(client, cast.doctor.email)
    missing = client.post("/tasks/start", data={"pathway": "escalation", "patient_email": "nobody@test.org"})
    assert missing.status_code == 400 and "There is no account with the address nobody@test.org." in missing.get_data(as_text=True)
    not_patient = client.post("/tasks/start", data={"pathway": "escalation", "patient_email": cast.admin.email})
    assert not_patient.status_code == 400
    assert _instances(app) == []
    client.post("/tasks/start", data={"pathway": "escalation", "patient_email": cast.patient.email})
    [row] = _instances(app)
    assert row.patient_id == cast.patient.id
    assert task_of(app, cast.doctor, row.id)  # the starting doctor is the pathway's doctor
    with app.extensions["carepath"].sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "process_started")).one()
    assert entry.actor_id == cast.doctor.id and entry.details["patient_id"] == cast.patient.id


def test_the_instance_page_shows_status_history_data_and_the_diagram(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)
    manager = make_user(app, "manager@test.org", "manager")
    iid = start(app, "symptom_check", cast.patient, cast.patient)
    login(client, cast.patient.email)
    client.post(f"/tasks/{iid}/{task_of(app, cast.patient, iid)}", data={"feeling": "worse", "temperature": "38"})
    assert client.get(f"/instances/{iid}").status_code == 403  # patients get no staff page
    assert client.get(f"/instances/{iid}/diagram.bpmn").status_code == 403
    client.post("/account/logout")
    login(client, manager.email)
    html = client.get(f"/instances/{iid}").get_data(as_text=True)
    assert "waiting" in html and "Tell us how you feel" in html and "Test Tess" in html
    assert "&#34;temperature&#34;: 38" in html or '"temperature": 38' in html
    assert "&#34;fever&#34;: true" in html or '"fever": true' in html
    assert 'data-current="[&#34;Activity_review&#34;]"' in html
    assert "js/diagram.js" in html and "bpmn-viewer.production.min.js" in html
    xml = client.get(f"/instances/{iid}/diagram.bpmn")
    assert xml.mimetype == "application/xml" and b"Process_symptom_check_8h2k1" in xml.data
    assert client.get("/vendor/bpmn-js/bpmn-viewer.production.min.js").status_code == 200
    assert client.get("/vendor/bpmn-js/assets/bpmn-js.css").status_code == 200
    assert client.get("/vendor/bpmn-js/../../package.json").status_code == 404
    assert client.get("/instances/999").status_code == 404


def test_a_doctor_sees_the_instances_they_take_part_in_only(app, client, cast, deploy):
    deploy("escalation")
    colleague = make_user(app, "colleague@test.org", "doctor")
    iid = start(app, "escalation", cast.doctor, cast.patient, doctor_id=cast.doctor.id)
    login(client, cast.doctor.email)
    assert client.get(f"/instances/{iid}").status_code == 200
    other = app.test_client()
    login(other, colleague.email)
    assert other.get(f"/instances/{iid}").status_code == 403


def test_staff_see_the_failing_element_and_retry_after_the_fix(app, client, cast, deploy, flaky):
    deploy("failing")
    manager = make_user(app, "manager@test.org", "manager")
    iid = start(app, "failing", cast.patient, cast.patient, people=2)
    failed = instance_row(app, iid)
    assert failed.status == "error" and failed.error_element == "book"
    login(client, manager.email)
    html = client.get(f"/instances/{iid}").get_data(as_text=True)
    assert "The pathway stopped with an error" in html and "<code>book</code>" in html
    assert "the booking service does not answer" in html and ">Retry</button>" in html
    client.post(f"/instances/{iid}/retry")
    assert instance_row(app, iid).status == "error"  # still down: the same error, nothing else moved
    flaky.working = True
    response = client.post(f"/instances/{iid}/retry", follow_redirects=True)
    assert "The pathway runs again." in response.get_data(as_text=True)
    assert instance_row(app, iid).status == "waiting"
    assert task_of(app, cast.patient, iid)
    listing = client.get("/instances/?status=waiting").get_data(as_text=True)
    assert f'/instances/{iid}"' in listing
