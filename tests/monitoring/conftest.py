"""A deployed monitoring_cycle pathway, two doctors, two patients, and helpers to build plans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from engine.accounts.models import ACTIVE, User, UserRole
from engine.composition import build_connectors
from engine.db import transaction
from engine.monitoring import plans
from engine.workflow import deploy_model

MODEL_FOLDER = Path(__file__).resolve().parents[2] / "workflows" / "bpmn" / "monitoring_cycle"
BASE_URL = "https://carepath.test"
START = date(2026, 3, 2)  # a Monday


def model_files() -> dict[str, str]:
    return {str(p.relative_to(MODEL_FOLDER)): p.read_text(encoding="utf-8") for p in MODEL_FOLDER.rglob("*")
            if p.is_file()}


@pytest.fixture
def connectors():
    return build_connectors(None)


@dataclass
class World:
    doctor: User
    doctor2: User
    patient: User
    other_patient: User


def person(session, email: str, role: str, **fields) -> User:
    user = User(email=email, last_name=fields.pop("last_name", "Test"), first_name=fields.pop("first_name", email[:5]),
                status=ACTIVE, locale="en", timezone=fields.pop("timezone", "Europe/Moscow"), **fields)
    user.roles = [UserRole(role=role)]
    session.add(user)
    return user


@pytest.fixture
def world(sessions, connectors, clock) -> World:
    clock.current = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    with transaction(sessions) as session:
        deploy_model(session, "monitoring_cycle", model_files(), connectors=connectors)
        people = World(person(session, "doc@test.org", "doctor", last_name="House"),
                       person(session, "doc2@test.org", "doctor", last_name="Watson"),
                       person(session, "pat@test.org", "patient", last_name="Ivanova", first_name="Maria"),
                       person(session, "other@test.org", "patient", last_name="Petrov"))
        session.flush()
        for user in (people.doctor, people.doctor2, people.patient, people.other_patient):
            session.expunge(user)
    return people


BP_MORNING = {"kind": "measurement", "code": "bp", "time_of_day": "morning", "alert_high": 140, "alert_high2": 90}
WEIGHT_EVERY_2 = {"kind": "measurement", "code": "weight", "time_of_day": "day", "period": "every_n", "every_n": 2}
PILL_MIDDAY = {"kind": "medication", "title": "Bisoprolol", "dose": "5 mg", "time_of_day": "midday"}
PAIN = {"kind": "question", "title": "Pain", "answer_type": "slider", "alert_from": 7}
TEMP_EVERY_2 = {"kind": "measurement", "code": "temperature", "time_of_day": "evening", "period": "every_n",
                "every_n": 2, "alert_high": 37.5}
NAUSEA = {"kind": "question", "title": "Nausea", "answer_type": "options",
          "options": ["No nausea", "Mild nausea", "Vomiting"], "alert_from": 2}


def make_plan(sessions, doctor_id: int, patient_id: int, items, start: date = START, **kwargs) -> int:
    with transaction(sessions) as session:
        doctor, patient = session.get(User, doctor_id), session.get(User, patient_id)
        plan = plans.create_plan(session, doctor, patient, title=kwargs.pop("title", "Plan"), start_date=start,
                                 items=items, **kwargs)
        return plan.id
