"""Reminders on time, in a real browser with a short real wait: a rehab class reminder goes out within the
minute it is due (10 minutes before the class), sent by the timer worker the serve process runs.

The course pathway first waits in the instructor's "Plan the rehabilitation course" task; planning a class
on the instructor's page wakes it, and it then waits for the class's reminder time. The platform clock is
then moved so that moment is a few seconds of real time away (every part reads engine.clock); the wait
itself is real."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine import clock
from engine.outbox import OutboxMessage
from engine.rehab.courses import REMINDER_KIND
from engine.rehab.models import RehabClass
from tests.e2e.test_rehab import login, rehab_server  # noqa: F401 - the rehab model on the live server
from workflows.timer_worker import TimerWorker

pytestmark = pytest.mark.e2e
LEAD = timedelta(seconds=4)  # real seconds between moving the clock and the due moment
JOIN_LEAD = timedelta(minutes=10)


@pytest.fixture
def timer_worker(rehab_server):  # noqa: F811
    worker = TimerWorker(rehab_server.settings)
    thread = worker.start()
    yield worker
    worker.stop()
    thread.join(10)
    clock.reset()


def test_a_class_reminder_goes_out_at_the_minute_it_is_due(rehab_server, timer_worker, new_context):  # noqa: F811
    base, sessions = rehab_server.url, rehab_server.app.extensions["carepath"].sessions
    doctor = new_context().new_page()
    login(doctor, base, "doctor@example.org")
    doctor.goto(f"{base}/rehab/attach")
    doctor.get_by_label("Patient's email").fill("patient@example.org")
    doctor.get_by_label("Course title").fill("On time")
    doctor.get_by_role("button", name="Attach").click()
    assert doctor.get_by_text("The instructor is attached").is_visible()

    instructor = new_context().new_page()
    login(instructor, base, "instructor@example.org")
    instructor.goto(f"{base}/rehab/")
    instructor.get_by_role("link", name="On time").click()
    when = datetime.now(ZoneInfo("Europe/Moscow")) + timedelta(minutes=30)
    form = instructor.locator("form", has=instructor.get_by_role("button", name="Plan"))
    form.get_by_label("Title").fill("Punctual breathing")
    form.get_by_label("Date").fill(when.strftime("%Y-%m-%d"))
    form.get_by_label("Start time").fill(when.strftime("%H:%M"))
    form.get_by_label("Duration, minutes").fill("30")
    form.get_by_role("button", name="Plan").click()
    assert instructor.get_by_text("Classes planned: 1.").is_visible()

    with sessions() as session:
        starts_at = session.scalars(select(RehabClass.starts_at).where(RehabClass.title == "Punctual breathing")).one()
    remind_at = starts_at - JOIN_LEAD
    offset = remind_at - datetime.now(UTC) - LEAD
    clock.use(lambda: datetime.now(UTC) + offset)  # twenty minutes pass in an instant, the last seconds for real
    timer_worker.wake()

    sent = None
    for _ in range(120):  # up to a minute of real time; the reminder is due in LEAD
        with sessions() as session:
            sent = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == REMINDER_KIND,
                                                               OutboxMessage.sent_at.is_not(None))).first()
        if sent is not None:
            break
        instructor.wait_for_timeout(500)
    assert sent is not None, "no class reminder was delivered"
    assert sent.recipient == "patient@example.org"
    assert timedelta(0) <= sent.created_at - remind_at < timedelta(minutes=1), sent.created_at - remind_at
    assert timedelta(0) <= sent.sent_at - remind_at < timedelta(minutes=1), sent.sent_at - remind_at
