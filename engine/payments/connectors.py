"""Service-task operators of the paid consultation pathway (workflows/bpmn/consultation_paid): each runs in
the engine step's transaction and only writes rows and outbox messages; provider calls happen elsewhere."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from engine import audit
from engine.clock import now
from engine.config import Settings
from engine.consultations import booking
from engine.consultations.models import CANCELLED, OPEN, Consultation
from engine.payments import contracts, prices, service
from engine.payments.models import AWAITING, PAID, REFUND_PENDING, RELEASED, VOIDED, Payment, provider_name
from engine.registry.models import Slot, Ticket
from engine.workflow.connectors import ConnectorRegistry, InstanceContext, Sample


class Operators:
    def __init__(self, settings: Settings | None) -> None:
        self.base_url = settings.base_url if settings else ""
        self.provider = provider_name(dict(settings.extra) if settings else None)

    def contract(self, session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        """Is the paid service bookable for this patient: a price, and the current contract signed?"""
        slot = session.get(Slot, int(params["slot_id"]))
        patient_id = int(context.patient_id or context.data["patient_id"])
        if slot is None:
            return {"ok": False, "reason": "gone", "price_id": None}
        price = prices.price_for(session, slot.institution_id, slot.specialty_id)
        if price is None:
            return {"ok": False, "reason": "no_price", "price_id": None}
        missing = contracts.to_sign(session, patient_id, slot.institution_id)
        if missing is not None:
            return {"ok": False, "reason": "contract", "price_id": price.id, "version": missing.version}
        latest = contracts.current(session, slot.institution_id)
        return {"ok": True, "reason": "", "price_id": price.id, "version": latest.version if latest else None}

    def hold(self, session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        """The booking waits for its money until the deadline; the patient is told what and by when."""
        consultation = _consultation(session, params)
        existing = service.of_consultation(session, consultation.id)
        if existing is not None:
            return _held(existing)
        price = prices.price_for(session, consultation.institution_id, consultation.specialty_id)
        assert price is not None and consultation.starts_at is not None
        pay_until, refund_until = service.deadlines(consultation.starts_at)
        payment = Payment(consultation_id=consultation.id, patient_id=consultation.patient_id,
                          institution_id=consultation.institution_id, price_id=price.id, amount=price.amount,
                          currency=price.currency, provider=self.provider, status=AWAITING,
                          idempotence_key=secrets.token_hex(16), pay_until=pay_until, refund_until=refund_until,
                          process_instance_id=context.instance_id, created_at=now())
        session.add(payment)
        session.flush()
        audit.record(session, "payment_held", actor_id=None, subject_id=payment.patient_id, object_type="payment",
                     object_id=payment.id, consultation_id=consultation.id, amount=str(payment.amount),
                     pay_until=pay_until.isoformat(), provider=payment.provider)
        service.mail(session, payment, "payment_due", self.base_url, {"pay_until": _when(session, payment, pay_until)})
        return _held(payment)

    def receipt(self, session: Session, _c: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        """The money is in: the payment is paid, a receipt number given and mailed (the video link follows
        with the session's invitation)."""
        payment = _payment(session, params)
        message = dict(params.get("message") or {})
        if payment.status == AWAITING:
            payment.status, payment.paid_at = PAID, now()
            payment.receipt_number = f"{payment.institution_id:03d}-{payment.id:07d}"
            by = message.get("by")
            payment.marked_paid_by = int(by) if by else None
            audit.record(session, "payment_received", actor_id=payment.marked_paid_by, ip=str(message.get("ip") or ""),
                         subject_id=payment.patient_id, object_type="payment", object_id=payment.id,
                         source=str(message.get("source") or ""), amount=str(payment.amount),
                         receipt=payment.receipt_number)
            service.mail(session, payment, "payment_receipt", self.base_url,
                         {"paid_at": _when(session, payment, payment.paid_at)})
        return {"paid": payment.status == PAID, "receipt": payment.receipt_number}

    def release(self, session: Session, _c: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        """Unpaid by the deadline: the time is free again, the consultation cancelled, the patient told."""
        payment = _payment(session, params)
        consultation = session.get(Consultation, payment.consultation_id, with_for_update=True)
        if payment.status != AWAITING or consultation is None:
            return {"released": False}
        payment.status, payment.ended_at = RELEASED, now()
        if consultation.status in OPEN:
            consultation.status, consultation.ended_at = CANCELLED, now()
            consultation.cancel_reason = "unpaid"
            booking.release(session, consultation, "unpaid")
        audit.record(session, "payment_released", actor_id=None, subject_id=payment.patient_id,
                     object_type="payment", object_id=payment.id, consultation_id=consultation.id)
        service.mail(session, payment, "payment_released", self.base_url)
        return {"released": True}

    def void(self, session: Session, _c: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        """Cancelled by the patient before paying: nothing to return."""
        payment = _payment(session, params)
        if payment.status == AWAITING:
            payment.status, payment.ended_at = VOIDED, now()
            audit.record(session, "payment_voided", actor_id=payment.patient_id, subject_id=payment.patient_id,
                         object_type="payment", object_id=payment.id)
        return {"status": payment.status}

    def settle(self, session: Session, _c: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        """After the session: a paid consultation cancelled before the refund deadline is refunded."""
        payment = _payment(session, params)
        consultation = session.get(Consultation, payment.consultation_id)
        if payment.status != PAID or consultation is None or consultation.status != CANCELLED:
            return {"refund": False}
        cancelled_at = consultation.ended_at or now()
        if cancelled_at > payment.refund_until and not _by_clinic(session, consultation):
            audit.record(session, "payment_notice_ignored", actor_id=None, subject_id=payment.patient_id,
                         object_type="payment", object_id=payment.id, why="cancelled after the refund deadline")
            return {"refund": False}
        payment.status = REFUND_PENDING
        audit.record(session, "payment_refund_requested", actor_id=payment.patient_id, subject_id=payment.patient_id,
                     object_type="payment", object_id=payment.id, why="cancelled")
        session.info[service.REFUND_FLAG] = True
        return {"refund": True}


def _by_clinic(session: Session, consultation: Consultation) -> bool:
    """The clinic took the time away (a schedule change): the patient gets the money back at any time."""
    ticket = session.get(Ticket, consultation.ticket_id) if consultation.ticket_id else None
    return ticket is not None and ticket.end_reason == "schedule_changed"


def _held(payment: Payment) -> dict[str, Any]:
    return {"payment_id": payment.id, "pay_until": payment.pay_until.isoformat(), "amount": str(payment.amount),
            "released": payment.status == RELEASED}


def _when(session: Session, payment: Payment, moment: Any) -> str:
    from engine.accounts.models import User
    from engine.consultations.centers import institution_zone
    from engine.timezones import appointment_label

    user = session.get(User, payment.patient_id)
    if user is None or moment is None:
        return ""
    return appointment_label(moment, institution_zone(session, payment.institution_id), user.timezone, user.locale)


def _consultation(session: Session, params: dict[str, Any]) -> Consultation:
    consultation = session.get(Consultation, int(params["consultation_id"]), with_for_update=True)
    if consultation is None:
        raise LookupError(f"no consultation {params['consultation_id']!r}")
    if consultation.specialty_id is None and consultation.slot_id:
        slot = session.get(Slot, consultation.slot_id)
        consultation.specialty_id = slot.specialty_id if slot else None
    return consultation


def _payment(session: Session, params: dict[str, Any]) -> Payment:
    payment = session.get(Payment, int(params["payment_id"]), with_for_update=True)
    if payment is None:
        raise LookupError(f"no payment {params['payment_id']!r}")
    return payment


OPERATORS = ("contract", "hold", "receipt", "release", "void", "settle")
# The usual result of each operator, offered by the studio's test run (see ConnectorRegistry.register):
# the contract is signed and the booking held for an hour; unpaid in the test run, it is released.
SAMPLES: dict[str, Sample] = {
    "contract": {"ok": True, "reason": "", "price_id": 1, "version": 1},
    "hold": lambda at: {"payment_id": 1, "pay_until": (at + timedelta(hours=1)).isoformat(), "amount": "1500.00",
                        "released": False},
    "receipt": {"paid": True, "receipt": "R-000001"},
    "release": {"released": True},
    "void": {"status": "voided"},
    "settle": {"refund": True},
}


def register(registry: ConnectorRegistry, settings: Settings | None = None) -> ConnectorRegistry:
    ops = Operators(settings)
    for name in OPERATORS:
        full = f"payment_{name}"
        if full not in registry:
            registry.register(full, getattr(ops, name), sample=SAMPLES[name])
    return registry
