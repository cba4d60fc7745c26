"""Demo rehabilitation data: the demo instructor attached to the demo patient by the demo doctor through
the real `rehab_course` pathway (so reminders work), a weekly class series, two recommended videos, and
correspondence switched on between the demo doctor and patient. Idempotent: skipped once the course exists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.accounts import service as accounts
from engine.clock import now
from engine.db import transaction
from engine.messaging import service as messaging
from engine.rehab import courses
from engine.rehab.models import EXERCISE, INFORMATION, RehabCourse
from engine.workflow import Actor, start_instance

PATIENT, DOCTOR, INSTRUCTOR = "patient@example.org", "doctor@example.org", "instructor@example.org"
DEMO_ROOM = "https://meet.jit.si/carepath-demo-"


def load_rehab_demo(sessions: sessionmaker[Session], connectors: Any = None, video_base_url: str = "") -> int | None:
    """The demo course's id, or None when the demo accounts are missing (load them first)."""
    with transaction(sessions) as session:
        people = [accounts.find_by_email(session, e) for e in (PATIENT, DOCTOR, INSTRUCTOR)]
        if any(p is None for p in people):
            return None
        patient, doctor, instructor = people
        assert patient is not None and doctor is not None and instructor is not None
        existing = session.scalar(select(RehabCourse.id).where(
            RehabCourse.patient_id == patient.id, RehabCourse.instructor_id == instructor.id))
        if existing is not None:
            return existing
        messaging.enable(session, doctor, patient.id)
        ids = patient.id, doctor.id, instructor.id
    instance = start_instance(sessions, courses.MODEL_ID, Actor(ids[1], frozenset({"doctor"})),
                              data={"doctor_id": ids[1], "instructor_id": ids[2], "title": "Реабилитация после операции"},
                              patient_id=ids[0], connectors=connectors)
    counter = iter(range(1000))
    base = (video_base_url or "https://meet.jit.si").rstrip("/")
    with transaction(sessions) as session:
        course = session.scalars(select(RehabCourse).where(RehabCourse.instance_id == instance)).one()
        instructor = session.get(type(people[2]), ids[2])
        assert instructor is not None
        start = (now() + timedelta(days=1)).replace(hour=7, minute=0, second=0, microsecond=0)  # 10:00 Moscow
        courses.plan_classes(session, instructor, [course.id], courses.ClassPlan(
            kind="individual", title="Лечебная физкультура", first_start=start, duration_minutes=45,
            repeat="weekly", count=4), new_meeting_url=lambda: f"{base}/carepath-demo-{course.id}-{next(counter)}")
        courses.add_video(session, instructor, course.id, category=EXERCISE, title="Дыхательная гимнастика",
                          description="Выполняйте утром и вечером по 10 минут.",
                          url="https://www.youtube.com/results?search_query=дыхательная+гимнастика")
        courses.add_video(session, instructor, course.id, category=INFORMATION, title="Как подготовиться к занятию",
                          description="Проверьте камеру и микрофон, подготовьте коврик и воду.",
                          url="https://zoom.us/support/download")
        course_id = course.id
    courses.wake_courses(sessions, [course_id], connectors)
    return course_id
