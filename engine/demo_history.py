"""A few weeks of finished pathways for the demo, so that a new analyst's dashboard shows what it
measures. Consultations: routes 1, 2 and 3 started over the last four weeks by a handful of demo patients, walked through the real
pathways as the people would (the patient applies and consents, the demo doctor reviews, holds and
concludes, the manager handles an overdue review, the patient rates), most to their end and a few still
waiting. The platform clock is moved to each person's moment while they act, so every time the engine
records (instance start, task completion, timers, mails, the escalation after three days) is the time
it would have recorded; timers fire at their due time as the serve process's timer worker fires them.

The same patients also booked appointment tickets from their cabinets (`ticket_booking`), went through
two rehabilitation courses (`rehab_course`) and one of them sent two weeks of blood pressure under remote
monitoring (`monitoring_cycle`, two alerts reviewed by the doctor).

`load_demo_history(sessions, connectors, store)` is idempotent: nothing is done once the first
history patient has a consultation. It runs after the pathways are deployed (webui/cli.py)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import clock, roles
from engine.accounts import service as accounts
from engine.accounts.models import ACTIVE, User, UserRole
from engine.consultations import centers, service
from engine.consultations.models import Consultation, ConsultationCenter
from engine.db import transaction
from engine.documents import service as documents
from engine.documents.storage import BlobStore
from engine.registry.demo import DEMO_DOCTOR_NAME
from engine.registry.models import Doctor, DoctorPost, Institution, Slot
from engine.workflow import Actor, ConnectorRegistry, complete_task, fire_due_timers
from engine.workflow.models import DueTimer, PendingTask

DOCTOR_EMAIL, MANAGER_EMAIL, INSTRUCTOR_EMAIL = "doctor@example.org", "manager@example.org", "instructor@example.org"
REHAB_CENTER = 'БУ ХМАО-Югры "Окружной клинический лечебно-реабилитационный центр"'
NEUROLOGIST = "Врач-невролог"
# Patients of the history only (the demo patient's own cabinet stays as a new user finds it).
PATIENTS = (
    ("Васильева", "Анна", "Сергеевна", date(1961, 3, 14)),
    ("Новиков", "Игорь", "Павлович", date(1974, 8, 2)),
    ("Фёдорова", "Татьяна", "Олеговна", date(1958, 12, 20)),
    ("Морозова", "Светлана", "Ильинична", date(1982, 5, 9)),
    ("Волков", "Николай", "Андреевич", date(1969, 10, 30)),
    ("Лебедева", "Ирина", "Викторовна", date(1990, 1, 17)),
)
DIAGNOSES = (
    ("G43.0", "Мигрень без ауры", "Головные боли по утрам, тошнота"),
    ("G44.2", "Головная боль напряжённого типа", "Давящая головная боль к вечеру"),
    ("M54.2", "Цервикалгия", "Боль в шее, онемение пальцев правой руки"),
    ("G47.0", "Нарушения засыпания и поддержания сна", "Плохо засыпаю, просыпаюсь ночью"),
    ("I67.8", "Хроническая ишемия мозга", "Головокружение, шум в ушах"),
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DAY = timedelta(days=1)


def history_email(number: int) -> str:
    return f"patient.{number}@example.org"


@dataclass(frozen=True)
class Story:
    """One consultation: its route, when it began (days before today, at a local working hour), how
    long the review took (hours; None for route 2), and how it ends. `days_ago` counts from today."""

    route: str  # application | duty | referral
    days_ago: float
    review_hours: float | None
    ending: str  # held | declined | more_documents | cancelled | missed | waiting | scheduled | unrated


STORIES = (
    Story("application", 27, 20, "held"), Story("referral", 26, 30, "held"), Story("duty", 25, None, "held"),
    Story("application", 24, 46, "more_documents"), Story("application", 22, 80, "held"),  # 80 h: escalated
    Story("referral", 21, 70, "held"), Story("application", 20, 26, "unrated"),
    Story("duty", 18, None, "missed"), Story("application", 17, 30, "held"), Story("referral", 15, 100, "held"),
    Story("application", 14, 16, "cancelled"), Story("duty", 12, None, "held"), Story("application", 11, 52, "held"),
    Story("referral", 9, 40, "held"), Story("application", 7, 28, "declined"), Story("duty", 6, None, "held"),
    Story("application", 2.2, None, "waiting"), Story("referral", 1.5, None, "waiting"),
    Story("application", 3, 22, "scheduled"),
)  # fmt: skip


@dataclass
class Cast:
    doctor: Actor
    manager: Actor
    patients: list[int]
    center_id: int
    specialty_id: int
    post: DoctorPost
    institution_id: int


class Walk:
    """Acting for the people of one story at their moments; the clock stands where they act."""

    def __init__(self, sessions: sessionmaker[Session], connectors: ConnectorRegistry | None, store: BlobStore,
                 cast: Cast, moment: datetime) -> None:
        self.sessions, self.connectors, self.store, self.cast = sessions, connectors, store, cast
        self.clock = clock.TestClock(moment)
        self.instance_id = 0

    def at(self, moment: datetime) -> None:
        """Let time pass to `moment`: this instance's timers that fall due meanwhile fire at their time."""
        while True:
            with self.sessions() as session:
                due = session.scalar(select(DueTimer.due_at).where(
                    DueTimer.instance_id == self.instance_id, DueTimer.due_at <= moment).order_by(DueTimer.due_at))
            if due is None or not self.instance_id:
                break
            self.clock.current = max(self.clock.current, due)
            with clock.using(self.clock):
                fire_due_timers(self.sessions, now_=self.clock.current, connectors=self.connectors)
        self.clock.current = max(self.clock.current, moment)

    def do(self, actor: Actor, task: str, data: dict[str, Any]) -> None:
        with self.sessions() as session:
            guid = session.scalar(select(PendingTask.task_guid).where(
                PendingTask.instance_id == self.instance_id, PendingTask.task_name == task))
        if guid is None:
            raise RuntimeError(f"demo history: {task} is not pending in instance {self.instance_id}")
        with clock.using(self.clock):
            complete_task(self.sessions, actor, self.instance_id, guid, data, connectors=self.connectors)

    def upload(self, patient_id: int, name: str) -> int:
        with clock.using(self.clock), transaction(self.sessions, immediate=True) as session:
            return documents.upload(session, self.store, patient_id=patient_id, uploader_id=patient_id,
                                    filename=name, data=PDF + name.encode()).id

    def consultation(self) -> Consultation:
        with self.sessions() as session:
            found = session.scalars(select(Consultation).where(
                Consultation.process_instance_id == self.instance_id)).one()
            session.expunge(found)
            return found


