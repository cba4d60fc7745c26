"""Issue 16: class reminders follow every class the instructor plans, moves or cancels, whatever step
the course's pathway is at (the planning task still open, waiting for a class, or "nothing left").
The course is walked minute by minute on the test clock; every reminder is checked to the minute."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from engine.db import transaction
from engine.i18n import UserError
from engine.outbox import OutboxMessage
from engine.rehab import courses
from engine.rehab.models import RehabClass
from engine.workflow import Actor, fire_due_timers, inbox
from engine.workflow.models import DueTimer, ProcessInstance
from tests.rehab.conftest import user

ROOMS = iter(f"https://meet.example/walk-{n}" for n in range(1000))
PLAN_TASK = "Plan the rehabilitation course"
FINISH_TASK = "Finish the course or plan more classes"


def _reminders(sessions) -> list[OutboxMessage]:
    with transaction(sessions) as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "class_reminder")
                                    .order_by(OutboxMessage.id)))


def _titles(sessions, actor: Actor) -> list[str]:
    with transaction(sessions) as session:
        return [item.title for item in inbox(session, actor)]


def _due_timers(sessions, instance_id: int) -> list[datetime]:
    with transaction(sessions) as session:
        return list(session.scalars(select(DueTimer.due_at).where(DueTimer.instance_id == instance_id)))


def _revision(sessions, instance_id: int) -> int:
    with transaction(sessions) as session:
        return session.get(ProcessInstance, instance_id).revision


class Instructor:
    """What the instructor does on the course page: change classes, commit, wake the course."""

    def __init__(self, sessions, connectors, people, course_id: int) -> None:
        self.sessions, self.connectors, self.id, self.course_id = sessions, connectors, people.instructor, course_id

    def plan(self, title: str, start: datetime, minutes: int = 30) -> int:
        with transaction(self.sessions) as session:
            [item] = courses.plan_classes(session, user(session, self.id), [self.course_id],
                                          courses.ClassPlan("individual", title, start, minutes),
                                          new_meeting_url=lambda: next(ROOMS))
            class_id = item.id
        courses.wake_courses(self.sessions, [self.course_id], connectors=self.connectors)
        return class_id

    def move(self, class_id: int, start: datetime) -> None:
        with transaction(self.sessions) as session:
            courses.move_class(session, user(session, self.id), class_id, start)
        courses.wake_courses(self.sessions, [self.course_id], connectors=self.connectors)

    def cancel(self, class_id: int) -> None:
        with transaction(self.sessions) as session:
            courses.cancel_class(session, user(session, self.id), class_id)
        courses.wake_courses(self.sessions, [self.course_id], connectors=self.connectors)


def _walk_until(sessions, connectors, clock, until: datetime, sent: dict[str, datetime]) -> None:
    """Tick every minute, as the timer worker would, noting the minute each reminder was queued."""
    while clock.current < until:
        clock.advance(minutes=1)
        fire_due_timers(sessions, connectors=connectors)
        for message in _reminders(sessions):
            sent.setdefault(message.dedupe_key, clock.current)


def test_reminders_follow_classes_planned_moved_and_cancelled_after_the_course_started(
        sessions, connectors, people, course, clock):
    instance_id, course_id = course
    instructor_actor = Actor(people.instructor, frozenset({"instructor"}))
    me = Instructor(sessions, connectors, people, course_id)
    base = clock.current
    assert PLAN_TASK in _titles(sessions, instructor_actor) and _due_timers(sessions, instance_id) == []

    # 1. A class planned on the course page while the planning task is still open: the course moves on
    #    to the reminders at once (the task was never confirmed), with a due timer 10 minutes before.
    before = _revision(sessions, instance_id)
    first = me.plan("First", base + timedelta(hours=2))
    assert _revision(sessions, instance_id) > before, "the course's instance looked at the new class"
    assert PLAN_TASK not in _titles(sessions, instructor_actor)
    assert _due_timers(sessions, instance_id) == [base + timedelta(hours=1, minutes=50)]

    # 2. More classes after that: an earlier one takes the timer, a later one waits its turn.
    second = me.plan("Second", base + timedelta(hours=4))
    earlier = me.plan("Earlier", base + timedelta(hours=1))
    assert _due_timers(sessions, instance_id) == [base + timedelta(minutes=50)]
    # 3. The earlier one is cancelled: the timer goes back to the first class.
    me.cancel(earlier)
    assert _due_timers(sessions, instance_id) == [base + timedelta(hours=1, minutes=50)]
    # 4. The second class is moved forward by an hour and a half.
    me.move(second, base + timedelta(hours=5, minutes=30))

    sent: dict[str, datetime] = {}
    _walk_until(sessions, connectors, clock, base + timedelta(hours=1, minutes=55), sent)
    # 5. After the first class's reminder went, it is moved to later: its patient is told the new time,
    #    10 minutes before it, once more (the first reminder named a time that is no longer true).
    me.move(first, base + timedelta(hours=3))
    _walk_until(sessions, connectors, clock, base + timedelta(hours=6, minutes=30), sent)

    # 6. Nothing is left: the instructor is asked to finish. A class planned now wakes the course
    #    without "continue", and is reminded of too.
    assert FINISH_TASK in _titles(sessions, instructor_actor)
    assert _due_timers(sessions, instance_id) == []
    late = me.plan("Late", base + timedelta(hours=8))
    assert FINISH_TASK not in _titles(sessions, instructor_actor)
    assert _due_timers(sessions, instance_id) == [base + timedelta(hours=7, minutes=50)]
    _walk_until(sessions, connectors, clock, base + timedelta(hours=9), sent)
    assert FINISH_TASK in _titles(sessions, instructor_actor)

    with transaction(sessions) as session:
        starts = {c.id: c.starts_at for c in session.scalars(select(RehabClass))}
    messages = _reminders(sessions)
    got = sorted((m.context["title"], sent[m.dedupe_key]) for m in messages)
    assert got == sorted([
        ("First", base + timedelta(hours=1, minutes=50)),  # at its first time
        ("First", base + timedelta(hours=2, minutes=50)),  # and again at its new time
        ("Second", base + timedelta(hours=5, minutes=20)),  # only at the moved time
        ("Late", base + timedelta(hours=7, minutes=50)),
    ]), "every reminder exactly once, to the minute; none for the cancelled class"
    assert len({m.dedupe_key for m in messages}) == len(messages)
    for message in messages:
        class_id = int(message.context["link"].rsplit("/", 2)[-2])
        assert sent[message.dedupe_key] == starts[class_id] - timedelta(minutes=10) or message.context["title"] == "First"
        assert message.recipient == "patient@test.org"
    assert {int(m.context["link"].rsplit("/", 2)[-2]) for m in messages} == {first, second, late}


def test_a_class_cannot_be_moved_into_the_past_or_once_it_started(sessions, connectors, people, course, clock):
    _, course_id = course
    me = Instructor(sessions, connectors, people, course_id)
    item = me.plan("Soon", clock.current + timedelta(hours=1))
    with transaction(sessions) as session, pytest.raises(UserError):
        courses.move_class(session, user(session, people.instructor), item, clock.current - timedelta(minutes=1))
    clock.advance(hours=1, minutes=1)
    with transaction(sessions) as session, pytest.raises(UserError):
        courses.move_class(session, user(session, people.instructor), item, clock.current + timedelta(days=1))
    with transaction(sessions) as session, pytest.raises(UserError):  # someone else's class is "not found"
        courses.move_class(session, user(session, people.other_instructor), item, clock.current + timedelta(days=1))
