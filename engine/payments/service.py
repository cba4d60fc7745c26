"""The payment of a paid consultation, outside the pathway's own steps: reading it (owner checked),
handing a provider's answer to the pathway, a manager's "paid at the desk", and refunds.

The pathway (workflows/bpmn/consultation_paid) owns the state changes that matter: a payment becomes
`paid` only in the engine step that catches the `payment_received` message (connectors.receipt), so a
payment that arrives after the booking was released cannot revive it: it is refunded instead, and a
repeated notice finds nothing waiting and changes nothing. Provider calls (HTTP) are never made inside a
transaction: the web layer and the background work call the provider, then hand the answer here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from engine import audit, outbox, roles
from engine.accounts.models import User
from engine.clock import now
from engine.config import LOCALES
from engine.db import transaction
from engine.i18n import N_, Conflict, Forbidden, NotFound, UserError
from engine.payments.models import AWAITING, PAID, REFUND_PENDING, REFUNDED, RELEASED, VOIDED, Payment
from engine.workflow import ConnectorRegistry, correlate_message

log = logging.getLogger(__name__)
PAID_MESSAGE = "payment_received"  # the BPMN message that tells the pathway the money is there
PAY_WINDOW = timedelta(hours=1)  # how long an unpaid booking is held, as an unconfirmed ticket is
PAY_BEFORE_START = timedelta(minutes=10)  # and never past the moment the join button opens
REFUND_LEAD = timedelta(hours=2)  # a cancellation at least this long before the start is refunded
REFUND_FLAG = "payments_refund_requested"  # on a session that asked for a refund: wake the refunder
SUCCEEDED = "succeeded"
PAID_ATTEMPTS = 3  # tries to hand a payment to a pathway that another step holds at that moment




def deadlines(starts_at: Any) -> tuple[Any, Any]:
    """(pay until, refund if cancelled until) for a consultation starting at `starts_at`."""
    moment = now()
    pay_until = max(min(moment + PAY_WINDOW, starts_at - PAY_BEFORE_START), moment)
    return pay_until, starts_at - REFUND_LEAD


def of_consultation(session: Session, consultation_id: int) -> Payment | None:
    return session.scalars(select(Payment).where(Payment.consultation_id == consultation_id)).first()


def get_for(session: Session, user: User, payment_id: int) -> Payment:
    """The payment for its patient or a manager; anyone else: 'no such payment'."""
    payment = session.get(Payment, payment_id)
    if payment is None or (payment.patient_id != user.id and not user.has_role(roles.MANAGER)):
        raise NotFound(N_("There is no such payment."))
    return payment


def check_paid(session: Session, consultation_id: int) -> None:
    """The join button's lock: a paid consultation opens only once its payment is in."""
    if not is_paid(session, consultation_id):
        raise UserError(N_("This consultation is paid: it can be joined once the payment is received."))


def for_patient(session: Session, user_id: int) -> list[Payment]:
    return list(session.scalars(select(Payment).where(Payment.patient_id == user_id).order_by(Payment.id.desc())))


def awaiting(session: Session) -> list[Payment]:
    """What the desk may mark paid."""
    return list(session.scalars(select(Payment).where(Payment.status == AWAITING).order_by(Payment.pay_until)))


def check_payable(payment: Payment) -> None:
    if payment.status == PAID:
        raise Conflict(N_("This consultation is already paid."))
    if payment.status != AWAITING:
        raise Conflict(N_("This booking is no longer held: it was released or cancelled."))
    if payment.pay_until <= now():
        raise Conflict(N_("The time to pay has run out; the booking is being released."))


def record_started(session_factory: sessionmaker[Session], payment_id: int, provider_id: str, url: str,
                   user_id: int, ip: str) -> None:
    with transaction(session_factory, immediate=True) as session:
        payment = session.get(Payment, payment_id, with_for_update=True)
        assert payment is not None
        payment.provider_payment_id, payment.confirmation_url = provider_id, url[:500]
        audit.record(session, "payment_started", actor_id=user_id, ip=ip, object_type="payment",
                     object_id=payment.id, provider=payment.provider)


@dataclass(frozen=True)
class Outcome:
    """What a provider's answer did: `paid` (the pathway caught it), `refund` (it came too late and is
    being returned), `nothing` (already handled), or `retry` (the pathway was busy: ask again later)."""

    result: str


def payment_received(session_factory: sessionmaker[Session], payment_id: int, *, source: str,
                     actor_id: int | None = None, ip: str = "",
                     connectors: ConnectorRegistry | None = None) -> Outcome:
    """The money is there (a succeeded charge re-fetched from the provider, or the desk): tell the pathway.
    If nothing waits for it (released, cancelled, or already paid), a late payment is refunded and a
    repeated one ignored."""
    with transaction(session_factory) as session:
        payment = session.get(Payment, payment_id)
        if payment is None:
            raise NotFound(N_("There is no such payment."))
        consultation_id, instance_id = payment.consultation_id, payment.process_instance_id
    for attempt in range(PAID_ATTEMPTS):
        caught = correlate_message(session_factory, PAID_MESSAGE, {"consultation_id": consultation_id},
                                   payload={"source": source, "by": actor_id, "ip": ip}, instance_id=instance_id,
                                   connectors=connectors)
        if caught:
            return Outcome("paid")
        with transaction(session_factory, immediate=True) as session:
            payment = session.get(Payment, payment_id, with_for_update=True)
            assert payment is not None
            if payment.status in (RELEASED, VOIDED) and source != "desk":
                payment.status = REFUND_PENDING
                audit.record(session, "payment_refund_requested", actor_id=None, subject_id=payment.patient_id,
                             object_type="payment", object_id=payment.id, why="paid after release")
                session.info[REFUND_FLAG] = True
                return Outcome("refund")
            if payment.status != AWAITING:
                audit.record(session, "payment_notice_ignored", actor_id=actor_id, ip=ip,
                             subject_id=payment.patient_id, object_type="payment", object_id=payment.id,
                             source=source, status=payment.status)
                return Outcome("nothing")
        # Still awaiting, yet nothing caught the message: the pathway was being stepped by someone else at
        # that moment (a lost race is not an answer). Try again; in the end the caller asks to be retried.
        time.sleep(0.05 * (attempt + 1))
    return Outcome("retry")


