"""SpiffArena's own public sample models (sartography/sample-process-models, copied unchanged into
tests/data/spiffarena) deploy with `carepath deploy` and are walked to their end through the task pages."""

from __future__ import annotations

import shutil

import pytest

from engine.accounts import groups
from engine.db import transaction
from tests.tasks.conftest import DATA, login, make_user, start
from tests.tasks.page_walk import status_of, walk
from webui.cli import main

SAMPLES = DATA / "spiffarena"
STYLE = DATA / "spiffarena_style"
NAMED = ("process-model-with-form", "lanes", "call-activity", "script-task", "dmn-boolean-test",
         "manual-task-with-timer")
# The process the call-activity sample calls is in no sample model; ours stands in for it.
CALLED_ELSEWHERE = "empty-workflow-with-user-task"


@pytest.fixture
def samples_deployed(app, tmp_path, registry):
    for name in NAMED:
        shutil.copytree(SAMPLES / name, tmp_path / name)
    shutil.copytree(STYLE / CALLED_ELSEWHERE, tmp_path / CALLED_ELSEWHERE)
    result = app.test_cli_runner().invoke(main, ["deploy", str(tmp_path)])
    assert result.exit_code == 0, result.output + result.stderr
    return result.output


def test_the_six_named_sample_models_deploy_unchanged_with_carepath_deploy(samples_deployed):
    for name in NAMED:
        assert f"{name.replace('-', '_')}: deployed as version 1" in samples_deployed


def test_a_missing_called_process_is_named_at_deploy(app, tmp_path):
    shutil.copytree(SAMPLES / "call-activity", tmp_path / "call-activity")
    result = app.test_cli_runner().invoke(main, ["deploy", str(tmp_path / "call-activity")])
    assert result.exit_code == 1
    assert "empty_workflow_with_user_task" in result.stderr


@pytest.mark.parametrize("model_id", [n.replace("-", "_") for n in NAMED])
def test_each_named_sample_walks_to_its_end_through_the_task_pages(app, client, samples_deployed, model_id):
    starter = make_user(app, "starter@test.org", "analyst")
    finance = make_user(app, "finance@test.org", "manager")
    with transaction(app.extensions["carepath"].sessions) as session:
        groups.add_member(session, "group1", finance.email)  # the "lanes" sample's group lane
    iid = start(app, model_id, starter, None)
    for _ in range(6):
        login(client, starter.email)
        walk(app, client, starter, iid)
        client.post("/account/logout")
        login(client, finance.email)
        walk(app, client, finance, iid)
        client.post("/account/logout")
        if status_of(app, iid)[0] != "waiting":
            break
    assert status_of(app, iid) == ("completed", None), status_of(app, iid)


OTHERS = ("dynamic-enum-select-fields", "process-model-with-repeating-form", "lanes-with-dict")


def test_other_samples_deploy_and_run_as_far_as_they_can(app, client, tmp_path, registry):
    for name in OTHERS:
        shutil.copytree(SAMPLES / name, tmp_path / name)
    result = app.test_cli_runner().invoke(main, ["deploy", str(tmp_path)])
    assert result.exit_code == 0, result.output + result.stderr
    starter = make_user(app, "starter@test.org", "patient")
    owner = make_user(app, "kb@sartography.com", "doctor")  # named in lanes-with-dict's lane_owners
    login(client, starter.email)
    colors = start(app, "dynamic_enum_select_fields", starter, None)
    [page] = walk(app, client, starter, colors)
    assert 'value="blue"' in page and ">Green<" in page  # options_from_task_data_var through $ref
    assert status_of(app, colors) == ("completed", None)
    repeating = start(app, "process_model_with_repeating_form", starter, None)
    [page] = walk(app, client, starter, repeating)
    assert 'name="approvers-0"' in page
    assert status_of(app, repeating) == ("completed", None)
    lanes = start(app, "lanes_with_dict", starter, None)
    walk(app, client, starter, lanes)
    client.post("/account/logout")
    login(client, owner.email)
    walk(app, client, owner, lanes)
    # The sample itself removes its approver from lane_owners["Finance Team"], a lane it never named:
    # it stops there, as it would in SpiffArena, with the script's error.
    status, error = status_of(app, lanes)
    assert status == "error" and "Finance Team" in error


def test_the_test_run_offers_sample_results_of_called_models_and_declared_connector_outputs(app, samples_deployed):
    from engine.studio.suggest import suggested_results
    from engine.workflow import ConnectorRegistry
    from engine.workflow.deploy import read_model_folder

    def book(_session, _context, _params):
        return {"slot": 1}

    registry = ConnectorRegistry()
    registry.register("book_slot", book, sample={"slot": 7, "confirmation": "A1B2"})
    files = read_model_folder(SAMPLES / "call-activity")
    files["extra.bpmn"] = (
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"><bpmn:process id="x">'
        '<bpmn:serviceTask id="s"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="book_slot" />'
        "</bpmn:extensionElements></bpmn:serviceTask></bpmn:process></bpmn:definitions>"
    )
    with app.extensions["carepath"].sessions() as session:
        found = suggested_results(session, "call_activity", files, registry)
    assert found["services"] == {"book_slot": {"slot": 7, "confirmation": "A1B2"}}
    assert found["called"]["test_form"]["model"] == "process_model_with_form"
    assert {"form_num_1", "form_num_4"} <= set(found["called"]["test_form"]["data"])
    assert found["called"]["empty_workflow_with_user_task"]["model"] == "empty_workflow_with_user_task"


def test_a_model_deployed_from_a_spiffarena_folder_exports_back_to_one(app, samples_deployed):
    import io
    import json
    import zipfile

    from engine.studio.transfer import export_spiffarena, import_zip
    from engine.workflow import latest_version
    from engine.workflow.models import ProcessModel

    with app.extensions["carepath"].sessions() as session:
        version = latest_version(session, "call_activity")
        model = session.get(ProcessModel, "call_activity")
        exported = export_spiffarena("call_activity", version.files, model.title, model.description,
                                     version.primary_process_id)
    archive = zipfile.ZipFile(io.BytesIO(exported))
    manifest = json.loads(archive.read("call_activity/process_model.json"))
    original = json.loads((SAMPLES / "call-activity" / "process_model.json").read_text())
    for key in ("display_name", "primary_file_name", "primary_process_id", "description"):
        assert manifest[key] == original[key], key
    assert sorted(n.split("/")[1] for n in archive.namelist()) == sorted(p.name for p in (SAMPLES / "call-activity").iterdir())
    files, again = import_zip(exported)
    assert again["process"] == original["primary_process_id"] and again["title"] == original["display_name"]
