"""Who consults: the medical centers with their specialty profiles (route 1), the duty doctors (route 2),
the reviewing doctor of an application, and a doctor's free slots (read from the registry's slots)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.clock import now
from engine.consultations.models import OPEN, Consultation, ConsultationCenter, DutyDoctor
from engine.registry import search
from engine.registry.models import FREE, Doctor, DoctorPost, Institution, Slot, Specialty
from engine.timezones import DEFAULT_ZONE, appointment_label
from engine.workflow.access import INSTITUTION_PREFIX

# How far ahead a reviewing doctor or a patient is offered times; a slot closer than LEAD to its start
# is not offered, so that the patient has time to read the invitation and accept the consent.
SLOT_DAYS = 21
SLOT_LEAD = timedelta(minutes=30)
SLOT_LIMIT = 80
# The reviewing doctor's picker is a list of radio buttons on the task page: the earliest times are the
# ones a review needs (the patient hears within days); a longer list only hides them.
PICKER_LIMIT = 40


@dataclass
class Center:
    center: ConsultationCenter
    institution: Institution
    specialties: list[Specialty]
    # Specialties of the profile in which a doctor with an account reviews applications now.
    accepting: frozenset[int] = frozenset()

    @property
    def profile(self) -> str:
        return ", ".join(s.name for s in self.specialties)


def centers(session: Session) -> list[Center]:
    rows = session.execute(
        select(ConsultationCenter, Institution)
        .join(Institution, Institution.id == ConsultationCenter.institution_id)
        .where(ConsultationCenter.active.is_(True), Institution.active.is_(True))
        .order_by(Institution.name)
    ).all()
    return [Center(c, i, search.specialties(session, institution_id=i.id), _accepting(session, i.id)) for c, i in rows]


def _accepting(session: Session, institution_id: int) -> frozenset[int]:
    return frozenset(session.scalars(
        select(DoctorPost.specialty_id).join(Doctor, Doctor.id == DoctorPost.doctor_id)
        .where(Doctor.institution_id == institution_id, Doctor.active.is_(True), Doctor.user_id.is_not(None))
    ))


def center(session: Session, center_id: int) -> Center | None:
    found = session.get(ConsultationCenter, center_id)
    if found is None or not found.active:
        return None
    institution = session.get(Institution, found.institution_id)
    if institution is None or not institution.active:
        return None
    return Center(found, institution, search.specialties(session, institution_id=institution.id))


def reviewer(session: Session, institution_id: int, specialty_id: int | None) -> Doctor | None:
    """The doctor of the center (with an account) who gets the application: of that specialty, the one
    with the fewest open consultations, so that applications spread over the center's doctors."""
    query = (
        select(Doctor).where(Doctor.institution_id == institution_id, Doctor.active.is_(True),
                             Doctor.user_id.is_not(None))
    )
    if specialty_id is not None:
        query = query.where(Doctor.id.in_(select(DoctorPost.doctor_id).where(DoctorPost.specialty_id == specialty_id)))
    doctors = list(session.scalars(query.order_by(Doctor.id)))
    if not doctors:
        return None
    load = dict(session.execute(
        select(Consultation.doctor_user_id, func.count()).where(
            Consultation.status.in_(OPEN), Consultation.doctor_user_id.in_([d.user_id for d in doctors])
        ).group_by(Consultation.doctor_user_id)
    ).all())
    return min(doctors, key=lambda d: (load.get(d.user_id, 0), d.id))


def review_group(institution_id: int, specialty_id: int | None) -> str:
    """The queue of a referral's review (engine.workflow.access `doctor_group`): the receiving
    institution's doctors of the specialty, or all its doctors when the referral named the center only."""
    if specialty_id is None:
        return f"{INSTITUTION_PREFIX}{institution_id}:doctor"
    return f"{INSTITUTION_PREFIX}{institution_id}:specialty:{specialty_id}"


def doctor_groups(session: Session, user_id: int) -> set[str]:
    """The review queues a doctor's account belongs to, from their registry posts (webui actor_for)."""
    rows = session.execute(
        select(Doctor.institution_id, DoctorPost.specialty_id)
        .outerjoin(DoctorPost, DoctorPost.doctor_id == Doctor.id)
        .where(Doctor.user_id == user_id, Doctor.active.is_(True))
    ).all()
    return {review_group(institution, None) for institution, _ in rows} | {
        review_group(institution, specialty) for institution, specialty in rows if specialty is not None}


def doctor_of_user(session: Session, user_id: int, institution_id: int | None = None) -> Doctor | None:
    query = select(Doctor).where(Doctor.user_id == user_id, Doctor.active.is_(True))
    if institution_id is not None:
        query = query.where(Doctor.institution_id == institution_id)
    return session.scalars(query.order_by(Doctor.id).limit(1)).first()


def free_slots(session: Session, doctor_ids: list[int], *, days: int = SLOT_DAYS,
               limit: int = SLOT_LIMIT) -> list[Slot]:
    """Free registry slots of these registry doctors, earliest first (the partial free-slot index)."""
    if not doctor_ids:
        return []
    low = now() + SLOT_LEAD
    return list(session.scalars(
        select(Slot).where(Slot.doctor_id.in_(doctor_ids), Slot.status == FREE, Slot.starts_at > low,
                           Slot.starts_at < low + timedelta(days=days))
        .order_by(Slot.starts_at).limit(limit)
    ))


def doctor_slot_choices(session: Session, user_id: int, reader_zone: str | None = None,
                        locale: str = "ru") -> list[tuple[int, str]]:
    """(slot id, "12.05.2025 09:00") of the free slots of the doctor who has this account."""
    ids = list(session.scalars(select(Doctor.id).where(Doctor.user_id == user_id, Doctor.active.is_(True))))
    return [(slot.id, slot_label(session, slot, reader_zone, locale))
            for slot in free_slots(session, ids, limit=PICKER_LIMIT)]


def slot_label(session: Session, slot: Slot, reader_zone: str | None = None, locale: str = "ru") -> str:
    """The slot's time in its institution's zone, that zone named when it differs from the reader's."""
    return appointment_label(slot.starts_at, institution_zone(session, slot.institution_id), reader_zone, locale)


def institution_zone(session: Session, institution_id: int | None) -> str:
    institution = session.get(Institution, institution_id) if institution_id else None
    return institution.timezone if institution else DEFAULT_ZONE




@dataclass
class Duty:
    duty: DutyDoctor
    doctor: Doctor
    specialties: list[str]
    slots: list[Slot]


def duty_doctors(session: Session, with_slots: int = 12) -> list[Duty]:
    rows = session.execute(
        select(DutyDoctor, Doctor).join(Doctor, Doctor.id == DutyDoctor.doctor_id)
        .where(DutyDoctor.active.is_(True), Doctor.active.is_(True), Doctor.user_id.is_not(None))
        .order_by(Doctor.last_name, Doctor.first_name)
    ).all()
    result = []
    for duty, doctor in rows:
        names = sorted({p.specialty.name for p in doctor.posts})
        result.append(Duty(duty, doctor, names, free_slots(session, [doctor.id], limit=with_slots)))
    return result


def duty_doctor_of_slot(session: Session, slot: Slot) -> Doctor | None:
    doctor = session.get(Doctor, slot.doctor_id)
    if doctor is None or not doctor.active or doctor.user_id is None:
        return None
    on_duty = session.scalar(select(DutyDoctor.id).where(DutyDoctor.doctor_id == doctor.id,
                                                         DutyDoctor.active.is_(True)))
    return doctor if on_duty is not None else None