def load_demo_history(sessions: sessionmaker[Session], connectors: ConnectorRegistry | None,
                              store: BlobStore, today: datetime | None = None) -> int:
    """How many consultations were walked (0 when already there or the demo accounts are missing)."""
    cast = _cast(sessions)
    if cast is None:
        return 0
    with sessions() as session:
        if session.scalar(select(Consultation.id).where(Consultation.patient_id == cast.patients[0]).limit(1)):
            return 0
    today = (today or clock.now()).astimezone(UTC)
    rng = random.Random(24)  # the same history on every fresh demo
    for number, story in enumerate(STORIES):
        start = _working_time(today - timedelta(days=story.days_ago), rng)
        walk = Walk(sessions, connectors, store, cast, start)
        patient = cast.patients[number % len(cast.patients)]
        diagnosis = DIAGNOSES[number % len(DIAGNOSES)]
        _tell(walk, story, patient, diagnosis, rng, today)
    _book_tickets(sessions, connectors, cast, today, rng)
    _monitoring(sessions, connectors, store, cast, cast.patients[2], today, rng)
    for number, days_ago in enumerate(COURSE_DAYS):
        _rehab_course(Walk(sessions, connectors, store, cast, _working_time(today - timedelta(days=days_ago), rng)),
                      cast.patients[number], rng)
    return len(STORIES)


MONITORED_DAYS = 14
HIGH_DAYS = (9, 4)  # days (before today) whose morning pressure is beyond the plan's 140/90


