"""A patient with something of every kind on their card, their care team (a doctor and an instructor),
a doctor of another patient, and a manager; built through the areas' own services where they are cheap,
as rows where a service would need a whole pathway running."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import pytest

from engine.conclusions import service as conclusions
from engine.consultations.models import HELD, Consultation
from engine.db import transaction
from engine.documents import service as documents
from engine.documents.storage import FileStore
from engine.monitoring.models import (
    ANSWERED,
    MEASUREMENT,
    MORNING,
    Alert,
    Answer,
    MonitoringPlan,
    PlanItem,
    Questionnaire,
)
from engine.registry.models import (
    Department,
    Doctor,
    DoctorPost,
    Institution,
    Locality,
    Slot,
    Specialty,
    Ticket,
)
from engine.rehab.models import RehabCourse
from tests.conclusions.test_web import produce
from tests.webui.conftest import Cast, app, cast, client, make_user, settings  # noqa: F401

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DAY = date(2026, 3, 2)


@dataclass
class Card:
    cast: Cast
    instructor: object
    foreign_doctor: object
    manager: object
    consultation_id: int
    conclusion_id: int
    conclusion_document_id: int
    document_id: int
    plan_id: int
    course_id: int
    ticket_id: int


def _ticket(session, patient_id: int, doctor_user_id: int) -> int:
    """A visit ticket with a registry doctor whose account is the cast's doctor."""
    locality = Locality(name="Khanty-Mansiysk")
    institution = Institution(locality=locality, name="City polyclinic")
    department = Department(institution=institution, name="Therapy")
    specialty = Specialty(name="Therapist")
    doctor = Doctor(institution=institution, last_name="House", first_name="Greg", user_id=doctor_user_id)
    session.add_all([locality, institution, department, specialty, doctor])
    session.flush()
    post = DoctorPost(doctor_id=doctor.id, department_id=department.id, specialty_id=specialty.id)
    session.add(post)
    session.flush()
    starts = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)
    slot = Slot(post_id=post.id, doctor_id=doctor.id, department_id=department.id, specialty_id=specialty.id,
                institution_id=institution.id, starts_at=starts, ends_at=starts.replace(minute=20), status="booked")
    session.add(slot)
    session.flush()
    ticket = Ticket(number="T-0001", slot_id=slot.id, user_id=patient_id, status="visited", doctor_id=doctor.id,
                    post_id=post.id, institution_id=institution.id, starts_at=starts, ends_at=slot.ends_at,
                    identity_key="k", last_name="Test")
    session.add(ticket)
    session.flush()
    return ticket.id


@pytest.fixture
def card(app, cast) -> Card:  # noqa: F811 - the fixtures imported above
    sessions = app.extensions["carepath"].sessions
    instructor = make_user(app, "instructor@test.org", "instructor", last_name="Coach")
    foreign_doctor = make_user(app, "foreign@test.org", "doctor", last_name="Stranger")
    manager = make_user(app, "manager@test.org", "manager")
    patient, doctor = cast.patient, cast.doctor
    with transaction(sessions) as session:
        consultation = Consultation(route="application", status=HELD, patient_id=patient.id, doctor_user_id=doctor.id,
                                    diagnosis_code="I10", diagnosis_text="Hypertension",
                                    starts_at=datetime(2026, 3, 5, 7, 0, tzinfo=UTC),
                                    created_at=datetime(2026, 3, 1, 7, 0, tzinfo=UTC))
        session.add(consultation)
        # The foreign doctor has a consultation too, with the other patient only.
        session.add(Consultation(route="duty", status=HELD, patient_id=cast.other_patient.id,
                                 doctor_user_id=foreign_doctor.id))
        store = FileStore(app.extensions["carepath"].settings.uploads_path)
        upload = documents.upload(session, store, patient_id=patient.id, uploader_id=patient.id,
                                  filename="ecg.pdf", data=PDF, purpose="medical")
        documents.grant(session, [upload.id], doctor.id, "consultation")
        plan = MonitoringPlan(doctor_id=doctor.id, patient_id=patient.id, title="Hypertension", start_date=DAY,
                              status="active", invite_time="19:00")
        plan.items = [PlanItem(kind=MEASUREMENT, code="bp", title="Blood pressure", unit="mm[Hg]",
                               time_of_day=MORNING, position=0)]
        session.add(plan)
        session.flush()
        for n, (high, low) in enumerate(((150, 95), (135, 85))):
            q = Questionnaire(patient_id=patient.id, day=date(2026, 3, 2 + n), status=ANSWERED,
                              deadline_at=datetime.combine(date(2026, 3, 3 + n), time(16), tzinfo=UTC),
                              answered_at=datetime.combine(date(2026, 3, 2 + n), time(17), tzinfo=UTC))
            q.answers = [Answer(item_id=plan.items[0].id, value=high, value2=low, beyond=high > 140)]
            session.add(q)
            session.flush()
            if n == 0:
                session.add(Alert(doctor_id=doctor.id, patient_id=patient.id, questionnaire_id=q.id, day=q.day,
                                  level="high", reason="Blood pressure above 140"))
        course = RehabCourse(patient_id=patient.id, instructor_id=instructor.id, doctor_id=doctor.id,
                             title="Cardio rehabilitation", created_at=datetime(2026, 3, 10, tzinfo=UTC))
        session.add(course)
        ticket_id = _ticket(session, patient.id, doctor.id)
        row = conclusions.request_conclusion(
            session, patient_id=patient.id, doctor_id=doctor.id, reference=f"consultation:{consultation.id}",
            diagnosis_code="I10", diagnosis_text="Essential hypertension", findings="BP 150/95.",
            recommendations="Check BP twice a day.", follow_up="In four weeks.")
        session.flush()
        ids = dict(consultation_id=consultation.id, conclusion_id=row.id, document_id=upload.id, plan_id=plan.id,
                   course_id=course.id, ticket_id=ticket_id)
    produce(app)
    with transaction(sessions) as session:
        from engine.conclusions.models import Conclusion

        document_id = session.get(Conclusion, ids["conclusion_id"]).document_id
    return Card(cast, instructor, foreign_doctor, manager, conclusion_document_id=document_id, **ids)
