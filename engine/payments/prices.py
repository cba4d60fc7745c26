"""Prices per service: (institution, specialty, online or in person). A service without an active price
is free, as every service was before paid services existed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.clock import now
from engine.i18n import N_, UserError
from engine.payments.models import CURRENCY, KINDS, ONLINE, ServicePrice
from engine.registry.models import FREE, Doctor, Institution, Slot, Specialty

MAX_AMOUNT = Decimal("1000000")
BOOKING_HORIZON = timedelta(days=21)  # how far ahead the paid booking page offers times
BOOKING_LEAD = timedelta(minutes=30)  # a time sooner than this cannot be booked and paid in time


def parse_amount(raw: str) -> Decimal:
    """«1 500,50» or "1500.5" as roubles; a clear error for anything else."""
    text = (raw or "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise UserError(N_("Enter the price in roubles, e.g. 1500 or 1500,50.")) from None
    if not amount.is_finite() or amount <= 0 or amount >= MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise UserError(N_("Enter the price in roubles, e.g. 1500 or 1500,50."))
    return amount


def price_for(session: Session, institution_id: int | None, specialty_id: int | None,
              kind: str = ONLINE) -> ServicePrice | None:
    if institution_id is None or specialty_id is None:
        return None
    return session.scalars(select(ServicePrice).where(
        ServicePrice.institution_id == institution_id, ServicePrice.specialty_id == specialty_id,
        ServicePrice.kind == kind, ServicePrice.active.is_(True))).first()


def set_price(session: Session, *, actor_id: int | None, institution_id: int, specialty_id: int, kind: str,
              amount: str, active: bool = True, ip: str = "") -> ServicePrice:
    if kind not in KINDS:
        raise UserError(N_("Choose online or in person."))
    if session.get(Institution, institution_id) is None or session.get(Specialty, specialty_id) is None:
        raise UserError(N_("There is no such institution or specialty."))
    value = parse_amount(amount)
    row = session.scalars(select(ServicePrice).where(
        ServicePrice.institution_id == institution_id, ServicePrice.specialty_id == specialty_id,
        ServicePrice.kind == kind)).first()
    if row is None:
        row = ServicePrice(institution_id=institution_id, specialty_id=specialty_id, kind=kind, currency=CURRENCY)
        session.add(row)
    row.amount, row.active, row.updated_at = value, active, now()
    session.flush()
    audit.record(session, "price_set", actor_id=actor_id, ip=ip, object_type="payment_price", object_id=row.id,
                 amount=str(value), kind=kind, active=active)
    return row


@dataclass(frozen=True)
class Offer:
    price: ServicePrice
    institution: Institution
    specialty: Specialty


def offers(session: Session, kind: str = ONLINE) -> list[Offer]:
    rows = session.execute(
        select(ServicePrice, Institution, Specialty)
        .join(Institution, Institution.id == ServicePrice.institution_id)
        .join(Specialty, Specialty.id == ServicePrice.specialty_id)
        .where(ServicePrice.kind == kind, ServicePrice.active.is_(True))
        .order_by(Institution.name, Specialty.name)).all()
    return [Offer(p, i, s) for p, i, s in rows]


def free_slots(session: Session, price: ServicePrice, *, limit: int = 60) -> list[tuple[Slot, Doctor]]:
    """Free times of the doctors (with accounts) of the price's institution and specialty."""
    start: datetime = now() + BOOKING_LEAD
    rows = session.execute(
        select(Slot, Doctor).join(Doctor, Doctor.id == Slot.doctor_id)
        .where(Slot.institution_id == price.institution_id, Slot.specialty_id == price.specialty_id,
               Slot.status == FREE, Slot.starts_at > start, Slot.starts_at < start + BOOKING_HORIZON,
               Doctor.user_id.is_not(None), Doctor.active.is_(True))
        .order_by(Slot.starts_at).limit(limit)).all()
    return [(s, d) for s, d in rows]