def _monitoring(sessions: sessionmaker[Session], connectors: ConnectorRegistry | None, store: BlobStore,
                cast: Cast, patient: int, today: datetime, rng: random.Random) -> None:
    """Two weeks of a remote monitoring plan the demo doctor set for a history patient: each evening the
    patient opens the day (its `monitoring_cycle` instance) and sends the pressure; two high days raise
    an alert that the doctor reviews the next morning."""
    from engine.monitoring import answering, plans, questionnaires, schedule
    from engine.monitoring.models import Questionnaire

    first_day = (today - timedelta(days=MONITORED_DAYS)).date()
    with clock.using(clock.TestClock(today - timedelta(days=MONITORED_DAYS + 1))):
        with transaction(sessions, immediate=True) as session:
            doctor, person = session.get(User, cast.doctor.user_id), session.get(User, patient)
            assert doctor is not None and person is not None
            plans.create_plan(session, doctor, person, title="Контроль давления", start_date=first_day, items=[
                {"kind": "measurement", "code": "bp", "time_of_day": "morning", "alert_high": 140, "alert_high2": 90}])
            zone = person.timezone
    patient_actor = Actor(patient, frozenset({roles.PATIENT}), frozenset({f"role:{roles.PATIENT}"}))
    for back in range(MONITORED_DAYS, 0, -1):
        evening = (today - timedelta(days=back)).replace(hour=16, minute=0, second=0, microsecond=0)  # 19:00 MSK
        walk = Walk(sessions, connectors, store, cast, evening + timedelta(minutes=10 + rng.randrange(120)))
        with clock.using(walk.clock):
            opened = answering.open_from_cabinet(sessions, patient, zone, schedule.local_day(walk.clock.current, zone),
                                                 base_url="", connectors=connectors)
        walk.instance_id = opened.instance_id or 0
        upper, lower = (150 + rng.randrange(15), 92 + rng.randrange(6)) if back in HIGH_DAYS else (
            118 + rng.randrange(16), 72 + rng.randrange(12))
        with sessions() as session:
            [item] = questionnaires.items_of(session, session.get(Questionnaire, opened.id))
            item_id = item.id
        walk.at(walk.clock.current + timedelta(minutes=3 + rng.randrange(10)))
        with clock.using(walk.clock):
            answering.send(sessions, patient_actor, opened.id, {
                "answers": {str(item_id): {"value": upper, "value2": lower}}, "comment": ""}, connectors=connectors)
        if back in HIGH_DAYS:  # the doctor's review the next morning
            walk.at(evening + timedelta(hours=15, minutes=rng.randrange(60)))
            walk.do(walk.cast.doctor, "review", {"action": "contacted", "note": "Позвонил, скорректирована доза."})


COURSE_DAYS = (28, 24)  # two courses of three weekly classes each, finished by the instructor


def _rehab_course(walk: Walk, patient: int, rng: random.Random) -> None:
    """The demo doctor attaches the demo instructor, who plans three weekly classes, is reminded of each
    (the pathway's timers), marks the attendance and finishes the course (`rehab_course`)."""
    from engine.rehab import courses
    from engine.rehab.models import ATTENDED, RehabCourse
    from engine.workflow import start_instance

    with walk.sessions() as session:
        instructor = accounts.find_by_email(session, INSTRUCTOR_EMAIL)
        if instructor is None:
            return
        instructor_id = instructor.id
    instructor_actor = Actor(instructor_id, frozenset({roles.INSTRUCTOR}), frozenset({f"role:{roles.INSTRUCTOR}"}))
    doctor_id = walk.cast.doctor.user_id
    with clock.using(walk.clock):
        walk.instance_id = start_instance(walk.sessions, courses.MODEL_ID, walk.cast.doctor, data={
            "doctor_id": doctor_id, "instructor_id": instructor_id, "title": "Восстановление после инсульта"},
            patient_id=patient, connectors=walk.connectors)  # fmt: skip
    walk.at(walk.clock.current + timedelta(hours=4 + rng.randrange(20)))
    first = _working_time(walk.clock.current + timedelta(days=2), rng)
    rooms = iter(range(100))
    with clock.using(walk.clock), transaction(walk.sessions, immediate=True) as session:
        course = session.scalars(select(RehabCourse).where(RehabCourse.instance_id == walk.instance_id)).one()
        course_id, teacher = course.id, session.get(User, instructor_id)
        assert teacher is not None
        courses.plan_classes(session, teacher, [course_id], courses.ClassPlan(
            kind="individual", title="Лечебная физкультура", first_start=first, duration_minutes=45,
            repeat="weekly", count=3), new_meeting_url=lambda: f"https://meet.jit.si/carepath-history-{course_id}-{next(rooms)}")
    walk.do(instructor_actor, "plan_course", {"planned": True})
    for week in range(3):  # each class: its reminder fires, the instructor marks who came after it
        walk.at(first + timedelta(weeks=week, hours=1))
        with clock.using(walk.clock), transaction(walk.sessions, immediate=True) as session:
            teacher = session.get(User, instructor_id)
            assert teacher is not None
            for seat in courses.seats(session, course_ids=[course_id], upcoming=False):
                if seat.seat.attendance is None:
                    courses.mark_attendance(session, teacher, seat.seat.id, ATTENDED)
    walk.at(walk.clock.current + timedelta(hours=2 + rng.randrange(30)))
    walk.do(instructor_actor, "finish_course", {"decision": "finish",
                                                "summary": "Курс пройден полностью, рекомендованы ежедневные упражнения."})


