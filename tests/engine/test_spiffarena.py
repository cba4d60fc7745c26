"""SpiffArena compatibility: its model folders deploy as they are, instructions written as its extension
element reach the task view, and staff read an instance's current data through the engine."""

from __future__ import annotations

import json

import pytest

from engine.db import transaction
from engine.i18n import Forbidden, NotFound
from engine.workflow import DeployError, complete_task, deploy_model, get_task, instance_data, start_instance
from engine.workflow.models import ProcessModel
from tests.engine.helpers import (
    COLLEAGUE,
    DOCTOR,
    MANAGER,
    OTHER_PATIENT,
    OUTSIDE_DOCTOR,
    PATIENT,
    model_files,
    only_task,
)


def test_a_spiffarena_folder_deploys_with_process_model_json_as_its_manifest(sessions):
    files = model_files("spiffarena")
    assert "process_model.json" in files
    with transaction(sessions) as session:
        version = deploy_model(session, "checkin", files)
        assert version.primary_process_id == "Process_checkin"
        assert "process_model.json" not in version.files  # read as the manifest, not kept as a form
        model = session.get(ProcessModel, "checkin")
        assert (model.title, model.description) == ("Check-in (SpiffArena)", "A model folder as SpiffArena writes it.")


def test_our_model_json_wins_over_process_model_json_key_by_key(sessions):
    files = model_files("spiffarena")
    files["model.json"] = json.dumps({"title": "Morning check-in"})
    with transaction(sessions) as session:
        deploy_model(session, "checkin", files)
        model = session.get(ProcessModel, "checkin")
        assert (model.title, model.description) == ("Morning check-in", "A model folder as SpiffArena writes it.")


def test_a_broken_process_model_json_is_refused_with_its_name(sessions):
    files = model_files("spiffarena")
    files["process_model.json"] = "{not json"
    with pytest.raises(DeployError) as refused, transaction(sessions) as session:
        deploy_model(session, "checkin", files)
    assert refused.value.problems[0].file == "process_model.json"
    with sessions() as session:
        assert session.get(ProcessModel, "checkin") is None


def test_instructions_written_as_the_spiffarena_element_reach_the_task_view(sessions):
    with transaction(sessions) as session:
        version = deploy_model(session, "checkin", model_files("spiffarena"))
    iid = start_instance(sessions, "checkin", PATIENT, {"name": "Anna"}, patient_id=PATIENT.user_id)
    guid = only_task(sessions, PATIENT, iid)
    with sessions() as session:
        view = get_task(session, PATIENT, iid, guid)
    assert view.instructions == "Good morning, {{ name }}. Tell us how you feel."
    assert view.form_schema["required"] == ["feeling"]
    assert view.ui_schema == {"feeling": {"ui:widget": "textarea"}}
    assert (view.version_id, view.form_version_id) == (version.id, version.id)


def test_instructions_written_as_a_property_still_reach_the_task_view(sessions, deploy):
    deploy("review")
    iid = start_instance(sessions, "review", PATIENT, {"doctor_id": DOCTOR.user_id}, patient_id=PATIENT.user_id)
    with sessions() as session:
        view = get_task(session, PATIENT, iid, only_task(sessions, PATIENT, iid))
    assert view.instructions == "Hello {{ name }}, describe your complaint."


def test_the_task_view_tells_who_holds_a_queue_task_and_its_claim(sessions, deploy):
    from engine.workflow import claim_task

    deploy("review")
    iid = start_instance(sessions, "review", PATIENT, {"doctor_group": "institution:1:doctor"}, patient_id=PATIENT.user_id)
    complete_task(sessions, PATIENT, iid, only_task(sessions, PATIENT, iid), {"complaint": "cough"})
    guid = only_task(sessions, DOCTOR, iid)
    with sessions() as session:
        view = get_task(session, DOCTOR, iid, guid)
        assert (view.queue_task, view.assignee_user_id, view.claimed_by) == (True, None, None)
        assert view.candidate_group == "institution:1:doctor"
        claim_task(session, DOCTOR, iid, guid)
        session.commit()
    with sessions() as session:
        assert get_task(session, DOCTOR, iid, guid).claimed_by == DOCTOR.user_id


def test_staff_and_the_care_team_read_the_current_data_and_nobody_else(sessions, deploy):
    deploy("review")
    iid = start_instance(sessions, "review", PATIENT, {"doctor_id": DOCTOR.user_id}, patient_id=PATIENT.user_id)
    complete_task(sessions, PATIENT, iid, only_task(sessions, PATIENT, iid), {"complaint": "cough"})
    with sessions() as session:
        for reader in (MANAGER, DOCTOR):  # staff; the doctor the review is assigned to
            data = instance_data(session, reader, iid)
            assert data["complaint"] == "cough" and data["doctor_id"] == DOCTOR.user_id
        for stranger in (PATIENT, COLLEAGUE, OUTSIDE_DOCTOR):
            with pytest.raises(Forbidden):
                instance_data(session, stranger, iid)
        with pytest.raises(NotFound):  # another patient learns nothing of this pathway, not even that it exists
            instance_data(session, OTHER_PATIENT, iid)
        with pytest.raises(NotFound):
            instance_data(session, MANAGER, iid + 1000)


def test_a_doctor_who_took_part_still_reads_the_data_after_the_end(sessions, deploy):
    deploy("review")
    iid = start_instance(sessions, "review", PATIENT, {"doctor_id": DOCTOR.user_id}, patient_id=PATIENT.user_id)
    complete_task(sessions, PATIENT, iid, only_task(sessions, PATIENT, iid), {"complaint": "cough"})
    complete_task(sessions, DOCTOR, iid, only_task(sessions, DOCTOR, iid), {"verdict": "accept"})
    complete_task(sessions, DOCTOR, iid, only_task(sessions, DOCTOR, iid), {})
    with sessions() as session:
        data = instance_data(session, DOCTOR, iid)
    assert (data["complaint"], data["verdict"]) == ("cough", "accept")
