"""The task page: instructions and form, completion, and every failure leaving the instance unchanged."""

from __future__ import annotations

from sqlalchemy import select

from engine.audit import AuditEntry
from engine.workflow.models import TaskHistory
from tests.tasks.conftest import SYMPTOM_CHECK, instance_row, start, task_of
from tests.webui.conftest import login, make_user


def _journal(app, action):
    with app.extensions["carepath"].sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_task_page_shows_the_instructions_and_the_form_built_from_the_schema(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)
    iid = start(app, "symptom_check", cast.patient, cast.patient)
    login(client, cast.patient.email)
    html = client.get(f"/tasks/{iid}/{task_of(app, cast.patient, iid)}").get_data(as_text=True)
    assert "<h2>Daily check after discharge</h2>" in html  # Markdown of instructionsForEndUser
    assert 'name="temperature"' in html and "°C" in html
    assert 'type="range"' in html and "No pain" in html  # the intensity slider of the UI schema
    assert "Send to my doctor" in html


def test_completing_with_valid_data_moves_the_pathway_on_and_journals_it(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)
    iid = start(app, "symptom_check", cast.patient, cast.patient)
    guid = task_of(app, cast.patient, iid)
    login(client, cast.patient.email)
    response = client.post(f"/tasks/{iid}/{guid}", data={
        "feeling": "worse", "temperature": "38.2", "pain_level": "3", "symptoms": ["cough"], "comments": "Tired",
    })  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"].endswith("/tasks/")
    assert "Done: “Tell us how you feel”." in client.get("/tasks/").get_data(as_text=True)
    with app.extensions["carepath"].sessions() as session:
        done = session.scalars(select(TaskHistory).where(TaskHistory.instance_id == iid)).one()
    assert done.completed_by == cast.patient.id
    assert done.data == {"feeling": "worse", "temperature": 38.2, "pain_level": 3, "symptoms": ["cough"],
                         "comments": "Tired"}
    [entry] = _journal(app, "task_completed")
    assert entry.actor_id == cast.patient.id and entry.object_id == f"{iid}:{guid}"
    # The doctor's review shows the answers through the Jinja instructions, fever flagged by the script.
    doctor_guid = task_of(app, cast.doctor, iid)
    client.post("/account/logout")
    login(client, cast.doctor.email)
    html = client.get(f"/tasks/{iid}/{doctor_guid}").get_data(as_text=True)
    assert "38.2 °C — <strong>fever</strong>" in html and "<td>cough</td>" in html