def _book_tickets(sessions: sessionmaker[Session], connectors: ConnectorRegistry | None, cast: Cast,
                  today: datetime, rng: random.Random) -> None:
    """Appointment tickets the history patients booked from their cabinets over the same weeks
    (`ticket_booking`: held, confirmed and sent at the moment of booking)."""
    from engine.registry import booking
    from engine.registry.identity import identity_of_user

    with sessions() as session:
        posts = list(session.scalars(select(DoctorPost).order_by(DoctorPost.id).limit(len(BOOKED_DAYS))))
        for post in posts:
            session.expunge(post)
    for number, (days_ago, post) in enumerate(zip(BOOKED_DAYS, posts, strict=False)):
        moment = clock.TestClock(_working_time(today - timedelta(days=days_ago), rng))
        patient = cast.patients[number % len(cast.patients)]
        visit = _working_time(moment.current + timedelta(days=1 + rng.randrange(5)), rng)
        with transaction(sessions, immediate=True) as session:
            institution = session.get(Doctor, post.doctor_id)
            assert institution is not None
            while session.scalar(select(Slot.id).where(Slot.doctor_id == post.doctor_id, Slot.starts_at == visit)):
                visit += timedelta(minutes=20)  # that time of the doctor's is someone else's
            slot = Slot(post_id=post.id, doctor_id=post.doctor_id, department_id=post.department_id,
                        specialty_id=post.specialty_id, institution_id=institution.institution_id,
                        starts_at=visit, ends_at=visit + timedelta(minutes=20), status="free")
            session.add(slot)
            session.flush()
            user = session.get(User, patient)
            assert user is not None
            request = booking.BookingRequest(slot_id=slot.id, user_id=patient, identity=identity_of_user(user),
                                             from_cabinet=True)
        with clock.using(moment):
            booking.book(sessions, request, connectors)


BOOKED_DAYS = (26, 23, 19, 16, 12, 9, 5, 2)


def _working_time(day: datetime, rng: random.Random) -> datetime:
    """A moment of the working day in Khanty-Mansiysk (UTC+5): 09:00-17:00 local."""
    return day.replace(hour=4 + rng.randrange(8), minute=rng.randrange(0, 60, 5), second=0, microsecond=0)


