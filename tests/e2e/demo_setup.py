"""Set-up steps the browser tests share, written once: the rehab course model on the live server, the
doctor attaching the instructor and the instructor planning a class (as on their pages), and the timer
worker of the serve process with the platform clock moved so that a due moment is a few real seconds
away (every part reads engine.clock; the last wait is real).

Fixtures are imported into a test module by name (`from tests.e2e.demo_setup import rehab_server`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from playwright.sync_api import expect

from engine import clock
from engine.composition import build_connectors
from engine.db import transaction
from engine.workflow import deploy_model
from tests.e2e.conftest import DEMO_PASSWORD
from workflows.timer_worker import TimerWorker

REHAB_MODEL = Path(__file__).resolve().parents[2] / "workflows" / "bpmn" / "rehab_course"
LEAD = timedelta(seconds=4)  # real seconds between moving the clock and the due moment
T = TypeVar("T")


def login(page, base: str, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    # Demo accounts speak Russian; these checks read the English text, so switch like a person would.
    page.locator("form.lang button[lang=en]").click()


def deploy_rehab_course(server) -> None:
    files = {str(p.relative_to(REHAB_MODEL)): p.read_text(encoding="utf-8")
             for p in REHAB_MODEL.rglob("*") if p.is_file()}
    with transaction(server.app.extensions["carepath"].sessions) as session:
        deploy_model(session, "rehab_course", files, connectors=build_connectors(server.settings))


@pytest.fixture(scope="module")
def rehab_server(live_server):
    deploy_rehab_course(live_server)
    return live_server


def attach_instructor(new_context, base: str, title: str):
    """The demo doctor attaches the demo instructor to the demo patient on /rehab/attach; their page."""
    doctor = new_context().new_page()
    login(doctor, base, "doctor@example.org")
    doctor.goto(f"{base}/rehab/attach")
    doctor.get_by_label("Patient's email").fill("patient@example.org")
    doctor.get_by_label("Course title").fill(title)
    doctor.get_by_role("button", name="Attach").click()
    expect(doctor.get_by_text("The instructor is attached")).to_be_visible()  # waits for the page after the click
    return doctor


def instructor_on_course(new_context, base: str, title: str):
    """The demo instructor's page of the course called `title`."""
    instructor = new_context().new_page()
    login(instructor, base, "instructor@example.org")
    instructor.goto(f"{base}/rehab/")
    instructor.get_by_role("link", name=title).click()
    return instructor


def plan_class(instructor, title: str, when: datetime, minutes: int = 30, *, start_time: str | None = None,
               group_series: int = 0) -> None:
    """Fill the course page's "Plan" form; `group_series` > 1 plans a weekly group series of that many."""
    form = instructor.locator("form", has=instructor.get_by_role("button", name="Plan"))
    form.get_by_label("Title").fill(title)
    form.get_by_label("Date").fill(when.strftime("%Y-%m-%d"))
    form.get_by_label("Start time").fill(start_time or when.strftime("%H:%M"))
    form.get_by_label("Duration, minutes").fill(str(minutes))
    if group_series:
        form.get_by_label("group").check()
        form.get_by_label("Repeat").select_option("weekly")
        form.get_by_label("Number of classes in the series").fill(str(group_series))
    form.get_by_role("button", name="Plan").click()
    assert instructor.get_by_text(f"Classes planned: {max(group_series, 1)}.").is_visible()


@pytest.fixture
def timer_worker_for() -> Iterator[Callable[[object], TimerWorker]]:
    """Starts the serve process's timer worker for a live server; stops it and gives the clock back after."""
    started: list[tuple[TimerWorker, object]] = []

    def start(server) -> TimerWorker:
        worker = TimerWorker(server.settings)
        started.append((worker, worker.start()))
        return worker

    yield start
    for worker, thread in started:
        worker.stop()
        thread.join(10)
    clock.reset()


def due_in_a_moment(worker: TimerWorker, due: datetime) -> None:
    """Move the platform clock so that `due` is LEAD of real time away, and wake the worker."""
    offset = due - datetime.now(UTC) - LEAD
    clock.use(lambda: datetime.now(UTC) + offset)
    worker.wake()


def wait_for(page, fetch: Callable[[], T | None]) -> T | None:
    """Poll `fetch` for up to a minute of real time (the moment is due in LEAD); None if it never came."""
    for _ in range(120):
        found = fetch()
        if found is not None:
            return found
        page.wait_for_timeout(500)
    return None
