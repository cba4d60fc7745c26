"""Deploying: validation with file + element + reason, nothing written on refusal, versions, sync."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.db import transaction
from engine.workflow import DeployError, complete_task, deploy_model, start_instance, sync_folder
from engine.workflow.models import ProcessInstance, ProcessModel, ProcessModelVersion
from tests.engine.helpers import DATA, PATIENT, model_files, only_task

ROOT = Path(__file__).resolve().parents[2]

SAFE_CONDITION = "False"


def unsafe_files(script: str = "x = 1", condition: str = SAFE_CONDITION) -> dict[str, str]:
    return model_files("unsafe", SCRIPT=script, CONDITION=condition)


def refusal(sessions, files, connectors=None) -> DeployError:
    with pytest.raises(DeployError) as caught, transaction(sessions) as session:
        deploy_model(session, "unsafe", files, connectors=connectors)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ProcessModelVersion)) == 0
        assert session.scalar(select(func.count()).select_from(ProcessModel)) == 0
    return caught.value


@pytest.mark.parametrize(
    ("script", "condition", "element", "words"),
    [
        ("import os\nx = os.getcwd()", SAFE_CONDITION, "compute", "Imports are not allowed"),
        ("x = data.__class__", SAFE_CONDITION, "compute", "__class__"),
        ("x = open('/etc/passwd').read()", SAFE_CONDITION, "compute", "open is not allowed"),
        ("x = 1", "eval('1 == 1')", "f_other", "eval is not allowed"),
        ("exec('y = 2')", SAFE_CONDITION, "compute", "exec is not allowed"),
        ("x = 1", "().__class__.__bases__", "f_other", "underscore"),
    ],
)
def test_deploy_refuses_unsafe_code_naming_file_and_element(sessions, script, condition, element, words):
    error = refusal(sessions, unsafe_files(script, condition))
    [problem] = error.problems
    assert (problem.file, problem.element) == ("script_task.bpmn", element)
    assert words in problem.text
    assert problem.text.startswith(f"script_task.bpmn, {element}: ")


def test_deploy_reports_every_problem_of_a_model_at_once(sessions):
    files = model_files("review")
    files["review.bpmn"] = files["review.bpmn"].replace("application.json", "missing.json")
    files["forms/application-uischema.json"] = "[1, 2]"
    files["forms/broken.json"] = '{"type": "array"'
    error = refusal(sessions, files)
    reasons = sorted(p.text for p in error.problems)
    assert reasons == [
        "forms/broken.json: Not valid JSON: Expecting ',' delimiter: line 1 column 17 (char 16)",
        "review.bpmn, apply: The form file missing.json is missing.",
    ]


def test_the_property_says_which_file_is_the_form_and_which_its_ui_schema_whatever_their_names(sessions):
    files = model_files("review")
    files["forms/application_ui.json"] = files.pop("forms/application-uischema.json")
    files["review.bpmn"] = files["review.bpmn"].replace("application-uischema.json", "application_ui.json")
    with transaction(sessions) as session:
        deploy_model(session, "review", files)
    files["forms/application_ui.json"] = "[1, 2]"
    with pytest.raises(DeployError) as refused, transaction(sessions) as session:
        deploy_model(session, "review", files)
    assert [p.text for p in refused.value.problems] == ["forms/application_ui.json, apply: A UI schema must be a JSON object."]


def test_deploy_reports_broken_xml_with_its_line(sessions):
    files = model_files("review")
    files["review.bpmn"] = files["review.bpmn"].replace("</bpmn:process>", "</bpmn:proces>")
    [problem] = refusal(sessions, files).problems
    assert problem.file == "review.bpmn" and problem.params["line"] > 1


def test_deploy_refuses_an_unknown_service_operator(sessions, connectors):
    with pytest.raises(DeployError) as caught, transaction(sessions) as session:
        deploy_model(session, "service", model_files("service", meeting_link="video_link"), connectors=connectors)
    [problem] = caught.value.problems
    assert (problem.file, problem.element) == ("service.bpmn", "make_link")
    assert "Unknown service operator video_link" in problem.text


def test_a_new_version_leaves_running_instances_on_theirs(sessions, deploy):
    first = deploy("review")
    assert deploy("review").id == first.id  # same files: no new version
    old = start_instance(sessions, "review", PATIENT, patient_id=PATIENT.user_id)
    second = deploy("review", **{"Apply for a consultation": "Apply for an online consultation"})
    assert (first.number, second.number) == (1, 2)
    new = start_instance(sessions, "review", PATIENT, patient_id=PATIENT.user_id)
    with sessions() as session:
        versions = {i.id: i.version_id for i in session.scalars(select(ProcessInstance))}
        states = [json.loads(i.state) for i in session.scalars(select(ProcessInstance))]
    assert versions == {old: first.id, new: second.id}
    # The spec is stored once per version, never in an instance row.
    assert all("spec" not in state and "subprocess_specs" not in state for state in states)
    assert complete_task(sessions, PATIENT, old, only_task(sessions, PATIENT, old), {"complaint": "x"}) == "waiting"


def test_sync_deploys_changed_folders_in_dependency_order(sessions, tmp_path, connectors):
    # with_session calls session_tail: it must wait until session_tail is deployed, whatever the order.
    for name in ("with_session", "session_tail", "review"):
        shutil.copytree(DATA / name, tmp_path / name)
    first = sync_folder(sessions, tmp_path, connectors=connectors)
    assert (first.deployed, first.failed) == ({"review": 1, "session_tail": 1, "with_session": 1}, {})
    (tmp_path / "review" / "forms" / "application.json").write_text(
        '{"type": "object", "properties": {"complaint": {"type": "string", "title": "Complaint"}}}'
    )
    second = sync_folder(sessions, tmp_path, connectors=connectors)
    assert second.deployed == {"review": 2}, second.failed
    assert sorted(second.unchanged) == ["session_tail", "with_session"]
    with sessions() as session:
        assert session.get(ProcessModel, "review").title == "Application review"


def test_the_form_check_comes_with_importing_forms_not_with_a_flask_app():
    """A process that deploys without having imported `forms` is refused loudly instead of deploying an
    unchecked form; importing `forms` (no app created) is all it takes for the check to run."""
    script = textwrap.dedent('''
        import json, sys
        from engine.workflow.deploy import read_model_folder
        from engine.workflow.validation import DeployError, FormCheckMissing, compile_model
        files = read_model_folder(__import__("pathlib").Path(sys.argv[1]))
        files["forms/application.json"] = json.dumps(
            {"type": "object", "properties": {"complaint": {"type": "string", "format": "uri"}}})
        try:
            compile_model("review", files, [])
        except FormCheckMissing:
            print("refused: no form check")
        import forms
        assert "flask" not in sys.modules or not __import__("flask").current_app
        try:
            compile_model("review", files, [])
        except DeployError as exc:
            print(exc.problems[0].reason())
    ''')
    done = subprocess.run([sys.executable, "-c", script, str(DATA / "review")], capture_output=True,
                          text=True, cwd=ROOT, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "refused: no form check",
        "The form cannot be shown: field \"complaint\", keyword \"format\": 'uri' is not supported "
        "(supported: date, date-time, email, tel)",
    ]
