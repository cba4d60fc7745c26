"""A consultation's time is a registry slot held by a registry ticket, so that the slot logic (one ticket
per slot, no two tickets of one person at the same time) stays in one place: engine.registry.tickets."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.accounts.models import User
from engine.clock import now
from engine.consultations.models import Consultation
from engine.registry import tickets
from engine.registry.identity import identity_of_user
from engine.registry.models import BOOKED, FREE, T_CONFIRMED, T_MISSED, T_VISITED, Doctor, Slot, Ticket

# Why a slot could not be booked, as the pathway's gateways and the pages name it.
TAKEN = "taken"
GONE = "gone"
OVERLAP = "overlap"
NOT_DOCTORS = "not_doctors"


def book(session: Session, consultation: Consultation, slot_id: int, *, doctor_user_id: int | None) -> str | None:
    """Hold and confirm the slot for the consultation's patient; None when booked, else the reason.

    `doctor_user_id`: the slot must be one of this doctor's (the reviewer picks from their own times)."""
    slot = session.get(Slot, slot_id)
    if slot is None or slot.starts_at <= now():
        return GONE
    doctor = session.get(Doctor, slot.doctor_id)
    if doctor is None or doctor.user_id is None or (doctor_user_id is not None and doctor.user_id != doctor_user_id):
        return NOT_DOCTORS
    user = session.get(User, consultation.patient_id)
    assert user is not None
    identity = identity_of_user(user)
    person = {**asdict(identity), "birth_date": identity.birth_date.isoformat() if identity.birth_date else None,
              "identity_key": identity.key, "from_cabinet": True, "channel": "email"}
    person.pop("consent", None)
    held = tickets.hold(session, slot_id=slot.id, user_id=user.id, person=person,
                        hold_until=now() + timedelta(hours=1), instance_id=consultation.process_instance_id)
    if not held["held"]:
        return str(held.get("reason") or TAKEN)
    ticket = tickets.get_ticket(session, int(held["ticket_id"]), for_update=True)
    tickets.confirm(session, ticket)
    consultation.slot_id, consultation.ticket_id = slot.id, ticket.id
    consultation.starts_at, consultation.ends_at = slot.starts_at, slot.ends_at
    consultation.registry_doctor_id, consultation.doctor_user_id = doctor.id, doctor.user_id
    consultation.institution_id = slot.institution_id
    return None


def release(session: Session, consultation: Consultation, reason: str) -> None:
    """The consultation will not take place: its ticket ends and the slot is free for others."""
    ticket = session.get(Ticket, consultation.ticket_id) if consultation.ticket_id else None
    if ticket is None or ticket.status != T_CONFIRMED:
        return
    ticket.status = tickets.T_CANCELLED
    ticket.ended_at = now()
    ticket.end_reason = reason[:40]
    session.execute(update(Slot).where(Slot.id == ticket.slot_id, Slot.status == BOOKED).values(status=FREE))


def close(session: Session, consultation: Consultation, held: bool) -> None:
    """The session took place (visited) or the patient did not come (missed)."""
    ticket = session.get(Ticket, consultation.ticket_id) if consultation.ticket_id else None
    if ticket is not None and ticket.status == T_CONFIRMED:
        ticket.status = T_VISITED if held else T_MISSED
