"""The analyst's journey in the pathway studio, in a real browser: open consultation_duty in the modeler,
add a user task with a new form, see an unsafe script refused and highlighted, validate, test-run in the
sandbox, deploy; a new instance follows the new version while one started before stays on the old; moving
the old one to the new version is refused with the reason; the dashboard draws its charts."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.composition import build_connectors
from engine.db import transaction
from engine.demo import demo_email
from engine.studio import service as studio_service
from engine.workflow import ConnectorRegistry, start_instance, sync_folder
from engine.workflow.models import PendingTask, ProcessInstance, ProcessModelVersion
from tests.e2e.conftest import DEMO_PASSWORD

BPMN = Path(__file__).resolve().parents[2] / "workflows" / "bpmn"
MODEL = "consultation_duty"
NEW_FORM = {
    "title": "Your complaints", "type": "object", "required": ["complaints"],
    "properties": {"complaints": {"type": "string", "title": "What troubles you?", "maxLength": 500}},
}  # fmt: skip


def _results() -> dict[str, object]:
    """What the consultation connectors return, for starting instances without a duty schedule."""
    soon = datetime.now(UTC)
    at = {name: (soon + timedelta(hours=h)).isoformat() for name, h in
          (("remind_at", 20), ("opens_at", 21), ("starts_at", 22), ("ends_at", 23), ("rate_until", 72))}  # fmt: skip
    return {"consultation_open": {"booked": True, "consultation_id": 7, "doctor_id": 2},
            "consultation_meeting": {**at, "consent_version": "1", "consent_locale": "en", "consent_text": "Consent"}}  # fmt: skip


def _stub_registry(names: frozenset[str]) -> ConnectorRegistry:
    registry = ConnectorRegistry()
    results = _results()
    for name in names:
        registry.register(name, lambda _s, _c, _p, name=name: dict(results.get(name, {})))
    return registry


@pytest.fixture(scope="module")
def studio_server(live_server):
    sessions = live_server.app.extensions["carepath"].sessions
    real = build_connectors(live_server.settings)
    result = sync_folder(sessions, BPMN, connectors=real)
    assert MODEL in result.deployed, result.failed
    return live_server, sessions, _stub_registry(real.names())


def login(page, base: str, role: str) -> None:
    page.goto(f"{base}/account/login")
    page.get_by_label("Email").fill(demo_email(role))
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("form.lang button[lang=en]").click()


def _patient_id(sessions) -> int:
    from engine.accounts import service

    with sessions() as session:
        return service.find_by_email(session, demo_email("patient")).id


def test_the_analyst_changes_consultation_duty_in_the_browser_and_old_instances_stay_on_their_version(
    studio_server, new_context
):
    server, sessions, stubs = studio_server
    base = server.url
    patient = _patient_id(sessions)
    old_instance = start_instance(
        sessions, MODEL, None, data={"booking": {"slot_id": 1}}, patient_id=patient, connectors=stubs
    )
    page = new_context().new_page()
    page.on("dialog", lambda dialog: dialog.accept("complaints.json"))
    login(page, base, "analyst")

    page.goto(f"{base}/studio/")
    page.get_by_role("link", name="Open in the modeler").first.wait_for()
    page.goto(f"{base}/studio/{MODEL}/edit")
    page.wait_for_selector("#studio[data-ready=true]")
    server.screenshot(page, "studio-01-modeler")

    # A task dropped on the flow into the session is inserted into it, in the doctor's lane.
    flow = page.locator('g.djs-connection[data-element-id="f_ids"]').bounding_box()
    x, y = flow["x"] + flow["width"] / 2, flow["y"] + flow["height"] * 0.2
    page.locator(".djs-palette .entry.bpmn-icon-task").click()
    page.mouse.move(x - 40, y - 10)
    page.mouse.move(x, y, steps=8)
    page.mouse.click(x, y)
    # The wrench of the context pad opens the replace menu (a DOM click; the pad listens for it).
    page.locator(".djs-context-pad.open .entry[data-action=replace]").dispatch_event("click")
    page.locator('.djs-popup [data-id="replace-with-user-task"]').click()
    page.locator("#studio-props [data-prop=name]").fill("Prepare for the consultation")
    page.locator("#studio-props [data-prop=name]").press("Tab")
    page.locator("#studio-new-form").click()
    page.locator("#studio-files button[data-file='forms/complaints.json']").wait_for()
    added = page.evaluate(
        "() => window.carepathStudio.modeler.get('elementRegistry').filter(e => e.type === 'bpmn:UserTask').map(e => e.id)"
    )
    assert len(added) == 1
    new_task = added[0]

    # The form editor shows a live preview; a form that is not a schema is refused with the reason.
    page.locator("#studio-files button[data-file='forms/complaints.json']").click()
    page.locator("#studio-form-text").fill('{"type": "array"}')
    page.locator("#studio-form-errors li").first.wait_for()
    page.locator("#studio-form-text").fill(json.dumps(NEW_FORM, indent=2))
    page.locator("#studio-form-preview").get_by_text("What troubles you?").wait_for()
    server.screenshot(page, "studio-02-form-preview")

    # An unsafe script is refused, named and highlighted on the diagram.
    page.locator(f"#studio-files button[data-file='{MODEL}.bpmn']").click()
    page.wait_for_selector("#studio[data-ready=true]")
    page.locator('g.djs-shape[data-element-id="set_ids"]').click()
    script = page.locator("#studio-props [data-prop=script]")
    original = script.input_value()
    script.fill('import os\nos.system("cat /etc/passwd")')
    script.press("Tab")
    page.locator("#studio-validate").click()
    page.wait_for_selector("#studio[data-validated=problems]")
    assert page.locator("#studio-findings li.error[data-element=set_ids]").count() >= 1
    assert "Imports are not allowed" in page.locator("#studio-findings").inner_text()
    page.wait_for_selector('g.djs-shape.studio-error[data-element-id="set_ids"]')
    server.screenshot(page, "studio-03-validation-highlight")
    page.locator("#studio-findings li[data-element=set_ids] button").first.click()  # selects the element
    script = page.locator("#studio-props [data-prop=script]")
    script.fill(original)
    script.press("Tab")
    page.locator("#studio-validate").click()
    page.wait_for_selector("#studio[data-validated=ok]")

    # The test run walks the draft in the sandbox, timers included, through the new task.
    # The editor offers the model's own start data (test_start.json) and its connectors' usual results.
    assert '"booking"' in page.locator("#studio-start-data").input_value()
    assert '"ends_at"' in page.locator("#studio-service-results").input_value()
    page.locator("#studio-start-data").fill(json.dumps({"patient_id": patient, "booking": {"slot_id": 1}}))
    page.locator("#studio-service-results").fill(json.dumps(_results()))
    page.locator("#studio-testrun").click()
    page.wait_for_selector("#studio[data-testrun]", timeout=90000)
    assert page.locator("#studio").get_attribute("data-testrun") == "completed"
    steps = page.locator("#studio-steps").inner_text()
    assert new_task in steps and "Sample answer" in steps and "t_start" in steps
    server.screenshot(page, "studio-04-test-run")

    page.locator("#studio-deploy").click()
    page.wait_for_selector("#studio[data-deployed]")
    assert page.locator("#studio").get_attribute("data-deployed") == "2"
    assert "Deployed as version 2" in page.locator("#studio-status").inner_text()

    # A new instance follows version 2 and starts with the new task; the old one stays on version 1.
    new_instance = start_instance(
        sessions, MODEL, None, data={"booking": {"slot_id": 2}}, patient_id=patient, connectors=stubs
    )
    with sessions() as session:
        versions = {
            v.number: v.id
            for v in session.scalars(
                select(ProcessModelVersion).where(ProcessModelVersion.process_model_id == MODEL)
            )
        }
        assert session.get(ProcessInstance, old_instance).version_id == versions[1]
        assert session.get(ProcessInstance, new_instance).version_id == versions[2]
        task = session.scalars(select(PendingTask).where(PendingTask.instance_id == new_instance)).one()
        assert (task.task_name, task.title, task.form_filename, task.role) == (
            new_task,
            "Prepare for the consultation",
            "complaints.json",
            "doctor",
        )
        old_tasks = session.scalars(
            select(PendingTask.task_name).where(PendingTask.instance_id == old_instance)
        ).all()
        assert old_tasks == ["consent"]

    # Moving the old instance is refused: its completed start now leads elsewhere.
    page.goto(f"{base}/studio/{MODEL}/")
    page.locator(f"#mig-{old_instance}").check()
    page.locator("select[name=to]").select_option("2")
    page.get_by_role("button", name="Move the chosen instances").click()
    refusal = page.locator(".studio-outcomes li.refused").inner_text()
    assert re.search(r"The step “[^”]+”, already done, works differently in the new version", refusal), refusal
    assert "set_ids" not in refusal and "extensions" not in refusal  # no internal ids or fields
    server.screenshot(page, "studio-05-migration-refused")
    with sessions() as session:
        assert session.get(ProcessInstance, old_instance).version_id == versions[1]

    # A version 3 that only renames the new task: the new instance moves to it.
    with transaction(sessions) as session:
        files = dict(session.get(ProcessModelVersion, versions[2]).files)
        files[f"{MODEL}.bpmn"] = files[f"{MODEL}.bpmn"].replace('name="Prepare for the consultation"',
                                                                'name="Get ready for the consultation"')
        studio_service.deploy(session, MODEL, files, None, stubs)
    page.goto(f"{base}/studio/{MODEL}/")
    page.locator(f"#mig-{new_instance}").check()
    page.locator("select[name=to]").select_option("3")
    page.get_by_role("button", name="Move the chosen instances").click()
    assert "moved." in page.locator(".studio-outcomes li.ok").inner_text()

    # Both instances' histories say it in words, with the steps' names.
    page.goto(f"{base}/instances/{new_instance}")
    moved = page.locator("tr", has_text="Moved to a new version")
    assert "Moved from version 2 to 3; now at: Get ready for the consultation." in moved.inner_text()
    page.goto(f"{base}/instances/{old_instance}")
    refused = page.locator("tr", has_text="Not moved to a new version").inner_text()
    assert re.search(r"Not moved from version 1 to 2: The step “[^”]+”, already done, works differently", refused)
    server.screenshot(page, "studio-06-refusal-in-history")
    # And the admin's journal: names, the instance, the versions and the reason.
    admin = new_context().new_page()
    login(admin, base, "admin")
    admin.goto(f"{base}/admin/journal")
    journal = admin.locator("tr.audit-row", has_text="Moving a pathway instance to a new version refused").first
    assert re.search(rf"#{old_instance} — version 1 → 2: The step “[^”]+”, already done", journal.inner_text())
    assert "Соколова Елена Игоревна" in journal.inner_text()  # the analyst, by name
    done = admin.locator("tr.audit-row", has_text="Pathway instance moved to a new version").first
    assert f"#{new_instance} — version 2 → 3" in done.inner_text()
    server.screenshot(admin, "studio-07-journal")

    page.goto(f"{base}/studio/{MODEL}/diff?a=1&b=2")
    assert new_task in page.locator("main").inner_text()
    page.goto(f"{base}/studio/dashboard")
    page.locator("figure.bar-chart").first.wait_for()
    server.screenshot(page, "studio-06-dashboard")


def test_people_who_are_not_analysts_get_403_in_the_studio(studio_server, new_context):
    server, _sessions, _stubs = studio_server
    page = new_context().new_page()
    login(page, server.url, "doctor")
    response = page.goto(f"{server.url}/studio/")
    assert response.status == 403


def test_on_a_russian_page_the_modeler_speaks_russian_but_keeps_the_models_names(studio_server, new_context):
    server, _sessions, _stubs = studio_server
    page = new_context().new_page()
    login(page, server.url, "analyst")
    page.locator("form.lang button[lang=ru]").click()  # the page's language, as the analyst chose it
    page.goto(f"{server.url}/studio/{MODEL}/edit")
    page.wait_for_selector("#studio[data-ready=true]")

    # The palette's entries (bpmn-js 18 names them by aria-label) come from the catalog through bpmn-js's
    # translate service.
    palette = page.locator(".djs-palette")
    expect(palette.get_by_role("button", name="Создать задачу")).to_have_count(1)
    expect(palette.get_by_role("button", name="Создать стартовое событие")).to_have_count(1)
    expect(palette.locator(".entry.bpmn-icon-hand-tool")).to_have_attribute("aria-label", "Инструмент «Рука»")
    expect(palette.get_by_role("button", name="Create task")).to_have_count(0)
    # The analyst edits the model's real names: the diagram shows them as written.
    expect(page.locator('g.djs-element[data-element-id="open"]')).to_contain_text("Book the time")

    # The context pad and the replace menu too.
    page.locator('g.djs-shape[data-element-id="open"]').click()
    pad = page.locator(".djs-context-pad.open")
    assert pad.locator(".entry[data-action=delete]").get_attribute("title") == "Удалить"
    assert pad.locator(".entry[data-action='append.append-task']").get_attribute("title") == "Добавить задачу"
    pad.locator(".entry[data-action=replace]").dispatch_event("click")
    popup = page.locator(".djs-popup")
    popup.locator('[data-id="replace-with-user-task"]').wait_for()
    assert "Пользовательская задача" in popup.inner_text()
    assert popup.locator(".djs-popup-title").inner_text() == "Заменить элемент"
    server.screenshot(page, "studio-ru-modeler")


def test_dmn_js_is_fetched_only_when_a_decision_table_is_opened(studio_server, new_context):
    server, _sessions, _stubs = studio_server
    page = new_context().new_page()
    login(page, server.url, "analyst")
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(f"{server.url}/studio/monitoring_cycle/edit")
    page.wait_for_selector("#studio[data-ready=true]")
    assert not [url for url in fetched if "/vendor/dmn-js/" in url]  # the BPMN editor needs none of it

    page.locator("#studio-files button[data-file='alert_rules.dmn']").click()
    expect(page.locator("#studio-dmn .tjs-table, #studio-dmn .djs-container").first).to_be_visible()
    assert [url for url in fetched if "dmn-modeler.production.min.js" in url]
    server.screenshot(page, "studio-dmn-loaded-on-demand")
