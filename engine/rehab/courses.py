"""Rehabilitation courses: attaching an instructor, planning classes and videos, attendance, and what
each person sees. Every function takes the caller's session and adds to its transaction; the caller
commits. Access is checked here against who owns the course, not only in the web layer.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit, outbox, roles
from engine.accounts.models import ACTIVE, User
from engine.clock import now
from engine.i18n import N_, Forbidden, NotFound, UserError
from engine.join_window import JOIN_LEAD, join_window
from engine.rehab.models import (
    ATTENDANCE,
    CLASS_KINDS,
    GROUP,
    INDIVIDUAL,
    OPEN,
    PLANNED,
    VIDEO_LISTS,
    ClassSeat,
    RecommendedVideo,
    RehabClass,
    RehabCourse,
)
from engine.timezones import DEFAULT_ZONE, appointment_label

MODEL_ID = "rehab_course"
SCHEDULE_CHANGED = "rehab_schedule_changed"  # the BPMN message that makes a course look again
REMINDER_KIND = "class_reminder"
MIN_MINUTES, MAX_MINUTES = 10, 240
MAX_OCCURRENCES = 52
REPEATS = {"none": None, "daily": timedelta(days=1), "weekly": timedelta(weeks=1)}


def _user(session: Session, user_id: int, role: str, message: str) -> User:
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.has_role(role) or user.status == "disabled":
        raise UserError(message)
    return user


def check_attachment(session: Session, doctor: User, patient_id: int, instructor_id: int) -> tuple[User, User]:
    """A doctor may attach an instructor to a patient (R-CAB-04); the course opens in the pathway."""
    if not doctor.has_role(roles.DOCTOR):
        raise Forbidden(N_("Only a doctor may attach an instructor."))
    patient = _user(session, patient_id, roles.PATIENT, N_("There is no such patient."))
    instructor = _user(session, instructor_id, roles.INSTRUCTOR, N_("There is no such instructor."))
    return patient, instructor


def open_course(session: Session, *, instance_id: int, patient_id: int, doctor_id: int, instructor_id: int,
                title: str = "", base_url: str = "") -> RehabCourse:
    """Called by the pathway's first service task, in the engine step's transaction."""
    doctor = _user(session, doctor_id, roles.DOCTOR, N_("There is no such doctor."))
    check_attachment(session, doctor, patient_id, instructor_id)
    existing = session.scalar(select(RehabCourse).where(RehabCourse.instance_id == instance_id))
    if existing is not None:  # the step is retried after an error: same course
        return existing
    course = RehabCourse(patient_id=patient_id, doctor_id=doctor_id, instructor_id=instructor_id,
                         title=title.strip()[:200], status=OPEN, instance_id=instance_id, created_at=now())
    session.add(course)
    session.flush()
    audit.record(session, "rehab_course_opened", actor_id=doctor_id, subject_id=patient_id,
                 object_type="rehab_course", object_id=course.id, instructor_id=instructor_id)
    patient, instructor = session.get(User, patient_id), session.get(User, instructor_id)
    assert patient is not None and instructor is not None
    # R-CAB-06: the patient hears of every new assignment (by email; one imported with only a phone gives
    # an email when activating, and sees an earlier assignment in the cabinet once logged in).
    if patient.email:
        outbox.enqueue(session, kind="course_assigned", to=patient.email, user_id=patient.id,
                       locale=patient.locale if patient.locale in ("ru", "en") else "ru",
                       dedupe_key=f"rehab_course_assigned:{course.id}",
                       context={"name": patient.first_name, "doctor": doctor.full_name,
                                "instructor": instructor.full_name, "link": f"{base_url.rstrip('/')}/rehab/"})
    return course


def get_course(session: Session, user: User, course_id: int, *, manage: bool = False) -> RehabCourse:
    """The course if `user` takes part in it: its patient, doctor or instructor; `manage` means the
    instructor (who plans it). A foreign id is "not found", so ids cannot be probed."""
    course = session.get(RehabCourse, course_id) if isinstance(course_id, int) else None
    if course is None or user.id not in (course.patient_id, course.doctor_id, course.instructor_id):
        raise NotFound(N_("There is no such course."))
    if manage and user.id != course.instructor_id:
        raise Forbidden(N_("Only the course's instructor may change it."))
    return course


def courses_of(session: Session, user: User, *, open_only: bool = False) -> list[RehabCourse]:
    """Every course the person takes part in, newest first."""
    query = select(RehabCourse).where(
        (RehabCourse.patient_id == user.id) | (RehabCourse.doctor_id == user.id)
        | (RehabCourse.instructor_id == user.id)
    )
    if open_only:
        query = query.where(RehabCourse.status == OPEN)
    return list(session.scalars(query.order_by(RehabCourse.id.desc())))


@dataclass(frozen=True)
class ClassPlan:
    kind: str
    title: str
    first_start: datetime  # aware
    duration_minutes: int
    repeat: str = "none"
    count: int = 1


def plan_classes(session: Session, instructor: User, course_ids: Sequence[int], plan: ClassPlan, *,
                 new_meeting_url: Callable[[], str], ip: str = "") -> list[RehabClass]:
    """One class or a recurring series; each occurrence gets its own unguessable meeting room.

    `new_meeting_url` comes from the video integration (the engine never imports integrations)."""
    if plan.kind not in CLASS_KINDS:
        raise UserError(N_("Choose an individual or a group class."))
    if not MIN_MINUTES <= plan.duration_minutes <= MAX_MINUTES:
        raise UserError(N_("A class lasts from %(min)s to %(max)s minutes."), min=MIN_MINUTES, max=MAX_MINUTES)
    if plan.repeat not in REPEATS:
        raise UserError(N_("Choose how the class repeats."))
    count = 1 if REPEATS[plan.repeat] is None else plan.count
    if not 1 <= count <= MAX_OCCURRENCES:
        raise UserError(N_("A series has from 1 to %(max)s classes."), max=MAX_OCCURRENCES)
    if plan.first_start.tzinfo is None or plan.first_start <= now():
        raise UserError(N_("Choose a time in the future."))
    courses = [get_course(session, instructor, cid, manage=True) for cid in dict.fromkeys(course_ids)]
    if not courses:
        raise UserError(N_("Choose at least one patient."))
    if plan.kind == INDIVIDUAL and len(courses) != 1:
        raise UserError(N_("An individual class is for one patient; choose a group class for several."))
    if any(course.status != OPEN for course in courses):
        raise UserError(N_("This course is finished; classes can no longer be planned."))
    step = REPEATS[plan.repeat] or timedelta(0)
    series = secrets.token_hex(8) if count > 1 else None
    created = []
    for n in range(count):
        item = RehabClass(instructor_id=instructor.id, kind=plan.kind, title=plan.title.strip()[:200],
                          starts_at=plan.first_start + step * n, duration_minutes=plan.duration_minutes,
                          series_id=series, meeting_url=new_meeting_url(), status=PLANNED, created_at=now())
        item.seats = [ClassSeat(course_id=c.id, patient_id=c.patient_id) for c in courses]
        session.add(item)
        created.append(item)
    session.flush()
    for course in courses:
        audit.record(session, "rehab_class_planned", actor_id=instructor.id, subject_id=course.patient_id, ip=ip,
                     object_type="rehab_course", object_id=course.id, classes=len(created), series=series or "")
    return created


def cancel_class(session: Session, instructor: User, class_id: int, *, ip: str = "") -> RehabClass:
    item = session.get(RehabClass, class_id) if isinstance(class_id, int) else None
    if item is None or item.instructor_id != instructor.id:
        raise NotFound(N_("There is no such class."))
    if item.starts_at <= now():
        raise UserError(N_("A class that has started cannot be cancelled."))
    item.status = "cancelled"
    audit.record(session, "rehab_class_cancelled", actor_id=instructor.id, ip=ip, object_type="rehab_class",
                 object_id=item.id)
    return item


def move_class(session: Session, instructor: User, class_id: int, new_start: datetime, *, ip: str = "") -> RehabClass:
    """A planned class to another time. Its seats are reminded again for the new time (a reminder of the
    old time, if it already went, told the patient the wrong time); the caller wakes the courses."""
    item = session.get(RehabClass, class_id) if isinstance(class_id, int) else None
    if item is None or item.instructor_id != instructor.id or item.status != PLANNED:
        raise NotFound(N_("There is no such class."))
    if item.starts_at <= now():
        raise UserError(N_("A class that has started cannot be moved."))
    if new_start.tzinfo is None or new_start <= now():
        raise UserError(N_("Choose a time in the future."))
    if new_start == item.starts_at:
        return item
    old_start, item.starts_at = item.starts_at, new_start
    for seat in item.seats:
        seat.reminded_at = None
    audit.record(session, "rehab_class_moved", actor_id=instructor.id, ip=ip, object_type="rehab_class",
                 object_id=item.id, old_start=old_start.isoformat(), new_start=new_start.isoformat())
    return item


def course_ids_of_class(item: RehabClass) -> list[int]:
    return [seat.course_id for seat in item.seats]


def wake_courses(session_factory: Any, course_ids: Iterable[int], connectors: Any = None) -> int:
    """After a commit that changed classes: the course pathways waiting for the next reminder look again."""
    from engine.workflow import correlate_message

    return sum(correlate_message(session_factory, SCHEDULE_CHANGED, {"course_id": cid}, connectors=connectors)
               for cid in dict.fromkeys(course_ids))


def mark_attendance(session: Session, instructor: User, seat_id: int, value: str, *, ip: str = "") -> ClassSeat:
    seat = session.get(ClassSeat, seat_id) if isinstance(seat_id, int) else None
    if seat is None or seat.rehab_class.instructor_id != instructor.id:
        raise NotFound(N_("There is no such class."))
    if value not in ATTENDANCE:
        raise UserError(N_("Mark the patient as present or absent."))
    if seat.rehab_class.status != PLANNED or seat.rehab_class.starts_at > now():
        raise UserError(N_("Attendance can be marked once the class has started."))
    seat.attendance, seat.marked_by, seat.marked_at = value, instructor.id, now()
    audit.record(session, "rehab_attendance_marked", actor_id=instructor.id, subject_id=seat.patient_id, ip=ip,
                 object_type="rehab_class", object_id=seat.class_id, attendance=value)
    return seat


@dataclass(frozen=True)
class SeatView:
    seat: ClassSeat
    item: RehabClass
    window: str  # early / open / over (engine.join_window)


def seats(session: Session, *, course_ids: Iterable[int] | None = None, patient_id: int | None = None,
          upcoming: bool | None = None, limit: int = 200) -> list[SeatView]:
    """Seats in planned classes, by time; `upcoming` True: not yet over, False: over."""
    query = select(ClassSeat, RehabClass).join(RehabClass, RehabClass.id == ClassSeat.class_id).where(
        RehabClass.status == PLANNED)
    if course_ids is not None:
        query = query.where(ClassSeat.course_id.in_(list(course_ids)))
    if patient_id is not None:
        query = query.where(ClassSeat.patient_id == patient_id)
    rows = session.execute(query.order_by(RehabClass.starts_at, RehabClass.id)).all()
    result = []
    for seat, item in rows:
        state = join_window(item.starts_at, item.ends_at).state()
        if upcoming is True and state == "over" or upcoming is False and state != "over":
            continue
        result.append(SeatView(seat, item, state))
    return result[-limit:] if upcoming is False else result[:limit]


def missed(session: Session, user: User) -> list[SeatView]:
    """Classes marked missed in courses the person instructs or attached (R: visible to both)."""
    ids = [c.id for c in courses_of(session, user) if user.id in (c.instructor_id, c.doctor_id)]
    return [v for v in seats(session, course_ids=ids, upcoming=False) if v.seat.attendance == "missed"]


def join_target(session: Session, user: User, class_id: int) -> str:
    """The meeting URL for a participant, only inside the join window."""
    item = session.get(RehabClass, class_id) if isinstance(class_id, int) else None
    if item is None or item.status != PLANNED or (
        user.id != item.instructor_id and all(seat.patient_id != user.id for seat in item.seats)
    ):
        raise NotFound(N_("There is no such class."))
    join_window(item.starts_at, item.ends_at).check()
    return item.meeting_url


# ------------------------------------------------------------------ recommended videos


def add_video(session: Session, instructor: User, course_id: int, *, category: str, title: str,
              description: str = "", url: str = "", document_id: int | None = None, ip: str = "") -> RecommendedVideo:
    course = get_course(session, instructor, course_id, manage=True)
    if category not in VIDEO_LISTS:
        raise UserError(N_("Choose the list: exercises or useful information."))
    title, url = title.strip(), url.strip()
    if not title:
        raise UserError(N_("Give the video a title."))
    if bool(url) == bool(document_id):
        raise UserError(N_("Give either a video link or a file, one of the two."))
    if url and not url.startswith(("https://", "http://")):
        raise UserError(N_("A video link starts with https://."))
    video = RecommendedVideo(course_id=course.id, category=category, title=title[:200],
                             description=description.strip()[:4000], url=url[:500], document_id=document_id,
                             created_by=instructor.id, created_at=now())
    session.add(video)
    session.flush()
    audit.record(session, "rehab_video_recommended", actor_id=instructor.id, subject_id=course.patient_id, ip=ip,
                 object_type="rehab_course", object_id=course.id, title=video.title)
    return video


def videos(session: Session, course_ids: Iterable[int]) -> dict[str, list[RecommendedVideo]]:
    """Both lists (R-REHAB-11), newest first."""
    rows = session.scalars(select(RecommendedVideo).where(RecommendedVideo.course_id.in_(list(course_ids)))
                           .order_by(RecommendedVideo.id.desc()))
    lists: dict[str, list[RecommendedVideo]] = {name: [] for name in VIDEO_LISTS}
    for video in rows:
        lists[video.category].append(video)
    return lists


def video_for(session: Session, user: User, video_id: int) -> RecommendedVideo:
    video = session.get(RecommendedVideo, video_id) if isinstance(video_id, int) else None
    if video is None:
        raise NotFound(N_("There is no such video."))
    get_course(session, user, video.course_id)
    return video


# ------------------------------------------------------------------ what the pathway's service tasks do


def next_reminder(session: Session, course_id: int) -> dict[str, Any]:
    """The course's next seat still to be reminded of, and when: JOIN_LEAD before the start."""
    upcoming = [v for v in seats(session, course_ids=[course_id], upcoming=True) if v.seat.reminded_at is None]
    if upcoming:
        first = upcoming[0]
        return {"has_next": True, "seat_id": first.seat.id, "class_id": first.item.id,
                "remind_at": (first.item.starts_at - JOIN_LEAD).isoformat()}
    past = seats(session, course_ids=[course_id], upcoming=False)
    return {"has_next": False, "seat_id": None, "class_id": None, "remind_at": None,
            "attended": sum(v.seat.attendance == "attended" for v in past),
            "missed": sum(v.seat.attendance == "missed" for v in past),
            "unmarked": sum(v.seat.attendance is None for v in past)}


