"""Exercise-therapy (ЛФК) groups one can join: an instructor's group classes still to come, a recurring
series counting as one group. A person applying for enrolment picks one of these (R-ACC-06); once the
application is accepted, a patient with an open course at that instructor gets a seat in each class of
the group still ahead (and the course's reminders follow, see courses.wake_courses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts.models import User
from engine.clock import now
from engine.rehab.models import GROUP, OPEN, PLANNED, ClassSeat, RehabClass, RehabCourse


@dataclass(frozen=True)
class Group:
    key: str  # the series id, or "class-<id>" for a single class
    title: str
    instructor_id: int
    instructor: str
    first_start: datetime
    classes: int
    duration_minutes: int


def _key(item: RehabClass) -> str:
    return item.series_id or f"class-{item.id}"


def _upcoming(session: Session) -> list[RehabClass]:
    return list(session.scalars(
        select(RehabClass).where(RehabClass.kind == GROUP, RehabClass.status == PLANNED, RehabClass.starts_at > now())
        .order_by(RehabClass.starts_at, RehabClass.id)
    ))  # fmt: skip


def open_groups(session: Session) -> list[Group]:
    """Every group with a class still ahead, the soonest first."""
    by_key: dict[str, list[RehabClass]] = {}
    for item in _upcoming(session):
        by_key.setdefault(_key(item), []).append(item)
    names = {u.id: u.full_name for u in session.scalars(
        select(User).where(User.id.in_({items[0].instructor_id for items in by_key.values()})))}
    return [Group(key, items[0].title, items[0].instructor_id, names.get(items[0].instructor_id, ""),
                  items[0].starts_at, len(items), items[0].duration_minutes)
            for key, items in by_key.items()]


def find(session: Session, key: str) -> Group | None:
    return next((g for g in open_groups(session) if g.key == key), None)


def seat_patient(session: Session, key: str, patient_id: int) -> list[int]:
    """A seat in each class of the group still ahead, through the patient's open course at the group's
    instructor; returns the ids of the courses touched (none when there is no such course)."""
    classes = [item for item in _upcoming(session) if _key(item) == key]
    if not classes:
        return []
    course = session.scalar(
        select(RehabCourse).where(RehabCourse.patient_id == patient_id, RehabCourse.status == OPEN,
                                  RehabCourse.instructor_id == classes[0].instructor_id)
        .order_by(RehabCourse.id.desc()).limit(1)
    )  # fmt: skip
    if course is None:
        return []
    for item in classes:
        if all(seat.course_id != course.id for seat in item.seats):
            item.seats.append(ClassSeat(course_id=course.id, patient_id=patient_id))
    session.flush()
    return [course.id]
