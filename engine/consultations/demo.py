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
from engine.registry.models import Doctor, DoctorPost, Institution, Specialty

CENTERS = {
    'БУ ХМАО-Югры "Окружной клинический лечебно-реабилитационный центр"':
        "Консультации невролога, офтальмолога, врача общей практики и педиатра по заявке с документами.",
    'БУ ХМАО-Югры "Окружная клиническая больница"':
        "Консультации хирурга, оториноларинголога и врача функциональной диагностики.",
    'БУ ХМАО-Югры "Ханты-Мансийская районная больница"':
        "Консультации акушера-гинеколога, хирурга, терапевта и педиатра.",
}
# What a duty doctor answers, by their specialty: the demo doctor is a neurologist, so their topics are the
# neurologist's part of route 2 (vascular diseases of the brain, their prevention and rehabilitation).
DUTY_TOPICS = {
    "Врач-невролог": "Профилактика инсульта и реабилитация после него, головная боль, головокружение, "
                     "нарушения сна, вопросы ЗОЖ",
}
GENERAL_TOPICS = "Профилактика заболеваний и вопросы ЗОЖ"
# What an earlier demo wrote for the neurologist (a cardiologist's and gynecologist's topics); replaced on load.
OLD_DUTY_TOPICS = "Профилактика, лечение и реабилитация сердечно-сосудистых и гинекологических заболеваний, вопросы ЗОЖ"


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
    if doctor is not None:
        topics = duty_topics(session, doctor)
        existing = session.scalars(select(DutyDoctor).where(DutyDoctor.doctor_id == doctor.id)).first()
        if existing is None:
            session.add(DutyDoctor(doctor_id=doctor.id, topics=topics))
            duty += 1
        elif existing.topics == OLD_DUTY_TOPICS:
            existing.topics = topics
    session.flush()
    return {"centers": centers, "duty_doctors": duty}


def duty_topics(session: Session, doctor: Doctor) -> str:
    """The topics of the doctor's (first) specialty that has some; the general wording otherwise."""
    names = session.scalars(select(Specialty.name).join(DoctorPost, DoctorPost.specialty_id == Specialty.id)
                            .where(DoctorPost.doctor_id == doctor.id).order_by(DoctorPost.id))
    return next((DUTY_TOPICS[name] for name in names if name in DUTY_TOPICS), GENERAL_TOPICS)
