"""Starting a paid consultation: the checks the booking page makes before the pathway starts (a price, the
current contract signed, a free time), then the `consultation_paid` pathway, which books and holds."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import roles
from engine.clock import now
from engine.consultations.models import PAID as PAID_ROUTE
from engine.consultations.models import PATHWAYS, Consultation
from engine.i18n import N_, Conflict, NotFound, UserError
from engine.payments import contracts, prices
from engine.payments.models import Payment, ServicePrice
from engine.registry.models import FREE, Slot
from engine.registry.tickets import SLOT_TAKEN
from engine.workflow import Actor, ConnectorRegistry, start_instance


def check(session: Session, patient_id: int, slot_id: int) -> tuple[Slot, ServicePrice]:
    """The slot and its price, or a UserError saying what stands in the way (the contract first)."""
    slot = session.get(Slot, slot_id)
    if slot is None:
        raise NotFound(N_("There is no such time in the schedule."))
    price = prices.price_for(session, slot.institution_id, slot.specialty_id)
    if price is None:
        raise UserError(N_("This time is not a paid consultation's time."))
    if slot.status != FREE or slot.starts_at <= now() + prices.BOOKING_LEAD:
        raise Conflict(SLOT_TAKEN)
    if contracts.to_sign(session, patient_id, slot.institution_id) is not None:
        raise UserError(N_("Read and sign the contract for paid services first."))
    return slot, price


def book(session_factory: sessionmaker[Session], patient_id: int, slot_id: int, *,
         connectors: ConnectorRegistry | None = None, ip: str = "") -> tuple[Consultation, Payment]:
    with session_factory() as session:
        check(session, patient_id, slot_id)
    data = {"booking": {"route": PAID_ROUTE, "slot_id": slot_id, "ip": ip}}
    instance_id = start_instance(session_factory, PATHWAYS[PAID_ROUTE], Actor(patient_id, frozenset({roles.PATIENT})),
                                 data, patient_id=patient_id, connectors=connectors)
    with session_factory() as session:
        consultation = session.scalars(select(Consultation).where(
            Consultation.process_instance_id == instance_id)).first()
        payment = session.scalars(select(Payment).where(Payment.consultation_id == consultation.id)).first() \
            if consultation is not None else None
        if consultation is None or payment is None:
            raise Conflict(SLOT_TAKEN)
        session.expunge_all()
        return consultation, payment
