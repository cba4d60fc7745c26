"""Reminders on time, in a real browser with a short real wait: a rehab class reminder goes out within the
minute it is due (10 minutes before the class), sent by the timer worker the serve process runs.

The course pathway first waits in the instructor's "Plan the rehabilitation course" task; planning a class
on the instructor's page wakes it, and it then waits for the class's reminder time. The platform clock is
then moved so that moment is a few seconds of real time away (every part reads engine.clock); the wait
itself is real."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine.join_window import JOIN_LEAD
from engine.outbox import OutboxMessage
from engine.rehab.courses import REMINDER_KIND
from engine.rehab.models import RehabClass
from tests.e2e.demo_setup import (  # noqa: F401 - fixtures used by name
    attach_instructor,
    due_in_a_moment,
    instructor_on_course,
    plan_class,
    rehab_server,
    timer_worker_for,
    wait_for,
)

pytestmark = pytest.mark.e2e

def test_a_class_reminder_goes_out_at_the_minute_it_is_due(rehab_server, timer_worker_for, new_context):  # noqa: F811
    base, sessions = rehab_server.url, rehab_server.app.extensions["carepath"].sessions
    timer_worker = timer_worker_for(rehab_server)
    attach_instructor(new_context, base, "On time")
    instructor = instructor_on_course(new_context, base, "On time")
    plan_class(instructor, "Punctual breathing", datetime.now(ZoneInfo("Europe/Moscow")) + timedelta(minutes=30))

    with sessions() as session:
        starts_at = session.scalars(select(RehabClass.starts_at).where(RehabClass.title == "Punctual breathing")).one()
    remind_at = starts_at - JOIN_LEAD
    due_in_a_moment(timer_worker, remind_at)  # twenty minutes pass in an instant, the last seconds for real

    def delivered() -> OutboxMessage | None:
        with sessions() as session:
            return session.scalars(select(OutboxMessage).where(OutboxMessage.kind == REMINDER_KIND,
                                                               OutboxMessage.sent_at.is_not(None))).first()

    sent = wait_for(instructor, delivered)
    assert sent is not None, "no class reminder was delivered"
    assert sent.recipient == "patient@example.org"
    assert timedelta(0) <= sent.created_at - remind_at < timedelta(minutes=1), sent.created_at - remind_at
    assert timedelta(0) <= sent.sent_at - remind_at < timedelta(minutes=1), sent.sent_at - remind_at
