"""The key pages as a Russian-speaking patient and doctor see them (Chromium with ru-RU): the cabinet,
the inbox and a task form built from a real pathway form file, the registry's booking, the consultations.
Screenshots go to test-artifacts/screenshots/ru-*.png for a person to read."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from engine.composition import build_connectors
from engine.db import transaction
from engine.registry.demo import load_registry_demo
from engine.workflow import start_instance, sync_folder
from tests.e2e.conftest import DEMO_PASSWORD
from tests.registry.conftest import BPMN
from webui.tasks.core import actor_for
from webui.tasks.deploy import deploy_path

pytestmark = pytest.mark.e2e
SESSION_FORMS = Path(__file__).resolve().parents[2] / "workflows" / "bpmn" / "consultation_session" / "forms"
RATE_INSTRUCTIONS = ("How was your consultation with {{ doctor_name if doctor_name is defined else 'the doctor' }}? "
                     "Your conclusion will arrive by email and in your History.")
MODEL = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
  <bpmn:process id="ru_forms" name="Consultation session" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="lp" name="patient"><bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>split</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>rate</bpmn:flowNodeRef><bpmn:flowNodeRef>join</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="ld" name="doctor"><bpmn:flowNodeRef>conclusion</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="split"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:userTask id="rate" name="Rate the consultation">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="rate.json" />
        <spiffworkflow:property name="formUiSchemaFilename" value="rate-uischema.json" />
        <spiffworkflow:property name="instructionsForEndUser" value="{RATE_INSTRUCTIONS.replace("'", "&apos;")}" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="conclusion" name="Write the conclusion">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="conclusion.json" />
        <spiffworkflow:property name="formUiSchemaFilename" value="conclusion-uischema.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:parallelGateway id="join"><bpmn:incoming>f4</bpmn:incoming><bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:endEvent id="end"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split" />
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="rate" />
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="conclusion" />
    <bpmn:sequenceFlow id="f4" sourceRef="rate" targetRef="join" />
    <bpmn:sequenceFlow id="f5" sourceRef="conclusion" targetRef="join" />
    <bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""
# Words of English UI text that must not appear on a Russian page (data like names is Russian already).
ENGLISH = re.compile(r"\b(Log out|My tasks|Submit|Cabinet|Profile|Pathway|Due|Overdue|Choose|Book|Tickets?|"
                     r"Consultations?|Rate the|Write the|Rating|Comment|Findings|Recommendations)\b")


@pytest.fixture(scope="module")
def server(live_server, tmp_path_factory):
    sessions = live_server.app.extensions["carepath"].sessions
    connectors = build_connectors(live_server.settings)
    result = sync_folder(sessions, BPMN, connectors=connectors)
    assert not result.failed, result.failed
    with transaction(sessions) as session:
        load_registry_demo(session, weeks=2)
    folder = tmp_path_factory.mktemp("models") / "ru_forms"
    (folder / "forms").mkdir(parents=True)
    (folder / "ru_forms.bpmn").write_text(MODEL, encoding="utf-8")
    (folder / "model.json").write_text(json.dumps({"title": "Consultation session"}), encoding="utf-8")
    for name in ("rate.json", "rate-uischema.json", "conclusion.json", "conclusion-uischema.json"):
        (folder / "forms" / name).write_text((SESSION_FORMS / name).read_text(encoding="utf-8"), encoding="utf-8")
    deploy_path(sessions, folder, connectors)
    from engine.accounts import service

    with sessions() as session:
        patient = service.find_by_email(session, "patient@example.org")
        actor = actor_for(patient)
        patient_id = patient.id
    start_instance(sessions, "ru_forms", actor, data={"doctor_name": "Иванова Анна Петровна"}, patient_id=patient_id,
                   connectors=connectors)
    return live_server


def login_ru(page, base: str, email: str) -> None:
    page.goto(f"{base}/account/login")
    page.get_by_label("Электронная почта").fill(email)
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()


def visible_english(page) -> list[str]:
    text = page.locator("main").inner_text() + page.locator("header, nav").first.inner_text()
    return ENGLISH.findall(text)


def test_a_russian_patient_reads_the_cabinet_tasks_a_form_the_registry_and_consultations(server, new_context):
    base = server.url
    page = new_context(locale="ru-RU").new_page()
    login_ru(page, base, "patient@example.org")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    server.screenshot(page, "ru-01-cabinet")
    assert visible_english(page) == []

    page.goto(f"{base}/tasks/")
    expect(page.get_by_role("link", name="Оцените консультацию")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Сеанс консультации")
    server.screenshot(page, "ru-02-inbox")
    assert visible_english(page) == []

    page.get_by_role("link", name="Оцените консультацию").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Оцените консультацию")
    expect(page.locator(".cp-instructions")).to_contain_text("Иванова Анна Петровна")
    expect(page.locator("legend")).to_contain_text("Оценка")
    page.get_by_role("button", name="Отправить").click()  # nothing chosen: the error is Russian too
    expect(page.locator(".cp-error-summary")).to_contain_text("Оценка: Выберите вариант.")
    server.screenshot(page, "ru-03-task-form")
    assert visible_english(page) == []

    page.goto(f"{base}/registry/")
    server.screenshot(page, "ru-04-registry")
    assert visible_english(page) == []
    page.goto(f"{base}/registry/institutions")
    page.locator("main a").filter(has_text="центр").first.click()
    server.screenshot(page, "ru-05-registry-institution")
    assert visible_english(page) == []

    page.goto(f"{base}/consultations/")
    server.screenshot(page, "ru-06-consultations")
    assert visible_english(page) == []


def test_a_russian_doctor_reads_the_conclusion_form(server, new_context):
    base = server.url
    page = new_context(locale="ru-RU").new_page()
    login_ru(page, base, "doctor@example.org")
    page.goto(f"{base}/tasks/")
    page.get_by_role("link", name="Написать заключение").click()
    expect(page.get_by_label("Диагноз: код по МКБ-10")).to_be_visible()
    server.screenshot(page, "ru-07-doctor-conclusion-form")
    assert visible_english(page) == []
