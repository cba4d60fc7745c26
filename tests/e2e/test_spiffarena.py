"""Issue 17 in a real browser: SpiffArena's own sample models are imported in the studio unchanged
(zipped folders), deployed from the modeler, and walked to their end through the task pages; and three
SpiffArena-style models of ours (group lanes, lane_owners, repeating sections, a called model) too."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.e2e.test_tasks import login
from webui.cli import main

pytestmark = pytest.mark.e2e

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLES = DATA / "spiffarena"
STYLE = DATA / "spiffarena_style"
# In the order they must be deployed: a called process before its callers.
IMPORTS = (
    (SAMPLES / "process-model-with-form", "Process Model With Form"),
    (SAMPLES / "lanes", "Lanes"),
    (SAMPLES / "call-activity", "Call Activity"),
    (SAMPLES / "script-task", "Script Task"),
    (SAMPLES / "dmn-boolean-test", "DMN Boolean Test"),
    (SAMPLES / "manual-task-with-timer", "Manual Task with Timer"),
)

FILL = """form => {
  const seen = new Set();
  for (const el of form.querySelectorAll('input, select, textarea')) {
    if (el.disabled || el.readOnly || el.type === 'hidden' || !el.name) continue;
    if (el.tagName === 'SELECT') { const o = [...el.options].find(o => o.value); if (o) el.value = o.value; }
    else if (el.type === 'checkbox' || el.type === 'radio') { if (!seen.has(el.name)) { el.checked = true; seen.add(el.name); } }
    else if (el.type === 'number') el.value = '3';
    else if (el.type === 'email') el.value = 'reviewer@example.org';
    else if (el.type === 'date') el.value = '2026-12-31';
    else el.value = 'Written in the browser';
  }
}"""


def add_to_group(base: str, new_context, group: str, email: str) -> None:
    """The admin puts an account in a work group, on the groups page."""
    admin = new_context().new_page()
    login(admin, base, "admin@example.org")
    admin.goto(f"{base}/admin/groups")
    admin.get_by_label("Group (the lane's name)").fill(group)
    admin.get_by_label("Email of the account").fill(email)
    admin.get_by_role("button", name="Add to the group").click()
    assert admin.get_by_text(email).first.is_visible()


def zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix in (".bpmn", ".dmn", ".json"):
                archive.write(path, f"{folder.name}/{path.name}")
    return buffer.getvalue()


def start(page, base: str, model_id: str) -> int:
    page.goto(f"{base}/tasks/start")
    page.locator(f"#pathway-{model_id}").check()
    page.locator("#patient_email").fill("patient@example.org")
    page.get_by_role("button", name="Start").click()
    page.wait_for_load_state()
    match = re.search(r"/tasks/(\d+)/", page.url)
    if match:
        return int(match.group(1))
    link = page.locator("a[href*='/tasks/']").filter(has_text=re.compile(".")).last
    return int(re.search(r"/tasks/(\d+)/", link.get_attribute("href")).group(1))


def walk(page, base: str, instance_id: int, limit: int = 12) -> int:
    """Completes this person's tasks of the instance through the pages; returns how many."""
    done = 0
    for _ in range(limit):
        page.goto(f"{base}/tasks/")
        links = page.locator(f"a[href^='/tasks/{instance_id}/']")
        if links.count() == 0:
            return done
        links.first.click()
        form = page.locator("form.cp-form")
        if form.count():
            form.evaluate(FILL)
            form.locator("button.cp-submit").click()
        else:
            page.get_by_role("button", name="Mark as done").click()
        page.wait_for_url(re.compile(r"/tasks/$|/instances/"))
        done += 1
    return done


def status(live_server, instance_id: int) -> str:
    from engine.workflow.models import ProcessInstance

    with live_server.app.extensions["carepath"].sessions() as session:
        row = session.get(ProcessInstance, instance_id)
        return f"{row.status} {row.error_message or ''}".strip()


