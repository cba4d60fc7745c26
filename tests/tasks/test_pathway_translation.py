"""Pathway content authored in English reaches a Russian reader in Russian: the task title in the inbox, the
pathway title, the instructions and the form built from a real form file, all through the real catalog.
A text the catalog does not know shows as written, and stays escaped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo

from tests.tasks.conftest import start, task_of
from tests.webui.conftest import login
from tools.translations import RU_CATALOG, read_catalog

ROOT = Path(__file__).resolve().parents[2]
SESSION_FORMS = ROOT / "workflows" / "bpmn" / "consultation_session" / "forms"
INSTRUCTIONS = ("Consultation No. {{ consultation_id }}: join and attach files on its page "
                "(/consultations/{{ consultation_id }}). Afterwards mark whether it took place.")
BPMN = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
  <bpmn:process id="hold_demo" name="Consultation session" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="patient">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>hold</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="hold" name="Hold the consultation">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="hold.json" />
        <spiffworkflow:property name="instructionsForEndUser" value="{INSTRUCTIONS}" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="hold" />
    <bpmn:sequenceFlow id="f2" sourceRef="hold" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture(autouse=True)
def compiled_russian():
    """The .mo the app reads, compiled from messages.po now (as `make test` does), never a stale one."""
    with (RU_CATALOG.parent / "messages.mo").open("wb") as target:
        write_mo(target, read_catalog(RU_CATALOG, locale="ru"))


@pytest.fixture
def model(tmp_path: Path) -> Path:
    """A pathway with the real "Hold the consultation" form file, plus one field nobody translated yet."""
    folder = tmp_path / "hold_demo"
    (folder / "forms").mkdir(parents=True)
    (folder / "hold_demo.bpmn").write_text(BPMN, encoding="utf-8")
    (folder / "model.json").write_text(json.dumps({"title": "Consultation session"}), encoding="utf-8")
    form = json.loads((SESSION_FORMS / "hold.json").read_text(encoding="utf-8"))
    form["properties"]["fresh"] = {"type": "string", "title": "A <new> field, not translated yet"}
    (folder / "forms" / "hold.json").write_text(json.dumps(form), encoding="utf-8")
    return folder


def in_russian(client) -> None:
    with client.session_transaction() as session:
        session["lang"] = "ru"


def test_the_inbox_shows_the_task_and_pathway_titles_in_russian(app, client, cast, deploy, model):
    deploy(model)
    start(app, "hold_demo", cast.patient, cast.patient, consultation_id=42)
    login(client, cast.patient.email)
    in_russian(client)

    html = client.get("/tasks/").get_data(as_text=True)

    assert "Провести консультацию" in html and "Hold the consultation" not in html
    assert "Сеанс консультации" in html and "Consultation session" not in html


def test_the_task_form_and_instructions_are_in_russian(app, client, cast, deploy, model):
    deploy(model)
    iid = start(app, "hold_demo", cast.patient, cast.patient, consultation_id=42)
    login(client, cast.patient.email)
    in_russian(client)

    html = client.get(f"/tasks/{iid}/{task_of(app, cast.patient, iid)}").get_data(as_text=True)

    assert "<h1>Провести консультацию</h1>" in html
    assert "Консультация № 42: подключайтесь" in html  # the instructions template, translated whole
    assert "Консультация состоялась?" in html  # field title
    assert "Не состоялась: пациент не подключился" in html  # a oneOf option
    assert ">Примечание<" in html  # "Note"
    assert ">Отправить</button>" in html  # the default submit text
    assert "Did the consultation take place?" not in html
    # Not in the catalog: shown as the analyst wrote it, and escaped like any text.
    assert "A &lt;new&gt; field, not translated yet" in html


def test_a_wrong_answer_is_explained_in_russian_next_to_the_russian_label(app, client, cast, deploy, model):
    deploy(model)
    iid = start(app, "hold_demo", cast.patient, cast.patient, consultation_id=42)
    guid = task_of(app, cast.patient, iid)
    login(client, cast.patient.email)
    in_russian(client)

    response = client.post(f"/tasks/{iid}/{guid}", data={"outcome": "maybe"})

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Консультация состоялась?: Выберите один из предложенных вариантов." in html


def test_the_same_task_reads_in_english_for_an_english_reader(app, client, cast, deploy, model):
    deploy(model)
    iid = start(app, "hold_demo", cast.patient, cast.patient, consultation_id=42)
    login(client, cast.patient.email)

    html = client.get(f"/tasks/{iid}/{task_of(app, cast.patient, iid)}").get_data(as_text=True)

    assert "<h1>Hold the consultation</h1>" in html and "Did the consultation take place?" in html
    assert "Consultation No. 42: join" in html
