"""The rehab_course pathway over two weeks of a recurring series, on the test clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.db import transaction
from engine.outbox import OutboxMessage
from engine.rehab import courses
from engine.rehab.models import ClassSeat, RehabCourse
from engine.workflow import Actor, complete_task, fire_due_timers, inbox
from engine.workflow.models import ProcessInstance
from tests.rehab.conftest import user

ROOMS = iter(f"https://meet.example/room-{n}" for n in range(1000))


def _reminders(sessions) -> list[OutboxMessage]:
    with transaction(sessions) as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "class_reminder")
                                    .order_by(OutboxMessage.id)))


def _task(sessions, actor: Actor, name: str):
    with transaction(sessions) as session:
        [item] = [i for i in inbox(session, actor) if i.title == name]
        return item


def _status(sessions, instance_id: int) -> str:
    with transaction(sessions) as session:
        return session.get(ProcessInstance, instance_id).status


def test_a_two_week_series_reminds_once_per_class_ten_minutes_before_and_the_course_completes(
        sessions, connectors, people, course, clock):
    instance_id, course_id = course
    instructor = Actor(people.instructor, frozenset({"instructor"}))
    start = clock.current.replace(hour=10, minute=0) + timedelta(days=1)
    # A daily series over two weeks: fourteen classes of 45 minutes at 10:00.
    with transaction(sessions) as session:
        plan = courses.ClassPlan(kind="individual", title="Knee exercises", first_start=start,
                                 duration_minutes=45, repeat="daily", count=14)
        created = courses.plan_classes(session, user(session, people.instructor), [course_id], plan,
                                       new_meeting_url=lambda: next(ROOMS))
        starts = [item.starts_at for item in created]
        assert len({item.series_id for item in created}) == 1 and created[0].series_id
        assert len({item.meeting_url for item in created}) == 14, "a room of its own per class"
    assert starts[-1] - starts[0] == timedelta(days=13)
    task = _task(sessions, instructor, "Plan the rehabilitation course")
    complete_task(sessions, instructor, instance_id, task.task_guid, {"planned": True}, connectors=connectors)

    sent_at = []
    while clock.current < starts[-1] + timedelta(hours=2):
        clock.advance(minutes=5)
        fire_due_timers(sessions, connectors=connectors)
        count = len(_reminders(sessions))
        if count > len(sent_at):
            sent_at.append(clock.current)
        # The instructor marks each class once it has started: present, except the third one.
        with transaction(sessions) as session:
            for view in courses.seats(session, course_ids=[course_id]):
                if view.item.starts_at <= clock.current and view.seat.attendance is None:
                    value = "missed" if view.item.starts_at == starts[2] else "attended"
                    courses.mark_attendance(session, user(session, people.instructor), view.seat.id, value)

    messages = _reminders(sessions)
    assert len(messages) == 14, "one reminder per class, never two"
    assert len({m.dedupe_key for m in messages}) == 14
    # Each went out at the first tick at or after 10 minutes before its class, within the 5-minute tick.
    for when, starts_at in zip(sent_at, starts, strict=True):
        assert starts_at - timedelta(minutes=10) <= when < starts_at - timedelta(minutes=5)
    assert messages[0].recipient == "patient@test.org"
    assert messages[0].context["link"].startswith("https://care.example/rehab/classes/")
    assert messages[0].context["minutes"] == 45

    with transaction(sessions) as session:
        missed = courses.missed(session, user(session, people.doctor))
        assert [v.item.starts_at for v in missed] == [starts[2]], "the doctor sees the missed class"
        assert [v.seat.id for v in courses.missed(session, user(session, people.instructor))] == [missed[0].seat.id]
        assert courses.missed(session, user(session, people.other_instructor)) == []

    finish = _task(sessions, instructor, "Finish the course or plan more classes")
    assert _status(sessions, instance_id) != "completed"
    complete_task(sessions, instructor, instance_id, finish.task_guid, {"decision": "finish"}, connectors=connectors)
    assert _status(sessions, instance_id) == "completed"
    with transaction(sessions) as session:
        done = session.get(RehabCourse, course_id)
        assert done.status == "completed" and done.completed_at == clock.current
        seats = session.scalars(select(ClassSeat).where(ClassSeat.course_id == course_id)).all()
        assert sorted(s.attendance for s in seats) == ["attended"] * 13 + ["missed"]


def test_a_class_planned_earlier_than_the_awaited_one_is_reminded_first(sessions, connectors, people, course, clock):
    instance_id, course_id = course
    instructor = Actor(people.instructor, frozenset({"instructor"}))
    with transaction(sessions) as session:
        me = user(session, people.instructor)
        courses.plan_classes(session, me, [course_id], courses.ClassPlan(
            "individual", "Late", clock.current + timedelta(days=5), 30), new_meeting_url=lambda: next(ROOMS))
    task = _task(sessions, instructor, "Plan the rehabilitation course")
    complete_task(sessions, instructor, instance_id, task.task_guid, {"planned": True}, connectors=connectors)
    with transaction(sessions) as session:
        me = user(session, people.instructor)
        courses.plan_classes(session, me, [course_id], courses.ClassPlan(
            "individual", "Early", clock.current + timedelta(hours=2), 30), new_meeting_url=lambda: next(ROOMS))
    assert courses.wake_courses(sessions, [course_id], connectors=connectors) == 1
    clock.advance(minutes=111)
    fire_due_timers(sessions, connectors=connectors)
    [message] = _reminders(sessions)
    assert message.context["title"] == "Early"


def test_a_cancelled_class_sends_no_reminder(sessions, connectors, people, course, clock):
    instance_id, course_id = course
    instructor = Actor(people.instructor, frozenset({"instructor"}))
    with transaction(sessions) as session:
        me = user(session, people.instructor)
        [item] = courses.plan_classes(session, me, [course_id], courses.ClassPlan(
            "individual", "Soon", clock.current + timedelta(hours=1), 30), new_meeting_url=lambda: next(ROOMS))
    task = _task(sessions, instructor, "Plan the rehabilitation course")
    complete_task(sessions, instructor, instance_id, task.task_guid, {"planned": True}, connectors=connectors)
    with transaction(sessions) as session:
        courses.cancel_class(session, user(session, people.instructor), item.id)
    courses.wake_courses(sessions, [course_id], connectors=connectors)
    clock.advance(hours=2)
    fire_due_timers(sessions, connectors=connectors)
    assert _reminders(sessions) == []
    _task(sessions, instructor, "Finish the course or plan more classes")  # nothing left: the instructor decides
