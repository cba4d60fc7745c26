"""The clinic's side of a visit: the tickets of a reception day, and marking each past one "visited" or
"missed" (R-CAB past visits). Only a visited ticket can be rated by its patient (tickets.rate).

Who may mark a ticket: its own doctor (the registry doctor linked to the account) and the registry's
managers and administrators, who run the registry of every institution (the manager's pages have no
narrower scope). A ticket that holds an online consultation's time is marked by the consultation's
session when the doctor ends it held or missed, never here, so that the two records cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit, roles
from engine.accounts.models import User
from engine.clock import now
from engine.consultations.models import Consultation
from engine.i18n import N_, Conflict, Forbidden, UserError
from engine.registry.models import T_CONFIRMED, T_MISSED, T_VISITED, Doctor, Institution, Ticket

OUTCOMES = (T_VISITED, T_MISSED)
# A confirmed ticket and the two outcomes: what a reception day lists (cancelled/annulled are not visits).
LISTED = (T_CONFIRMED, T_VISITED, T_MISSED)
REGISTRY_STAFF = (roles.MANAGER, roles.ADMIN)


def doctors_of(session: Session, user_id: int) -> list[Doctor]:
    """The registry doctors an account works as (one per institution it works in)."""
    return list(session.scalars(select(Doctor).where(Doctor.user_id == user_id).order_by(Doctor.id)))


def may_mark(session: Session, ticket: Ticket, user: User) -> bool:
    if user.has_role(*REGISTRY_STAFF):
        return True
    if not user.has_role(roles.DOCTOR):
        return False
    doctor = session.get(Doctor, ticket.doctor_id)
    return doctor is not None and doctor.user_id == user.id


def consultation_of(session: Session, ticket_id: int) -> int | None:
    """The consultation whose time the ticket holds, if any (such a ticket is marked by its session)."""
    return session.scalar(select(Consultation.id).where(Consultation.ticket_id == ticket_id).limit(1))


def mark(session: Session, ticket: Ticket, *, outcome: str, user: User, ip: str = "") -> bool:
    """Mark a past ticket visited or missed; a mistake can be corrected until the patient rated the visit.
    Returns False when the ticket already had this outcome (nothing changes, nothing is journaled)."""
    if not may_mark(session, ticket, user):
        raise Forbidden(N_("Only the doctor of this visit or the registry's staff can mark it."))
    if outcome not in OUTCOMES:
        raise UserError(N_("Choose whether the patient came or missed the visit."))
    consultation_id = consultation_of(session, ticket.id)
    if consultation_id is not None:
        raise UserError(N_("This time belongs to online consultation No. %(n)s: it is marked when the doctor "
                           "ends the session."), n=consultation_id)
    if ticket.status not in LISTED:
        raise UserError(N_("Only a confirmed ticket can be marked as visited or missed."))
    if ticket.starts_at > now():
        raise UserError(N_("The time of this visit has not come yet; mark it once it has begun."))
    if ticket.status == outcome:
        return False
    if ticket.rating is not None:
        raise Conflict(N_("The patient has already rated this visit; it stays marked as visited."))
    previous, ticket.status = ticket.status, outcome
    audit.record(session, "ticket_visited" if outcome == T_VISITED else "ticket_missed", actor_id=user.id, ip=ip,
                 subject_id=ticket.user_id, object_type="ticket", object_id=ticket.id, number=ticket.number,
                 previous=previous)
    return True


@dataclass(frozen=True)
class DayRow:
    ticket: Ticket
    doctor: Doctor
    institution: Institution
    consultation_id: int | None
    markable: bool  # its time has come and it is not a consultation's


def day_tickets(session: Session, day: date, *, institution_id: int | None = None,
                doctor_ids: list[int] | None = None) -> list[DayRow]:
    """The confirmed, visited and missed tickets of one local day (the institution's clock), by time:
    of an institution (optionally some of its doctors), or of the given doctors wherever they work."""
    if institution_id is None and not doctor_ids:
        return []
    # A local day is at most 14 hours off UTC: read a wider UTC window and keep the local day's rows.
    low = datetime.combine(day - timedelta(days=1), time(0)).replace(tzinfo=ZoneInfo("UTC"))
    high = low + timedelta(days=3)
    query = select(Ticket).where(Ticket.status.in_(LISTED), Ticket.starts_at >= low, Ticket.starts_at < high)
    if institution_id is not None:
        query = query.where(Ticket.institution_id == institution_id)
    if doctor_ids:
        query = query.where(Ticket.doctor_id.in_(doctor_ids))
    rows: list[DayRow] = []
    moment = now()
    for ticket in session.scalars(query.order_by(Ticket.starts_at, Ticket.id)):
        institution = session.get(Institution, ticket.institution_id)
        doctor = session.get(Doctor, ticket.doctor_id)
        if institution is None or doctor is None:
            continue
        if ticket.starts_at.astimezone(ZoneInfo(institution.timezone)).date() != day:
            continue
        consultation_id = consultation_of(session, ticket.id)
        rows.append(DayRow(ticket, doctor, institution, consultation_id,
                           consultation_id is None and ticket.starts_at <= moment))
    return rows
