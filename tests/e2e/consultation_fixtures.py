"""Shared set-up of the consultation browser tests (routes 1, 2 and 3).

`consult_server`: the live server with the demo centers and duty doctors, the pathways of workflows/bpmn
deployed as `make run` does, and the app's clock a TestClock that the test moves (the server runs in the
test's process, so moving the clock moves the server's). The helpers act like people do: log in and
switch to English, open a task from the inbox, and run what the serve process would (timers, the
conclusion's signing) at the moment the test needs it.

Import the fixture into a test module with `from tests.e2e.consultation_fixtures import consult_server`.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import clock as clock_module
from engine.composition import build_connectors
from engine.consultations.demo import load_consultations_demo
from engine.consultations.models import Consultation
from engine.db import create_all, transaction
from engine.workflow import fire_due_timers, sync_folder
from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.demo_setup import login as sign_in

BPMN = Path(__file__).resolve().parents[2] / "workflows" / "bpmn"
# A PDF small enough to read in a test and real enough for the content check (magic bytes).
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def consult_server(live_server):
    sessions = live_server.app.extensions["carepath"].sessions
    create_all(live_server.app.extensions["carepath"].engine)  # tables of packages without a migration yet
    test_clock = clock_module.TestClock(clock_module.now().replace(microsecond=0))
    clock_module.use(test_clock)
    with transaction(sessions) as session:
        load_consultations_demo(session)
    result = sync_folder(sessions, BPMN, connectors=build_connectors(live_server.settings))
    assert not {k for k in result.failed if k.startswith("consultation_")}, result.failed
    yield live_server, test_clock
    clock_module.reset()


def login(context, url, email, password=DEMO_PASSWORD):
    """A new page of `context`, logged in and switched to English (tests.e2e.demo_setup.login)."""
    page = context.new_page()
    sign_in(page, url, email, password)
    return page


def produce(server):
    """Render, sign and store the waiting conclusions, as the serve process's flow does."""
    from engine.conclusions.models import Conclusion
    from workflows.conclusions import produce_now

    # In a thread of its own, as the serve process runs it: pyHanko's signing calls asyncio.run(), which
    # cannot run inside Playwright's event loop in this thread.
    worker = threading.Thread(target=produce_now, args=(server.settings,))
    worker.start()
    worker.join(60)
    with server.app.extensions["carepath"].sessions() as session:
        failed = [c.last_error for c in session.scalars(select(Conclusion)) if c.last_error]
    assert not failed, failed


def tick(server):
    fire_due_timers(server.app.extensions["carepath"].sessions, connectors=build_connectors(server.settings))


def open_task(page, url, name):
    page.goto(f"{url}/tasks/")
    page.get_by_role("link", name=name).first.click()


def submit_task(page):
    page.locator("form button[type=submit]").last.click()


def consultation(server, consultation_id) -> Consultation:
    with server.app.extensions["carepath"].sessions() as session:
        found = session.get(Consultation, consultation_id)
        assert found is not None
        session.expunge(found)
        return found


def consultation_id_of(page) -> int:
    return int(page.url.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1])


def download_signed_conclusion(page, url) -> bytes:
    """The patient's History lists the signed conclusion; its download is a PDF with a signature."""
    page.goto(f"{url}/history/")
    link = page.locator("a[href$='.pdf']").first
    with page.expect_download() as download:
        link.click()
    body = Path(download.value.path()).read_bytes()
    assert body.startswith(b"%PDF") and b"/ByteRange" in body  # a signed PDF
    return body


def join_hold_and_conclude(server, test_clock, patient, doctor, consultation_id, booked, diagnosis) -> None:
    """The shared tail of routes 1 and 3: the join link works in the window, the doctor marks the session
    held and writes the conclusion. `diagnosis` is (ICD-10 code, text, findings, recommendations)."""
    url = server.url
    test_clock.current = booked.starts_at - timedelta(minutes=5)
    tick(server)
    patient.goto(f"{url}/consultations/{consultation_id}")
    join = patient.locator(f"#join-{consultation_id}")
    response = patient.request.get(f"{url}{join.get_attribute('href')}", max_redirects=0)
    assert response.status == 302 and response.headers["location"] == booked.room_url

    test_clock.current = booked.starts_at + timedelta(minutes=1)
    tick(server)
    tick(server)
    open_task(doctor, url, "Hold the consultation")
    doctor.select_option("select[name=outcome]", "held")
    submit_task(doctor)
    open_task(doctor, url, "Write the conclusion")
    code, text, findings, recommendations = diagnosis
    doctor.fill("input[name=diagnosis_code]", code)
    doctor.fill("input[name=diagnosis_text]", text)
    doctor.fill("textarea[name=findings]", findings)
    doctor.fill("textarea[name=recommendations]", recommendations)
    submit_task(doctor)
    assert consultation(server, consultation_id).status == "held"