def test_the_six_sample_models_are_imported_in_the_studio_deployed_and_walked_in_the_browser(
    live_server, new_context, tmp_path
):
    base = live_server.url
    # The process the call-activity sample calls is in no sample model: ours (deployed with the CLI; it
    # has no diagram to open in the modeler) stands in for it.
    shutil.copytree(STYLE / "empty-workflow-with-user-task", tmp_path / "called" / "empty-workflow-with-user-task")
    assert live_server.app.test_cli_runner().invoke(main, ["deploy", str(tmp_path / "called")]).exit_code == 0
    analyst = new_context().new_page()
    login(analyst, base, "analyst@example.org")
    for folder, _title in IMPORTS:
        archive = tmp_path / f"{folder.name}.zip"
        archive.write_bytes(zipped(folder))
        analyst.goto(f"{base}/studio/")
        analyst.locator("input[name=archive]").set_input_files(str(archive))
        analyst.get_by_role("button", name="Import").click()
        analyst.wait_for_selector("#studio[data-ready=true]", timeout=60000)
        analyst.locator("#studio-deploy").click()
        analyst.wait_for_selector("#studio[data-deployed]", timeout=60000)
        assert analyst.locator("#studio").get_attribute("data-deployed") == "1", analyst.locator("#studio-status").inner_text()
    live_server.screenshot(analyst, "spiffarena-imported")

    # The "lanes" sample has a lane "group1": the admin puts the manager in that work group.
    add_to_group(base, new_context, "group1", "manager@example.org")
    manager = new_context().new_page()
    login(manager, base, "manager@example.org")

    for folder, title in IMPORTS:
        instance_id = start(analyst, base, folder.name.replace("-", "_"))
        for _ in range(4):
            walk(analyst, base, instance_id)
            walk(manager, base, instance_id)
            if not status(live_server, instance_id).startswith("waiting"):
                break
        assert status(live_server, instance_id) == "completed", (title, status(live_server, instance_id))
    live_server.screenshot(analyst, "spiffarena-walked")


def test_three_spiffarena_style_models_are_walked_through_the_ui(live_server, new_context, tmp_path):
    base = live_server.url
    for name in ("shared-ack", "intake"):
        shutil.copytree(STYLE / name, tmp_path / name)
    deployed = live_server.app.test_cli_runner().invoke(main, ["deploy", str(tmp_path)])
    assert deployed.exit_code == 0, deployed.output + deployed.stderr
    add_to_group(base, new_context, "Finance Team", "manager@example.org")

    analyst = new_context().new_page()
    login(analyst, base, "analyst@example.org")
    manager = new_context().new_page()
    login(manager, base, "manager@example.org")
    doctor = new_context().new_page()
    login(doctor, base, "doctor@example.org")

    # The equipment request: the starter describes it (repeating section of reviewers, "Add another").
    request = start(analyst, base, "intake")
    analyst.goto(f"{base}/tasks/")
    analyst.locator(f"a[href^='/tasks/{request}/']").first.click()
    assert analyst.get_by_role("heading", name=re.compile("Request for")).is_visible(), analyst.locator("main").inner_text()[:1500]
    assert analyst.locator("table").first.is_visible()  # the Markdown table of the instructions
    analyst.get_by_label("Laptop color").select_option("green")
    analyst.get_by_label("Why do you need it?").fill("The old one broke.")
    analyst.get_by_label("13").check()
    analyst.get_by_role("button", name="Add another").click()
    analyst.locator("input[name='reviewers-0-email']").fill("doctor@example.org")
    live_server.screenshot(analyst, "spiffarena-style-request")
    analyst.locator("button.cp-submit").click()
    analyst.wait_for_url(f"{base}/tasks/")
    assert walk(manager, base, request) == 1  # "Finance Team"
    assert walk(doctor, base, request) == 1  # named in lane_owners by the form
    assert walk(analyst, base, request) == 1  # the called model's task, in its embedded subprocess
    assert status(live_server, request) == "completed"

    # The called model and our stand-in for SpiffArena's empty workflow, started on their own.
    for model_id in ("shared_ack",):
        instance_id = start(analyst, base, model_id)
        assert walk(analyst, base, instance_id) == 1
        assert status(live_server, instance_id) == "completed"
    empty = tmp_path / "empty"
    shutil.copytree(STYLE / "empty-workflow-with-user-task", empty / "empty-workflow-with-user-task")
    live_server.app.test_cli_runner().invoke(main, ["deploy", str(empty)])  # unchanged if the other test ran
    instance_id = start(analyst, base, "empty_workflow_with_user_task")
    assert walk(analyst, base, instance_id) == 1
    assert status(live_server, instance_id) == "completed"
