"""Registry fixtures: a small clinic with two doctors and generated slots, the deployed `ticket_booking`
pathway with the registry's connectors, and helpers to book as a person without an account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.accounts.models import ACTIVE, User, UserRole
from engine.db import transaction
from engine.outbox import OutboxMessage
from engine.registry import schedules
from engine.registry.booking import BookingRequest, book
from engine.registry.connectors import register
from engine.registry.identity import Identity, clean_identity, ensure_light_account
from engine.registry.models import (
    Department,
    Doctor,
    DoctorPost,
    Institution,
    Locality,
    ScheduleTemplate,
    Slot,
    Specialty,
)
from engine.workflow import ConnectorRegistry, sync_folder
from tests.mail.conftest import smtp_server  # noqa: F401  (a real SMTP server for mails with attachments)

BPMN = Path(__file__).resolve().parents[2] / "workflows" / "bpmn"


@dataclass
class Clinic:
    institution_id: int
    therapist_post: int
    surgeon_post: int
    therapist_id: int
    surgeon_id: int


@pytest.fixture
def connectors() -> ConnectorRegistry:
    return register(ConnectorRegistry())


@pytest.fixture
def clinic(sessions: sessionmaker[Session], clock, connectors) -> Clinic:
    result = sync_folder(sessions, BPMN, connectors=connectors)
    assert "ticket_booking" not in result.failed, result.failed
    with transaction(sessions) as session:
        town = Locality(name="Ханты-Мансийск")
        session.add(town)
        session.flush()
        inst = Institution(locality_id=town.id, name="Тестовая поликлиника", kind="polyclinic",
                           address="ул. Ленина, 1", timezone="Asia/Yekaterinburg", latitude=61.0, longitude=69.0)
        session.add(inst)
        session.flush()
        dept = Department(institution_id=inst.id, name="Поликлиническое отделение")
        therapy, surgery = Specialty(name="Врач-терапевт участковый"), Specialty(name="Врач-хирург")
        session.add_all([dept, therapy, surgery])
        session.flush()
        therapist = Doctor(institution_id=inst.id, last_name="Григорьева", first_name="Татьяна", patronymic="Дмитриевна")
        surgeon = Doctor(institution_id=inst.id, last_name="Мусеев", first_name="Фархат", patronymic="Фаритович")
        session.add_all([therapist, surgeon])
        session.flush()
        posts = []
        for doctor, specialty in ((therapist, therapy), (surgeon, surgery)):
            post = DoctorPost(doctor_id=doctor.id, department_id=dept.id, specialty_id=specialty.id)
            session.add(post)
            session.flush()
            posts.append(post)
            for weekday in range(5):
                session.add(ScheduleTemplate(post_id=post.id, weekday=weekday, start=time(9), end=time(12),
                                             slot_minutes=20, valid_from=date(2026, 1, 1)))
        session.flush()
        schedules.generate_slots(session, inst, weeks=2)
        return Clinic(inst.id, posts[0].id, posts[1].id, therapist.id, surgeon.id)


def slots_of(sessions, post_id: int, status: str | None = None) -> list[Slot]:
    with sessions() as session:
        query = select(Slot).where(Slot.post_id == post_id).order_by(Slot.starts_at)
        if status:
            query = query.where(Slot.status == status)
        return list(session.scalars(query))


def person(**changes) -> Identity:
    data = dict(doc_type="oms", doc_number="1234 5678 9012 3456", birth_date=date(1970, 5, 17),
                phone="+7 912 345-67-89", email="anna@example.net", consent=True, locale="en")
    data.update(changes)
    return Identity(**data)


def book_anonymously(sessions, connectors, slot_id: int, identity: Identity | None = None, channel: str = "email"):
    identity = clean_identity(identity or person(), email_required=True)
    user_id = ensure_light_account(sessions, identity)
    request = BookingRequest(slot_id=slot_id, user_id=user_id, identity=identity, from_cabinet=False,
                             channel=channel, base_url="http://portal.test", ip="10.0.0.1")
    return book(sessions, request, connectors)


def make_patient(sessions, email: str = "maria@example.org", **fields) -> User:
    with transaction(sessions) as session:
        user = User(email=email, last_name="Иванова", first_name="Мария", patronymic="Петровна",
                    status=ACTIVE, locale="en", phone="+79120000000", **fields)
        user.roles = [UserRole(role="patient")]
        session.add(user)
    return user


def make_staff(sessions, email: str, role: str, *, doctor_id: int | None = None) -> User:
    """A staff account; with `doctor_id`, linked to that registry doctor (the doctor's own account)."""
    with transaction(sessions) as session:
        user = User(email=email, last_name="Сотрудник", first_name="Тест", status=ACTIVE, locale="en")
        user.roles = [UserRole(role=role)]
        session.add(user)
        session.flush()
        if doctor_id is not None:
            session.get(Doctor, doctor_id).user_id = user.id
        session.refresh(user, ["roles"])
    return user


def sent(sessions, kind: str) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def code_of(message: OutboxMessage) -> str:
    return str(message.context["code"])


def later(clock, **delta) -> None:
    clock.advance(timedelta(**delta))