def _cast(sessions: sessionmaker[Session]) -> Cast | None:
    with transaction(sessions, immediate=True) as session:
        doctor_user = accounts.find_by_email(session, DOCTOR_EMAIL)
        manager_user = accounts.find_by_email(session, MANAGER_EMAIL)
        last, first, _ = DEMO_DOCTOR_NAME.split(" ")
        row = session.execute(
            select(DoctorPost, ConsultationCenter.id, Institution.id)
            .join(Doctor, Doctor.id == DoctorPost.doctor_id)
            .join(Institution, Institution.id == Doctor.institution_id)
            .join(ConsultationCenter, ConsultationCenter.institution_id == Institution.id)
            .where(Doctor.last_name == last, Doctor.first_name == first, Institution.name == REHAB_CENTER)
        ).first()  # fmt: skip
        if doctor_user is None or manager_user is None or row is None:
            return None
        post, center_id, institution_id = row
        session.expunge(post)
        groups = {f"role:{roles.DOCTOR}"} | centers.doctor_groups(session, doctor_user.id)
        return Cast(
            doctor=Actor(doctor_user.id, frozenset({roles.DOCTOR}), frozenset(groups)),
            manager=Actor(manager_user.id, frozenset({roles.MANAGER}), frozenset({f"role:{roles.MANAGER}"})),
            patients=[_patient(session, n, *person).id for n, person in enumerate(PATIENTS, start=1)],
            center_id=center_id, specialty_id=post.specialty_id, post=post, institution_id=institution_id,
        )  # fmt: skip


def _patient(session: Session, number: int, last: str, first: str, middle: str, born: date) -> User:
    user = accounts.find_by_email(session, history_email(number))
    if user is None:  # no password: these patients are there to be seen, not to log in
        user = User(email=history_email(number), last_name=last, first_name=first, patronymic=middle,
                    birth_date=born, status=ACTIVE, email_confirmed_at=clock.now(), created_at=clock.now(),
                    locale="ru")
        user.roles = [UserRole(role=roles.PATIENT)]
        session.add(user)
        session.flush()
    return user


def _slot(walk: Walk, starts_at: datetime) -> int:
    """A time of the demo doctor's schedule (the registry's schedule of those weeks)."""
    post = walk.cast.post
    with transaction(walk.sessions, immediate=True) as session:
        starts_at = starts_at.replace(minute=0 if starts_at.minute < 30 else 30, second=0, microsecond=0)
        found = session.scalar(select(Slot).where(Slot.doctor_id == post.doctor_id, Slot.starts_at == starts_at))
        if found is None:
            found = Slot(post_id=post.id, doctor_id=post.doctor_id, department_id=post.department_id,
                         specialty_id=post.specialty_id, institution_id=walk.cast.institution_id,
                         starts_at=starts_at, ends_at=starts_at + timedelta(minutes=30), status="free")
            session.add(found)
            session.flush()
        return found.id


def _future_slot(walk: Walk, after: datetime) -> int | None:
    with walk.sessions() as session:
        return session.scalar(select(Slot.id).where(
            Slot.doctor_id == walk.cast.post.doctor_id, Slot.status == "free",
            Slot.starts_at > after + timedelta(days=2)).order_by(Slot.starts_at).limit(1))