def test_invalid_data_is_refused_with_field_errors_and_changes_nothing(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)
    iid = start(app, "symptom_check", cast.patient, cast.patient)
    guid = task_of(app, cast.patient, iid)
    before = instance_row(app, iid)
    login(client, cast.patient.email)
    response = client.post(f"/tasks/{iid}/{guid}", data={"feeling": "fine", "temperature": "55"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please correct the following:" in html
    summary = html.split('class="cp-error-summary"')[1].split("</div>")[0]
    assert "Body temperature" in summary and "How do you feel today?" in summary
    after = instance_row(app, iid)
    assert (after.revision, after.state, after.status) == (before.revision, before.state, before.status)
    assert task_of(app, cast.patient, iid) == guid
    assert _journal(app, "task_completed") == []


def test_another_patients_task_is_not_found_and_unchanged(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)
    iid = start(app, "symptom_check", cast.patient, cast.patient)
    guid = task_of(app, cast.patient, iid)
    before = instance_row(app, iid)
    login(client, cast.other_patient.email)
    assert client.get(f"/tasks/{iid}/{guid}").status_code == 404
    response = client.post(f"/tasks/{iid}/{guid}", data={"feeling": "better", "temperature": "36.6"})
    assert response.status_code == 404
    assert "There is no such task." in response.get_data(as_text=True)
    assert instance_row(app, iid).revision == before.revision


def test_another_patients_completed_task_is_not_found_rather_than_a_conflict(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)
    iid = start(app, "symptom_check", cast.patient, cast.patient)
    guid = task_of(app, cast.patient, iid)
    login(client, cast.patient.email)
    client.post(f"/tasks/{iid}/{guid}", data={"feeling": "same", "temperature": "36.9"})
    assert client.get(f"/tasks/{iid}/{guid}").status_code == 409  # the owner is told they did it
    stranger = app.test_client()
    login(stranger, cast.other_patient.email)
    for response in (stranger.get(f"/tasks/{iid}/{guid}"),
                     stranger.post(f"/tasks/{iid}/{guid}", data={"feeling": "same", "temperature": "36.9"})):
        assert response.status_code == 404
        assert "already completed" not in response.get_data(as_text=True)


def test_an_unknown_or_malformed_task_id_is_not_found(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)
    iid = start(app, "symptom_check", cast.patient, cast.patient)
    login(client, cast.patient.email)
    assert client.get(f"/tasks/{iid}/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get(f"/tasks/{iid}/not-a-guid").status_code == 404
    assert client.get("/tasks/999999/00000000-0000-0000-0000-000000000000").status_code == 404


def test_the_second_of_two_completions_gets_a_clear_conflict(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)
    colleague = make_user(app, "colleague@test.org", "doctor")
    iid = start(app, "symptom_check", cast.patient, cast.patient)
    login(client, cast.patient.email)
    client.post(f"/tasks/{iid}/{task_of(app, cast.patient, iid)}", data={"feeling": "same", "temperature": "36.9"})
    guid = task_of(app, cast.doctor, iid)  # a queue task: any doctor may take it
    answer = {"decision": "advice", "message_to_patient": "Drink plenty of water."}
    other = app.test_client()
    login(other, colleague.email)
    assert other.get(f"/tasks/{iid}/{guid}").status_code == 200  # both have the page open
    client.post("/account/logout")
    login(client, cast.doctor.email)
    assert client.post(f"/tasks/{iid}/{guid}", data=answer).status_code == 302
    revision = instance_row(app, iid).revision
    late = other.post(f"/tasks/{iid}/{guid}", data={**answer, "message_to_patient": "Come tomorrow."})
    assert late.status_code == 409
    assert "This task was already completed by someone else." in late.get_data(as_text=True)
    assert instance_row(app, iid).revision == revision
    # The one who did it is told so in their own words.
    again = client.get(f"/tasks/{iid}/{guid}")
    assert again.status_code == 409 and "You have already completed this task." in again.get_data(as_text=True)


def test_a_queue_task_can_be_taken_and_given_back(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)
    colleague = make_user(app, "colleague@test.org", "doctor")
    iid = start(app, "symptom_check", cast.patient, cast.patient)
    login(client, cast.patient.email)
    client.post(f"/tasks/{iid}/{task_of(app, cast.patient, iid)}", data={"feeling": "same", "temperature": "36.9"})
    client.post("/account/logout")
    guid = task_of(app, cast.doctor, iid)
    login(client, cast.doctor.email)
    assert "Take this task" in client.get(f"/tasks/{iid}/{guid}").get_data(as_text=True)
    assert client.post(f"/tasks/{iid}/{guid}/claim").status_code == 302
    assert "You have taken this task" in client.get(f"/tasks/{iid}/{guid}").get_data(as_text=True)
    other = app.test_client()
    login(other, colleague.email)
    assert other.get(f"/tasks/{iid}/{guid}").status_code == 403  # taken: no longer the colleague's
    taken = other.post(f"/tasks/{iid}/{guid}/claim")
    assert taken.status_code == 409 and "A colleague has already taken this task." in taken.get_data(as_text=True)
    assert client.post(f"/tasks/{iid}/{guid}/release").status_code == 302
    assert other.get(f"/tasks/{iid}/{guid}").status_code == 200
    assert [e.action for e in _journal(app, "task_claimed") + _journal(app, "task_released")] == [
        "task_claimed", "task_released"]


def test_a_task_without_a_form_is_completed_with_one_button(app, client, cast, deploy):
    deploy("review")
    iid = start(app, "review", cast.doctor, cast.patient, verdict="accept")
    login(client, cast.patient.email)
    client.post(f"/tasks/{iid}/{task_of(app, cast.patient, iid)}", data={"complaint": "Headache"})
    client.post("/account/logout")
    login(client, cast.doctor.email)
    guid = task_of(app, cast.doctor, iid)
    assert "Mark as done" in client.get(f"/tasks/{iid}/{guid}").get_data(as_text=True)
    assert client.post(f"/tasks/{iid}/{guid}").status_code == 302
    assert task_of(app, cast.doctor, iid) != guid  # accepted: now "Schedule the session"
    assert instance_row(app, iid).status == "waiting"


def test_an_unconfirmed_account_cannot_open_or_complete_tasks(app, client, cast, deploy):
    deploy("review")
    iid = start(app, "review", cast.doctor, cast.outsider)
    guid = task_of(app, cast.outsider, iid)
    login(client, cast.outsider.email)
    assert client.get(f"/tasks/{iid}/{guid}").status_code == 302
    assert client.post(f"/tasks/{iid}/{guid}", data={"complaint": "x"}).status_code == 302
    assert task_of(app, cast.outsider, iid) == guid


def _consultation_of(app, patient) -> int:
    from engine.consultations.models import APPLICATION, SCHEDULED, Consultation
    from engine.db import transaction

    with transaction(app.extensions["carepath"].sessions) as session:
        row = Consultation(route=APPLICATION, status=SCHEDULED, patient_id=patient.id, full_name="Test Tess")
        session.add(row)
        session.flush()
        return row.id


def test_a_patients_task_of_a_consultation_leads_back_to_the_consultation(app, client, cast, deploy):
    deploy(SYMPTOM_CHECK)
    mine = _consultation_of(app, cast.patient)
    theirs = _consultation_of(app, cast.other_patient)
    answers = {"feeling": "same", "temperature": "36.6", "pain_level": "0", "comments": ""}
    login(client, cast.patient.email)

    # The task belongs to the patient's consultation (the consent, the documents): its page comes next,
    # where the patient sees what happens now, not an empty "My tasks".
    iid = start(app, "symptom_check", cast.patient, cast.patient, consultation_id=mine)
    done = client.post(f"/tasks/{iid}/{task_of(app, cast.patient, iid)}", data=answers)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/consultations/{mine}")
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Done: “Tell us how you feel”." in page

    # A consultation that is not the patient's is never the next page (its id must not lead anywhere).
    iid = start(app, "symptom_check", cast.patient, cast.patient, consultation_id=theirs)
    done = client.post(f"/tasks/{iid}/{task_of(app, cast.patient, iid)}", data=answers)
    assert done.status_code == 302 and done.headers["Location"].endswith("/tasks/")