def mark_paid_at_desk(session_factory: sessionmaker[Session], manager: User, payment_id: int, *, ip: str = "",
                      connectors: ConnectorRegistry | None = None) -> Outcome:
    if not manager.has_role(roles.MANAGER):
        raise Forbidden(N_("Only a manager can record a payment at the desk."))
    with session_factory() as session:
        payment = session.get(Payment, payment_id)
        if payment is None:
            raise NotFound(N_("There is no such payment."))
        if payment.provider != "clinic":
            raise Conflict(N_("This payment is made online; the desk cannot record it."))
        check_payable(payment)
    outcome = payment_received(session_factory, payment_id, source="desk", actor_id=manager.id, ip=ip,
                               connectors=connectors)
    if outcome.result == "retry":
        raise Conflict(N_("The payment could not be recorded just now. Please try again."))
    if outcome.result != "paid":
        raise Conflict(N_("This booking is no longer held: it was released or cancelled."))
    return outcome


def ignored_notice(session_factory: sessionmaker[Session], why: str, ip: str, provider_id: str = "") -> None:
    """A webhook that changed nothing (forged, unknown payment), journalled for the admin."""
    with transaction(session_factory, immediate=True) as session:
        payment = session.scalars(select(Payment).where(Payment.provider_payment_id == provider_id)).first() \
            if provider_id else None
        audit.record(session, "payment_notice_ignored", actor_id=None, ip=ip,
                     subject_id=payment.patient_id if payment else None, object_type="payment",
                     object_id=payment.id if payment else "", why=why[:200])


def by_provider_id(session: Session, provider_id: str) -> Payment | None:
    return session.scalars(select(Payment).where(Payment.provider_payment_id == provider_id)).first()


# ---------------------------------------------------------------- refunds (background work)

Refunder = Callable[[Payment], tuple[str, str]]  # payment -> (refund id at the provider, status)


def settle_refunds(session_factory: sessionmaker[Session], refund: Refunder, base_url: str = "",
                   limit: int = 50) -> int:
    """Return the money of every payment waiting for a refund; the provider's call is made outside any
    transaction with a stable idempotence key, so a run that dies half-way never refunds twice."""
    with transaction(session_factory) as session:
        ids = list(session.scalars(select(Payment.id).where(Payment.status == REFUND_PENDING)
                                   .order_by(Payment.id).limit(limit)))
    done = 0
    for payment_id in ids:
        with session_factory() as session:
            payment = session.get(Payment, payment_id)
            if payment is None or payment.status != REFUND_PENDING:
                continue
            session.expunge(payment)
        try:
            refund_id, status = refund(payment)
        except Exception as exc:  # recorded on the row; the next run tries again
            log.warning("refund of payment %s failed: %s", payment_id, exc)
            with transaction(session_factory, immediate=True) as session:
                session.execute(update(Payment).where(Payment.id == payment_id).values(last_error=str(exc)[:2000]))
            continue
        if status != SUCCEEDED:
            continue  # pending at the provider: the next run looks again with the same key
        with transaction(session_factory, immediate=True) as session:
            row = session.get(Payment, payment_id, with_for_update=True)
            if row is None or row.status != REFUND_PENDING:
                continue
            row.status, row.refund_provider_id, row.ended_at, row.last_error = REFUNDED, refund_id[:80], now(), None
            audit.record(session, "payment_refunded", actor_id=None, subject_id=row.patient_id,
                         object_type="payment", object_id=row.id, amount=str(row.amount), provider=row.provider)
            mail(session, row, "payment_refunded", base_url)
            done += 1
    return done


def refund_key(payment: Payment) -> str:
    return f"refund-{payment.idempotence_key}"


def mail(session: Session, payment: Payment, kind: str, base_url: str, extra: dict[str, Any] | None = None) -> bool:
    """One message of this kind per payment (dedupe key), to the patient's email."""
    from engine.consultations.models import Consultation
    from engine.consultations.notify import context

    user = session.get(User, payment.patient_id)
    consultation = session.get(Consultation, payment.consultation_id)
    if user is None or consultation is None or not user.email:
        return False
    base = base_url.rstrip("/")
    ctx = context(session, consultation, user, base_url)
    ctx.update({"amount": money(payment.amount), "currency": payment.currency, "payment": payment.id,
                "receipt": payment.receipt_number, "provider": payment.provider,
                "pay_link": f"{base}/payments/{payment.id}" if base else "", **(extra or {})})
    queued = outbox.enqueue(session, kind=kind, to=user.email, context=ctx, user_id=user.id,
                            locale=user.locale if user.locale in LOCALES else LOCALES[0],
                            dedupe_key=f"payment:{payment.id}:{kind}")
    return queued is not None


def money(amount: Decimal) -> str:
    """1500.00 -> "1 500,00", as receipts write it (the mail template adds the currency)."""
    whole, _, cents = f"{amount:.2f}".partition(".")
    groups = f"{int(whole):,}".replace(",", "\u00a0")
    return f"{groups},{cents}"


def is_paid(session: Session, consultation_id: int) -> bool:
    """True for a paid consultation whose money is in, and for every free one."""
    payment = of_consultation(session, consultation_id)
    return payment is None or payment.status == PAID
