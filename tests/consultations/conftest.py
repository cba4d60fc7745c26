"""Consultation fixtures: a small world (a center with two doctors, a duty doctor, slots, people), the
connector registry the app composes, and the pathways of workflows/bpmn deployed as `make run` does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import roles
from engine.accounts.models import ACTIVE, User, UserRole
from engine.composition import build_connectors
from engine.config import load_settings
from engine.consultations.models import ConsultationCenter, DutyDoctor
from engine.db import transaction
from engine.registry.models import Department, Doctor, DoctorPost, Institution, Locality, Slot, Specialty
from engine.workflow import ConnectorRegistry, sync_folder
from engine.workflow.models import PendingTask
from tests.mail.conftest import smtp_server  # noqa: F401  (a real SMTP server for mails with attachments)

BPMN = Path(__file__).resolve().parents[2] / "workflows" / "bpmn"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the TestClock's default start
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    patient: int
    other_patient: int
    doctor: int          # reviewer and consulting doctor (account)
    second_doctor: int   # another doctor of the same center
    outsider_doctor: int  # a doctor of no center
    manager: int
    duty_doctor: int
    center_id: int
    neuro_id: int        # a specialty of the center
    eye_id: int          # a specialty the center does not have
    slots: dict[str, list[int]] = field(default_factory=dict)  # doctor key -> slot ids


def _user(session: Session, email: str, role: str, last: str) -> int:
    user = User(email=email, last_name=last, first_name="Тест", patronymic="", birth_date=date(1970, 1, 1),
                status=ACTIVE, email_confirmed_at=START, created_at=START, locale="en", oms_policy="")
    user.roles = [UserRole(role=role)]
    session.add(user)
    session.flush()
    return user.id


def _slots(session: Session, post: DoctorPost, institution: Institution, starts: list[datetime]) -> list[int]:
    ids = []
    for at in starts:
        slot = Slot(post_id=post.id, doctor_id=post.doctor_id, department_id=post.department_id,
                    specialty_id=post.specialty_id, institution_id=institution.id, starts_at=at,
                    ends_at=at + timedelta(minutes=30), status="free")
        session.add(slot)
        session.flush()
        ids.append(slot.id)
    return ids


@pytest.fixture
def world(sessions: sessionmaker[Session], clock: Any) -> World:
    with transaction(sessions) as session:
        people = {key: _user(session, f"{key}@example.test", role, key.title()) for key, role in (
            ("patient", roles.PATIENT), ("other_patient", roles.PATIENT), ("doctor", roles.DOCTOR),
            ("second_doctor", roles.DOCTOR), ("outsider_doctor", roles.DOCTOR), ("manager", roles.MANAGER),
            ("duty_doctor", roles.DOCTOR))}
        town = Locality(name="Town")
        session.add(town)
        session.flush()
        center_inst = Institution(locality_id=town.id, name="Rehabilitation Center", timezone="Europe/Moscow")
        other_inst = Institution(locality_id=town.id, name="Polyclinic No. 1", timezone="Europe/Moscow")
        session.add_all([center_inst, other_inst])
        session.flush()
        neuro, eye, therapy = Specialty(name="Врач-невролог"), Specialty(name="Врач-офтальмолог"), Specialty(name="Врач-терапевт")
        session.add_all([neuro, eye, therapy])
        session.flush()
        slots: dict[str, list[int]] = {}
        day = START + timedelta(days=6)  # after the escalation timers (3 and 4 days)
        for key, inst, specialty in (("doctor", center_inst, neuro), ("second_doctor", center_inst, neuro),
                                     ("duty_doctor", other_inst, therapy)):
            dept = Department(institution_id=inst.id, name="Consultations")
            session.add(dept)
            session.flush()
            doctor = Doctor(institution_id=inst.id, last_name=key.title(), first_name="Doc", user_id=people[key])
            session.add(doctor)
            session.flush()
            post = DoctorPost(doctor_id=doctor.id, department_id=dept.id, specialty_id=specialty.id)
            session.add(post)
            session.flush()
            slots[key] = _slots(session, post, inst, [day + timedelta(hours=h) for h in range(3)])
            if key == "duty_doctor":
                session.add(DutyDoctor(doctor_id=doctor.id, topics="General questions"))
        center = ConsultationCenter(institution_id=center_inst.id, description="Neurology")
        session.add(center)
        session.flush()
        return World(center_id=center.id, neuro_id=neuro.id, eye_id=eye.id, slots=slots, **people)


@pytest.fixture
def connectors(world: World, tmp_path: Path) -> ConnectorRegistry:
    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path / "instance"),
                              "CAREPATH_BASE_URL": "https://carepath.example",
                              "CAREPATH_VIDEO_BASE_URL": "https://meet.clinic.example"})
    return build_connectors(settings)


@pytest.fixture
def deployed(sessions: sessionmaker[Session], connectors: ConnectorRegistry) -> ConnectorRegistry:
    result = sync_folder(sessions, BPMN, connectors=connectors)
    mine = {k: v for k, v in result.failed.items() if k.startswith("consultation_")}
    assert not mine, {k: [str(p) for p in v.problems] for k, v in mine.items()}
    return connectors


def pending(sessions: sessionmaker[Session], instance_id: int | None = None, name: str | None = None) -> list[PendingTask]:
    with sessions() as session:
        query = select(PendingTask)
        if instance_id is not None:
            query = query.where(PendingTask.instance_id == instance_id)
        if name is not None:
            query = query.where(PendingTask.task_name == name)
        return list(session.scalars(query.order_by(PendingTask.id)))
