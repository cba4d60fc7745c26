"""Reminder sources: due reminders are queued once under their dedupe keys, whatever the number of runs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine import reminders
from engine.accounts.models import ACTIVE, User, UserRole
from engine.clock import now
from engine.db import transaction
from engine.outbox import OutboxMessage
from engine.workflow.models import (
    NO_DUE_DATE,
    PendingTask,
    ProcessInstance,
    ProcessModel,
    ProcessModelVersion,
)


def queued(sessions, kind: str) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def test_a_registered_source_is_queued_once_when_due_however_often_it_runs(sessions, clock, monkeypatch):
    monkeypatch.setitem(reminders.SOURCES, "test_sessions", lambda session, at: [
        reminders.Reminder("session:1:10m", "anna@example.org", "confirm_email",
                           {"name": "Anna", "link": "http://x/1", "expires_hours": 1}, at - timedelta(seconds=1)),
        reminders.Reminder("session:2:10m", "oleg@example.org", "confirm_email",
                           {"name": "Oleg", "link": "http://x/2", "expires_hours": 1}, at + timedelta(hours=1)),
    ])  # fmt: skip

    first = reminders.enqueue_due(sessions, only=["test_sessions"])
    second = reminders.enqueue_due(sessions, only=["test_sessions"])

    assert (first.queued, second.queued, second.already) == (1, 0, 1)
    assert [m.dedupe_key for m in queued(sessions, "confirm_email")] == ["session:1:10m"]


def test_a_broken_source_does_not_hold_back_the_others(sessions, monkeypatch):
    def broken(session, at):
        raise RuntimeError("boom")

    monkeypatch.setitem(reminders.SOURCES, "a_broken", broken)
    monkeypatch.setitem(reminders.SOURCES, "b_fine", lambda s, at: [
        reminders.Reminder("fine:1", "a@example.org", "confirm_email", {"name": "A", "link": "l", "expires_hours": 1}, at)])

    report = reminders.enqueue_due(sessions, only=["a_broken", "b_fine"])

    assert report.by_source == {"a_broken": -1, "b_fine": 1}


def _doctor_with_overdue_task(sessions, clock) -> User:
    with transaction(sessions) as session:
        doctor = User(email="doc@example.org", last_name="Смирнов", first_name="Алексей", status=ACTIVE, locale="en",
                      timezone="Europe/Moscow")  # fmt: skip
        doctor.roles = [UserRole(role="doctor")]
        session.add(doctor)
        session.add(ProcessModel(id="m", title="M"))
        session.flush()
        version = ProcessModelVersion(process_model_id="m", number=1, files={}, sha256="0" * 64, primary_process_id="m",
                                      process_sources={}, serialized_spec="")  # fmt: skip
        session.add(version)
        session.flush()
        instance = ProcessInstance(version_id=version.id, process_model_id="m", status="waiting", state="")
        session.add(instance)
        session.flush()
        due = now() - timedelta(days=1)
        session.add(PendingTask(instance_id=instance.id, process_model_id="m", task_guid="g1", task_name="review",
                                title="Review", role="doctor", assignee_user_id=doctor.id, due_at=due, sort_at=due))
        session.add(PendingTask(instance_id=instance.id, process_model_id="m", task_guid="g2", task_name="later",
                                title="Later", role="doctor", assignee_user_id=doctor.id, sort_at=NO_DUE_DATE))
    return doctor


def test_the_doctor_digest_counts_overdue_tasks_once_a_day_from_eight_local_time(sessions, clock):
    doctor = _doctor_with_overdue_task(sessions, clock)
    start = now()
    # 04:00 UTC is 07:00 in Moscow: too early; 05:30 UTC is 08:30: due.
    early = start.replace(hour=4, minute=0, second=0, microsecond=0)
    late = early + timedelta(minutes=90)

    assert reminders.enqueue_due(sessions, now=early, only=["doctor_digest"]).queued == 0
    assert reminders.enqueue_due(sessions, now=late, only=["doctor_digest"]).queued == 1
    assert reminders.enqueue_due(sessions, now=late + timedelta(hours=3), only=["doctor_digest"]).queued == 0
    [digest] = queued(sessions, "overdue_digest")
    assert digest.recipient == doctor.email and digest.context["own"] == 1
    assert digest.dedupe_key == f"digest:doctor:{doctor.id}:{late.date().isoformat()}"
