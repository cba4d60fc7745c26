"""Who is on a patient's care team: a doctor or instructor who has a pathway with the patient -- a
consultation, a visit ticket with them, a signed conclusion, a monitoring plan, a rehab course, or a task
of a pathway about the patient assigned to them. Nobody else (a manager included) sees the card."""

from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from engine import roles
from engine.accounts.models import User
from engine.conclusions.models import Conclusion
from engine.consultations.models import Consultation
from engine.monitoring.models import MonitoringPlan
from engine.registry.models import Doctor, Ticket
from engine.rehab.models import RehabCourse
from engine.workflow.models import PendingTask

TEAM_ROLES = (roles.DOCTOR, roles.INSTRUCTOR)


def _links(patient_id: int, user_id: int) -> list:
    """One EXISTS per area that can tie a staff member to the patient."""
    return [
        exists().where(Consultation.patient_id == patient_id, Consultation.doctor_user_id == user_id),
        exists().where(Conclusion.patient_id == patient_id, Conclusion.doctor_id == user_id),
        exists().where(MonitoringPlan.patient_id == patient_id, MonitoringPlan.doctor_id == user_id),
        exists().where(RehabCourse.patient_id == patient_id,
                       or_(RehabCourse.doctor_id == user_id, RehabCourse.instructor_id == user_id)),
        exists().where(Ticket.user_id == patient_id, Ticket.doctor_id == Doctor.id, Doctor.user_id == user_id),
        exists().where(PendingTask.patient_id == patient_id, PendingTask.assignee_user_id == user_id),
    ]


def is_on_care_team(session: Session, patient_id: int, viewer: User) -> bool:
    if viewer.id == patient_id or not viewer.has_role(*TEAM_ROLES):
        return False
    return bool(session.scalar(select(or_(*_links(patient_id, viewer.id)))))


def may_see_card(session: Session, patient_id: int, viewer: User) -> bool:
    """The patient themselves, or a member of their care team."""
    return viewer.id == patient_id or is_on_care_team(session, patient_id, viewer)
