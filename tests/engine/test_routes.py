"""Pathway behaviour through the engine: lanes, gateways, loops, call activities, DMN, service tasks."""

from __future__ import annotations

from sqlalchemy import select

from engine.workflow import complete_task, get_task, inbox, start_instance
from engine.workflow.models import COMPLETED, WAITING, ProcessInstance, TaskHistory
from tests.engine.helpers import (
    DOCTOR,
    INSTRUCTOR,
    OUTSIDE_DOCTOR,
    PATIENT,
    instance,
    only_task,
    pending,
    titles,
)

GROUP = {"doctor_group": "institution:1:doctor"}


def test_a_lane_gives_the_task_to_the_patient_named_in_the_data(sessions, deploy):
    deploy("review")
    iid = start_instance(sessions, "review", PATIENT, {"name": "Ann", **GROUP}, patient_id=PATIENT.user_id)
    [task] = pending(sessions, iid)
    assert (task.role, task.assignee_user_id, task.candidate_group) == ("patient", PATIENT.user_id, None)
    assert task.form_filename == "application.json"
    with sessions() as session:
        view = get_task(session, PATIENT, iid, task.task_guid)
    assert view.form_schema["properties"]["complaint"]["type"] == "string"
    assert view.ui_schema == {"complaint": {"ui:widget": "textarea"}}
    assert "{{ name }}" in view.instructions
    assert view.data["name"] == "Ann"


def test_the_doctor_lane_goes_to_the_institution_queue_when_no_doctor_is_named(sessions, deploy):
    deploy("review")
    iid = start_instance(sessions, "review", PATIENT, GROUP, patient_id=PATIENT.user_id)
    complete_task(sessions, PATIENT, iid, only_task(sessions, PATIENT, iid), {"complaint": "cough"})
    [task] = pending(sessions, iid)
    assert (task.role, task.assignee_user_id, task.candidate_group) == ("doctor", None, "institution:1:doctor")
    with sessions() as session:
        assert [i.instance_id for i in inbox(session, DOCTOR)] == [iid]
        assert inbox(session, OUTSIDE_DOCTOR) == []
        assert inbox(session, PATIENT) == []


def test_the_exclusive_gateway_follows_the_doctors_verdict(sessions, deploy):
    deploy("review")
    routes = {}
    for verdict in ("accept", "decline"):
        iid = start_instance(sessions, "review", PATIENT, GROUP, patient_id=PATIENT.user_id)
        complete_task(sessions, PATIENT, iid, only_task(sessions, PATIENT, iid), {"complaint": "cough"})
        complete_task(sessions, DOCTOR, iid, only_task(sessions, DOCTOR, iid), {"verdict": verdict})
        routes[verdict] = titles(sessions, iid)
    assert routes == {"accept": ["Schedule the session"], "decline": ["Read why the application was declined"]}


def test_the_route_ends_completed_with_its_history(sessions, deploy):
    deploy("review")
    iid = start_instance(sessions, "review", PATIENT, GROUP, patient_id=PATIENT.user_id)
    complete_task(sessions, PATIENT, iid, only_task(sessions, PATIENT, iid), {"complaint": "cough"})
    complete_task(sessions, DOCTOR, iid, only_task(sessions, DOCTOR, iid), {"verdict": "decline"})
    status = complete_task(sessions, PATIENT, iid, only_task(sessions, PATIENT, iid), {})
    assert status == COMPLETED == instance(sessions, iid).status
    assert pending(sessions, iid) == []
    with sessions() as session:
        history = session.scalars(select(TaskHistory).where(TaskHistory.instance_id == iid).order_by(TaskHistory.id)).all()
    assert [(h.task_name, h.completed_by) for h in history] == [
        ("apply", PATIENT.user_id), ("review_application", DOCTOR.user_id), ("read_decline", PATIENT.user_id)
    ]
    assert history[1].data == {"verdict": "decline"}