def send_reminder(session: Session, seat_id: int, *, base_url: str) -> bool:
    """Email the patient a button to the class (R-REHAB-05), once per seat and start time."""
    seat = session.get(ClassSeat, seat_id)
    if seat is None or seat.reminded_at is not None:
        return False
    item = seat.rehab_class
    if item.status != PLANNED or now() > item.ends_at:
        return False  # cancelled meanwhile, or the tick came after the class
    seat.reminded_at = now()
    patient = session.get(User, seat.patient_id)
    instructor = session.get(User, item.instructor_id)
    if patient is None or patient.status != ACTIVE or not patient.notify_email or not patient.email:
        return False
    outbox.enqueue(
        session, kind=REMINDER_KIND, to=patient.email, user_id=patient.id,
        locale=patient.locale if patient.locale in ("ru", "en") else "ru",
        dedupe_key=f"rehab_reminder:{seat.id}:{item.starts_at.isoformat()}",
        context={"name": patient.first_name, "title": item.title,
                 "instructor": instructor.full_name if instructor else "",
                 "when": class_time(item.starts_at, instructor, patient), "minutes": item.duration_minutes,
                 "link": f"{base_url.rstrip('/')}/rehab/classes/{item.id}/join"},
    )
    return True


def class_time(moment: datetime, instructor: User | None, reader: User) -> str:
    """A class is an appointment on its instructor's clock (an online class has no institution): that
    zone, named when it differs from the reader's (engine.timezones)."""
    zone = instructor.timezone if instructor is not None else DEFAULT_ZONE
    return appointment_label(moment, zone, reader.timezone, reader.locale if reader.locale in ("ru", "en") else "ru")


def complete_course(session: Session, course_id: int, *, by: int | None = None) -> RehabCourse:
    course = session.get(RehabCourse, course_id)
    if course is None:
        raise NotFound(N_("There is no such course."))
    if course.status == OPEN:
        course.status, course.completed_at = "completed", now()
        audit.record(session, "rehab_course_completed", actor_id=by, subject_id=course.patient_id,
                     object_type="rehab_course", object_id=course.id)
    return course


__all__ = ["GROUP", "INDIVIDUAL", "ClassPlan", "SeatView"]
