"""Rehab fixtures: a doctor, an instructor and two patients, the deployed `rehab_course` pathway with
the rehab connectors, and a course opened by the doctor."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.accounts.models import ACTIVE, User, UserRole
from engine.config import load_settings
from engine.db import transaction
from engine.rehab import connectors as rehab_connectors
from engine.rehab.models import RehabCourse
from engine.workflow import Actor, ConnectorRegistry, deploy_model, start_instance

MODEL = Path(__file__).resolve().parents[2] / "workflows" / "bpmn" / "rehab_course"


@dataclass
class People:
    doctor: int
    instructor: int
    patient: int
    other_patient: int
    other_instructor: int


def add_user(session: Session, email: str, role: str, first: str = "Anna") -> int:
    user = User(email=email, last_name="Test", first_name=first, status=ACTIVE, locale="en")
    user.roles = [UserRole(role=role)]
    session.add(user)
    session.flush()
    return user.id


def model_files() -> dict[str, str]:
    return {str(p.relative_to(MODEL)): p.read_text(encoding="utf-8") for p in MODEL.rglob("*") if p.is_file()}


@pytest.fixture
def connectors(tmp_path) -> ConnectorRegistry:
    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path / "instance"),
                              "CAREPATH_BASE_URL": "https://care.example"})
    registry = ConnectorRegistry()
    rehab_connectors.register(registry, settings)
    return registry


@pytest.fixture
def people(sessions: sessionmaker[Session], clock, connectors) -> People:
    with transaction(sessions) as session:
        deploy_model(session, "rehab_course", model_files(), connectors=connectors)
        return People(
            doctor=add_user(session, "doctor@test.org", "doctor", "Denis"),
            instructor=add_user(session, "instructor@test.org", "instructor", "Irina"),
            patient=add_user(session, "patient@test.org", "patient", "Pavel"),
            other_patient=add_user(session, "other@test.org", "patient", "Olga"),
            other_instructor=add_user(session, "instructor2@test.org", "instructor", "Igor"),
        )


def open_course(sessions: sessionmaker[Session], connectors: ConnectorRegistry, people: People,
                patient: int | None = None) -> tuple[int, int]:
    """The doctor attaches the instructor; returns (instance id, course id)."""
    patient = patient or people.patient
    instance = start_instance(
        sessions, "rehab_course", Actor(people.doctor, frozenset({"doctor"})),
        data={"doctor_id": people.doctor, "instructor_id": people.instructor, "title": "Knee"},
        patient_id=patient, connectors=connectors,
    )
    with transaction(sessions) as session:
        course = session.scalars(select(RehabCourse).where(RehabCourse.instance_id == instance)).one()
        return instance, course.id


@pytest.fixture
def course(sessions, connectors, people) -> tuple[int, int]:
    return open_course(sessions, connectors, people)


def user(session: Session, user_id: int) -> User:
    found = session.get(User, user_id)
    assert found is not None
    return found