def test_parallel_branches_wait_for_each_other(sessions, deploy):
    deploy("parallel")
    iid = start_instance(sessions, "parallel", DOCTOR, {"doctor_id": DOCTOR.user_id, "instructor_id": INSTRUCTOR.user_id})
    assert titles(sessions, iid) == ["Set up the classes", "Write the rehabilitation plan"]
    complete_task(sessions, INSTRUCTOR, iid, only_task(sessions, INSTRUCTOR, iid), {"classes": 8})
    assert titles(sessions, iid) == ["Write the rehabilitation plan"]
    assert instance(sessions, iid).status == WAITING
    assert complete_task(sessions, DOCTOR, iid, only_task(sessions, DOCTOR, iid), {"plan": "walks"}) == COMPLETED


def test_a_loop_back_repeats_the_task_until_the_condition_is_met(sessions, deploy):
    deploy("loop")
    iid = start_instance(sessions, "loop", PATIENT, patient_id=PATIENT.user_id)
    for systolic in (120, 135):
        complete_task(sessions, PATIENT, iid, only_task(sessions, PATIENT, iid), {"systolic": systolic})
    guid = only_task(sessions, PATIENT, iid)
    with sessions() as session:
        data = get_task(session, PATIENT, iid, guid).data
    assert (data["rounds"], data["values"]) == (2, [120, 135])
    assert complete_task(sessions, PATIENT, iid, guid, {"systolic": 150}) == COMPLETED
    with sessions() as session:
        rounds = session.scalars(select(TaskHistory.task_name).where(TaskHistory.instance_id == iid)).all()
    assert rounds == ["measure", "measure", "measure"]


def test_a_dmn_rule_raises_an_alert_for_a_value_out_of_range(sessions, deploy):
    deploy("triage")
    high = start_instance(sessions, "triage", PATIENT, {"systolic": 171, "doctor_id": DOCTOR.user_id})
    normal = start_instance(sessions, "triage", PATIENT, {"systolic": 118, "doctor_id": DOCTOR.user_id})
    assert titles(sessions, high) == ["Look at the out-of-range value"]
    assert instance(sessions, normal).status == COMPLETED


def test_a_service_task_calls_the_registered_connector_with_evaluated_parameters(sessions, deploy, connectors):
    calls = []

    def meeting_link(session, context, params):
        calls.append((context.instance_id, context.task_name, context.patient_id, params))
        return {"url": f"https://meet.example/{params['room']}"}

    connectors._connectors["meeting_link"] = meeting_link
    deploy("service")
    iid = start_instance(sessions, "service", PATIENT, {"ticket": 42}, patient_id=PATIENT.user_id, connectors=connectors)
    assert calls == [(iid, "make_link", PATIENT.user_id, {"room": "consult-42", "minutes": 30})]
    assert instance(sessions, iid).status == COMPLETED


def test_a_call_activity_runs_a_process_of_the_same_model_and_one_of_another_model(sessions, deploy):
    tail = deploy("session_tail")
    caller = deploy("with_session")
    assert caller.process_sources["session_tail"] == tail.id
    iid = start_instance(sessions, "with_session", DOCTOR, {"doctor_id": DOCTOR.user_id}, patient_id=PATIENT.user_id)
    [consent] = pending(sessions, iid)
    assert (consent.task_name, consent.assignee_user_id, consent.form_version_id) == ("consent", PATIENT.user_id, tail.id)
    with sessions() as session:
        view = get_task(session, PATIENT, iid, consent.task_guid)
    assert view.form_schema["properties"]["agree"]["type"] == "boolean"
    assert view.data["prepared"] is True
    complete_task(sessions, PATIENT, iid, consent.task_guid, {"agree": True})
    assert titles(sessions, iid) == ["Write the conclusion"]
    with sessions() as session:
        assert session.get(ProcessInstance, iid).version_id == caller.id
