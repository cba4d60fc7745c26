"""Demo consultations: medical centers with their doctors' specialties and the duty doctors, on top of the
registry demo (engine.registry.demo), which it loads first if needed. Idempotent; the caller commits.

The demo doctor account (doctor@example.org, «Смирнов Алексей Викторович», a neurologist of the
rehabilitation center) reviews applications to that center and is on duty for route 2, so a fresh demo
walks every route with the demo accounts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.consultations.models import ConsultationCenter, DutyDoctor
from engine.registry.demo import DEMO_DOCTOR_NAME, load_registry_demo
from engine.registry.models import Doctor, Institution

CENTERS = {
    'БУ ХМАО-Югры "Окружной клинический лечебно-реабилитационный центр"':
        "Консультации невролога, офтальмолога, врача общей практики и педиатра по заявке с документами.",
    'БУ ХМАО-Югры "Окружная клиническая больница"':
        "Консультации хирурга, оториноларинголога и врача функциональной диагностики.",
    'БУ ХМАО-Югры "Ханты-Мансийская районная больница"':
        "Консультации акушера-гинеколога, хирурга, терапевта и педиатра.",
}
DUTY_TOPICS = "Профилактика, лечение и реабилитация сердечно-сосудистых и гинекологических заболеваний, вопросы ЗОЖ"


def load_consultations_demo(session: Session) -> dict[str, int]:
    if session.scalars(select(Institution).limit(1)).first() is None:
        load_registry_demo(session)
    centers = duty = 0
    for name, description in CENTERS.items():
        institution = session.scalars(select(Institution).where(Institution.name == name)).first()
        if institution is None:
            continue
        exists = session.scalar(select(ConsultationCenter.id).where(ConsultationCenter.institution_id == institution.id))
        if exists is None:
            session.add(ConsultationCenter(institution_id=institution.id, description=description))
            centers += 1
    last, first, patronymic = DEMO_DOCTOR_NAME.split(" ")
    doctor = session.scalars(select(Doctor).where(Doctor.last_name == last, Doctor.first_name == first,
                                                  Doctor.user_id.is_not(None))).first()
    if doctor is not None and session.scalar(select(DutyDoctor.id).where(DutyDoctor.doctor_id == doctor.id)) is None:
        session.add(DutyDoctor(doctor_id=doctor.id, topics=DUTY_TOPICS))
        duty += 1
    session.flush()
    return {"centers": centers, "duty_doctors": duty}