def _tell(walk: Walk, story: Story, patient: int, diagnosis: tuple[str, str, str], rng: random.Random,
          today: datetime) -> None:
    code, text, complaints = diagnosis
    start = walk.clock.current
    patient_actor = Actor(patient, frozenset({roles.PATIENT}), frozenset({f"role:{roles.PATIENT}"}))
    if story.route == "duty":
        slot = _slot(walk, _working_time(start + timedelta(days=1 + rng.randrange(3)), rng))
        with clock.using(walk.clock):
            walk.instance_id = service.book_duty(walk.sessions, patient, slot, connectors=walk.connectors
                                                 ).process_instance_id or 0
    elif story.route == "application":
        document = walk.upload(patient, "выписка.pdf")
        with walk.sessions() as session:
            person = session.get(User, patient)
            assert person is not None
            name, age = f"{person.last_name} {person.first_name} {person.patronymic}", _age(person.birth_date, start)
        application = service.Application(center_id=walk.cast.center_id, specialty_id=walk.cast.specialty_id,
                                          full_name=name, age=age, diagnosis_code=code, diagnosis_text=text,
                                          complaints=complaints, document_ids=[document])
        with clock.using(walk.clock):
            walk.instance_id = service.apply(walk.sessions, patient, application,
                                             connectors=walk.connectors).process_instance_id or 0
    else:
        with clock.using(walk.clock):
            walk.instance_id = service.start_referral(walk.sessions, walk.cast.manager, {
                "patient_id": patient, "referral_id": f"Н-{4100 + int(story.days_ago * 7)}", "diagnosis_code": code,
                "diagnosis_text": text, "target": "неврология", "manager_id": walk.cast.manager.user_id,
            }, connectors=walk.connectors)  # fmt: skip
        walk.at(start + timedelta(hours=3 + rng.randrange(20)))
        walk.upload(patient, "направление.pdf")
        walk.do(patient_actor, "upload", {"uploaded": True})
    if story.route != "duty":
        if story.ending == "waiting":
            return
        _review(walk, story, patient, patient_actor, rng, today)
        if story.ending in ("declined", "cancelled"):
            return
    booked = walk.consultation()
    assert booked.starts_at is not None
    walk.at(min(walk.clock.current + timedelta(hours=2 + rng.randrange(20)), booked.starts_at - timedelta(hours=1)))
    walk.do(patient_actor, "consent", {"consent_accepted": True})
    if story.ending == "scheduled":
        return
    walk.at(booked.starts_at + timedelta(minutes=rng.randrange(1, 6)))
    if story.ending == "missed":
        walk.do(walk.cast.doctor, "hold", {"outcome": "missed"})
        return
    walk.do(walk.cast.doctor, "hold", {"outcome": "held"})
    walk.at(booked.starts_at + timedelta(minutes=40 + rng.randrange(90)))
    walk.do(walk.cast.doctor, "conclude", {
        "diagnosis_code": code, "diagnosis_text": text, "findings": "Неврологический статус без очаговой симптоматики",
        "recommendations": "Дневник головной боли, режим сна, лечебная физкультура", "follow_up": "Через 3 месяца"})
    if story.ending == "unrated":  # the week for the rating runs out (its timer ends the pathway)
        walk.at(min(booked.starts_at + timedelta(days=8), today))
        return
    walk.at(booked.starts_at + timedelta(hours=3 + rng.randrange(40)))
    walk.do(patient_actor, "rate", {"rating": rng.choice((4, 5, 5)), "comment": "Спасибо, всё понятно."})


def _review(walk: Walk, story: Story, patient: int, patient_actor: Actor, rng: random.Random,
            today: datetime) -> None:
    start = walk.clock.current
    hours = story.review_hours or 24
    if story.ending == "cancelled":
        walk.at(start + timedelta(hours=hours))
        booked = walk.consultation()
        with clock.using(walk.clock):
            service.cancel(walk.sessions, patient, booked.id, "Записалась на приём в поликлинике по месту жительства",
                           connectors=walk.connectors)
        return
    if story.ending == "more_documents":
        walk.at(start + timedelta(hours=hours / 2))
        walk.do(walk.cast.doctor, "review", {"decision": "more_documents",
                                             "message": "Приложите, пожалуйста, заключение МРТ головного мозга."})
        walk.at(walk.clock.current + timedelta(hours=18))
        walk.upload(patient, "мрт.pdf")
        walk.do(patient_actor, "more_documents", {"uploaded": True})
    walk.at(start + timedelta(hours=hours))  # past the deadline the review has gone to the manager (timer)
    with walk.sessions() as session:
        overdue = session.scalar(select(PendingTask.id).where(
            PendingTask.instance_id == walk.instance_id, PendingTask.task_name == "handle_overdue"))
    if overdue is not None:
        walk.do(walk.cast.manager, "handle_overdue",
                {"doctor_email": DOCTOR_EMAIL} if story.route == "application" else {})
        walk.at(walk.clock.current + timedelta(hours=3))
    if story.ending == "declined":
        walk.do(walk.cast.doctor, "review", {"decision": "decline",
                                             "message": "Показана очная консультация в поликлинике по месту жительства."})
        return
    if story.ending == "scheduled":
        slot = _future_slot(walk, today)
    else:
        slot = _slot(walk, _working_time(walk.clock.current + timedelta(days=2 + rng.randrange(4)), rng))
    walk.do(walk.cast.doctor, "review", {"decision": "schedule", "slot_id": str(slot)})


def _age(born: date | None, on: datetime) -> int:
    if born is None:
        return 50
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
