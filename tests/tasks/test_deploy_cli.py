"""`carepath deploy`: all or nothing, every problem named with file, element and reason."""

from __future__ import annotations

import shutil

from sqlalchemy import func, select

from engine.workflow.models import ProcessModelVersion
from tests.tasks.conftest import DATA, SYMPTOM_CHECK
from webui.cli import main


def _versions(app) -> int:
    with app.extensions["carepath"].sessions() as session:
        return session.scalar(select(func.count()).select_from(ProcessModelVersion))


def test_deploy_refuses_an_unsafe_script_with_file_element_and_reason(app, tmp_path):
    folder = tmp_path / "unsafe"
    shutil.copytree(DATA / "workflow" / "unsafe", folder)
    bpmn = folder / "script_task.bpmn"
    bpmn.write_text(bpmn.read_text().replace("SCRIPT", "import os").replace("CONDITION", "x.__class__"))
    result = app.test_cli_runner().invoke(main, ["deploy", str(folder)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert any(line.startswith("unsafe: file script_task.bpmn, element compute: ") and "imports" in line.lower() for line in lines)
    assert any("element f_other" in line and "__class__" in line for line in lines)
    assert "Nothing was deployed." in result.stderr
    assert _versions(app) == 0


def test_deploy_of_a_folder_of_models_is_all_or_nothing(app, tmp_path):
    shutil.copytree(SYMPTOM_CHECK, tmp_path / "symptom-check")
    shutil.copytree(DATA / "workflow" / "review", tmp_path / "review")
    (tmp_path / "review" / "forms" / "application.json").unlink()  # the review's form goes missing
    result = app.test_cli_runner().invoke(main, ["deploy", str(tmp_path)])
    assert result.exit_code == 1
    assert "review: file review.bpmn, element apply: The form file application.json is missing." in result.stderr
    assert _versions(app) == 0


def test_deploy_prints_the_new_version_and_knows_when_nothing_changed(app):
    runner = app.test_cli_runner()
    first = runner.invoke(main, ["deploy", str(SYMPTOM_CHECK)])
    assert first.exit_code == 0, first.output
    assert "symptom_check: deployed as version 1" in first.output
    again = runner.invoke(main, ["deploy", str(SYMPTOM_CHECK)])
    assert "symptom_check: unchanged, still version 1" in again.output
    assert _versions(app) == 1
