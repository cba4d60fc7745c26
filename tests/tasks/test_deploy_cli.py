"""`carepath deploy`: all or nothing, every problem named with file, element and reason."""

from __future__ import annotations

import shutil

from sqlalchemy import func, select

from engine.workflow.models import ProcessModelVersion
from tests.tasks.conftest import DATA, SYMPTOM_CHECK
from webui.cli import main

# What the command prints follows the terminal's language (webui.terminal): each test sets it.
RUSSIAN_TERMINAL = {"LANG": "ru_RU.UTF-8", "LC_ALL": None, "LC_MESSAGES": None}
ENGLISH_TERMINAL = {"LANG": "C.UTF-8", "LC_ALL": None, "LC_MESSAGES": None}


def _versions(app) -> int:
    with app.extensions["carepath"].sessions() as session:
        return session.scalar(select(func.count()).select_from(ProcessModelVersion))


def test_deploy_refuses_an_unsafe_script_with_file_element_and_reason(app, tmp_path):
    folder = tmp_path / "unsafe"
    shutil.copytree(DATA / "workflow" / "unsafe", folder)
    bpmn = folder / "script_task.bpmn"
    bpmn.write_text(bpmn.read_text().replace("SCRIPT", "import os").replace("CONDITION", "x.__class__"))
    result = app.test_cli_runner().invoke(main, ["deploy", str(folder)], env=ENGLISH_TERMINAL)
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
    result = app.test_cli_runner().invoke(main, ["deploy", str(tmp_path)], env=ENGLISH_TERMINAL)
    assert result.exit_code == 1
    assert "review: file review.bpmn, element apply: The form file application.json is missing." in result.stderr
    assert _versions(app) == 0


def test_deploy_prints_the_new_version_and_knows_when_nothing_changed(app):
    runner = app.test_cli_runner()
    first = runner.invoke(main, ["deploy", str(SYMPTOM_CHECK)], env=ENGLISH_TERMINAL)
    assert first.exit_code == 0, first.output
    assert "symptom_check: deployed as version 1" in first.output
    again = runner.invoke(main, ["deploy", str(SYMPTOM_CHECK)], env=ENGLISH_TERMINAL)
    assert "symptom_check: unchanged, still version 1" in again.output
    assert _versions(app) == 1



def test_deploy_speaks_the_terminals_language(app, tmp_path):
    shutil.copytree(DATA / "workflow" / "review", tmp_path / "review")
    (tmp_path / "review" / "forms" / "application.json").unlink()
    runner = app.test_cli_runner()
    russian = runner.invoke(main, ["deploy", str(tmp_path / "review")], env=RUSSIAN_TERMINAL)
    assert russian.exit_code == 1
    assert "review: файл review.bpmn, элемент apply: Нет файла формы application.json." in russian.stderr
    assert "Ничего не развёрнуто." in russian.stderr
    english = runner.invoke(main, ["deploy", str(tmp_path / "review")], env={**RUSSIAN_TERMINAL, "LC_ALL": "C"})
    assert "review: file review.bpmn, element apply: The form file application.json is missing." in english.stderr
    shutil.copytree(DATA / "workflow" / "review" / "forms", tmp_path / "review" / "forms", dirs_exist_ok=True)
    done = runner.invoke(main, ["deploy", str(tmp_path / "review")], env=RUSSIAN_TERMINAL)
    assert done.exit_code == 0 and "review: развёрнут как версия 1" in done.output


def test_the_pathway_sync_says_what_it_refused_in_the_terminals_language(app, tmp_path, monkeypatch, capsys):
    from webui import cli

    shutil.copytree(DATA / "workflow" / "review", tmp_path / "review")
    (tmp_path / "review" / "forms" / "application.json").unlink()
    for name, value in RUSSIAN_TERMINAL.items():
        monkeypatch.setenv(name, value) if value else monkeypatch.delenv(name, raising=False)
    with app.app_context():
        cli._sync_pathways(tmp_path)
    err = capsys.readouterr().err
    assert "Маршрут review не развёрнут:" in err
    assert "review: файл review.bpmn, элемент apply: Нет файла формы application.json." in err
    assert _versions(app) == 0


def test_the_terminals_language_follows_lc_all_then_lc_messages_then_lang():
    from webui.terminal import terminal_locale

    assert terminal_locale({"LANG": "ru_RU.UTF-8"}) == "ru"
    assert terminal_locale({"LC_ALL": "en_GB.UTF-8", "LANG": "ru_RU.UTF-8"}) == "en"
    assert terminal_locale({"LC_MESSAGES": "ru_RU", "LANG": "en_US.UTF-8"}) == "ru"
    assert terminal_locale({"LANG": "C"}) == "en" and terminal_locale({"LANG": "de_DE.UTF-8"}) == "en"
    assert terminal_locale({}) == "en"
