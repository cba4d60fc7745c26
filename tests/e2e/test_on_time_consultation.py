"""Consultation reminders on time, in a real browser with a short real wait: the patient books the duty
doctor, and the session pathway's reminders (a day before when the session is that far ahead, and "join
now" 10 minutes before the start) go out within the minute they are due, fired by the timer worker the
serve process runs.

After the booking the platform clock is moved so each reminder's moment is a few seconds of real time
away (every part reads engine.clock); each wait is real."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.consultations.models import Consultation
from engine.outbox import OutboxMessage
from tests.e2e import consultation_fixtures as shared
from tests.e2e.consultation_fixtures import login
from tests.e2e.demo_setup import due_in_a_moment, timer_worker_for, wait_for  # noqa: F401

pytestmark = pytest.mark.e2e
consult_server = shared.consult_server  # the shared fixture, used by name


def delivered_reminder(sessions, consultation_id: int, stage: str) -> OutboxMessage | None:
    key = f"consultation:{consultation_id}:consultation_reminder:%:{stage}"
    with sessions() as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like(key),
                                                           OutboxMessage.sent_at.is_not(None))).first()


def test_the_consultation_reminders_go_out_at_the_minute_they_are_due(consult_server, timer_worker_for, new_context):  # noqa: F811
    server, _ = consult_server
    timer_worker = timer_worker_for(server)
    sessions = server.app.extensions["carepath"].sessions
    patient = login(new_context(), server.url, "patient@example.org")
    patient.goto(f"{server.url}/consultations/duty")
    patient.locator("input[name=slot_id]").last.check()  # the furthest time offered
    patient.get_by_role("button", name="Book").last.click()
    patient.wait_for_url("**/consultations/*")
    consultation_id = int(patient.url.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1])
    with sessions() as session:
        booked = session.get(Consultation, consultation_id)
        starts_at, scheduled_at = booked.starts_at, booked.scheduled_at
    stages = [("soon", starts_at - timedelta(minutes=10))]
    if starts_at - scheduled_at >= timedelta(days=1):
        stages.insert(0, ("day", starts_at - timedelta(days=1)))

    for stage, due in stages:
        due_in_a_moment(timer_worker, due)
        sent = wait_for(patient, lambda stage=stage: delivered_reminder(sessions, consultation_id, stage))
        assert sent is not None, f"no {stage} reminder was delivered"
        assert sent.recipient == "patient@example.org"
        assert timedelta(0) <= sent.created_at - due < timedelta(minutes=1), (stage, sent.created_at - due)
        assert timedelta(0) <= sent.sent_at - due < timedelta(minutes=1), (stage, sent.sent_at - due)
    patient.goto(f"{server.url}/consultations/{consultation_id}")
    assert patient.locator(f"#join-{consultation_id}").is_visible()  # the window the reminder announced is open
