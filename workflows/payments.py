"""Payments between the provider (integrations.payments) and the pathway (engine.payments): every provider
call (HTTP) happens here, outside any database transaction, and its answer is handed to the engine.

- `pay_online`: the payer's "Pay" click: create the charge (idempotence key of the payment, so a second
  click gives the same charge) and return where to confirm it;
- `handle_notice`: a webhook: checked for its origin, then the payment re-fetched from the API; only a
  fetched `succeeded` (or a `waiting_for_capture` captured here) is believed; repeated notices find the
  pathway no longer waiting and change nothing;
- `refresh`: the payer came back (return URL): the same re-fetch, so the page is right even before the
  webhook arrives;
- `settle_refunds` / `refund_in_background`: refunds through the provider, with their own idempotence key.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from engine.accounts.models import User
from engine.i18n import N_, UserError
from engine.payments import service
from engine.payments.models import Payment
from engine.workflow import ConnectorRegistry
from integrations.payments.base import (
    SUCCEEDED,
    WAITING_FOR_CAPTURE,
    ForgedNotice,
    PaymentError,
    PaymentProvider,
)

log = logging.getLogger(__name__)


def pay_online(session_factory: sessionmaker[Session], provider: PaymentProvider, user: User, payment_id: int, *,
               return_url: str, ip: str = "") -> str:
    """The confirmation URL to send the payer to (UserError if the payment cannot be paid now)."""
    with session_factory() as session:
        payment = service.get_for(session, user, payment_id)
        if payment.patient_id != user.id:
            raise UserError(N_("Only the patient pays for their consultation."))
        service.check_payable(payment)
        if payment.provider != provider.name or not provider.online:
            raise UserError(N_("This consultation is paid at the clinic's desk."))
        amount, currency, key, consultation_id = (payment.amount, payment.currency, payment.idempotence_key,
                                                  payment.consultation_id)
        reference = payment.reference
    try:
        charge = provider.create(amount=amount, currency=currency, idempotence_key=key, reference=reference,
                                 description=f"Consultation No. {consultation_id}",
                                 return_url=f"{return_url.rstrip('/')}/{payment_id}/return")
    except PaymentError as exc:
        log.warning("payment %s could not be created: %s", payment_id, exc.message)
        raise UserError(N_("The payment service is not answering. Please try again in a few minutes.")) from exc
    service.record_started(session_factory, payment_id, charge.provider_id, charge.confirmation_url, user.id, ip)
    if not charge.confirmation_url:
        raise UserError(N_("The payment service did not give a payment page. Please try again."))
    return charge.confirmation_url


def _believe(session_factory: sessionmaker[Session], provider: PaymentProvider, payment: Payment | None,
             provider_id: str, ip: str, connectors: ConnectorRegistry | None) -> str:
    """Fetch the charge from the provider and act on what it says, never on what a notice said."""
    if payment is None:
        service.ignored_notice(session_factory, "unknown payment", ip, provider_id)
        return "unknown"
    charge = provider.fetch(provider_id)
    if charge.status == WAITING_FOR_CAPTURE:
        charge = provider.capture(charge, f"capture-{payment.idempotence_key}")
    if charge.status != SUCCEEDED or not charge.paid or charge.amount != payment.amount \
            or charge.currency != payment.currency:
        return charge.status
    return service.payment_received(session_factory, payment.id, source=provider.name, ip=ip,
                                    connectors=connectors).result


def handle_notice(session_factory: sessionmaker[Session], provider: PaymentProvider, body: bytes, ip: str, *,
                  connectors: ConnectorRegistry | None = None) -> str:
    """What a webhook did: "forged", "unknown", a provider status, or the Outcome's result."""
    try:
        notice = provider.notice(body, ip)
    except ForgedNotice as exc:
        log.warning("payment notice refused: %s", exc.message)
        service.ignored_notice(session_factory, exc.message, ip)
        return "forged"
    with session_factory() as session:
        payment = service.by_provider_id(session, notice.provider_id)
        if payment is not None:
            session.expunge(payment)
    return _believe(session_factory, provider, payment, notice.provider_id, ip, connectors)


def refresh(session_factory: sessionmaker[Session], provider: PaymentProvider, user: User, payment_id: int, *,
            ip: str = "", connectors: ConnectorRegistry | None = None) -> str:
    with session_factory() as session:
        payment = service.get_for(session, user, payment_id)
        session.expunge(payment)
    if not provider.online or not payment.provider_payment_id or payment.status != "awaiting":
        return payment.status
    try:
        return _believe(session_factory, provider, payment, payment.provider_payment_id, ip, connectors)
    except PaymentError as exc:
        log.warning("payment %s could not be checked: %s", payment_id, exc.message)
        return "unknown"


def settle_refunds(session_factory: sessionmaker[Session], provider: PaymentProvider, base_url: str) -> int:
    def refund(payment: Payment) -> tuple[str, str]:
        if payment.provider == "clinic" or not payment.provider_payment_id:
            return f"desk-refund-{payment.id}", SUCCEEDED  # money handed back at the desk
        result = provider.refund(payment.provider_payment_id, payment.amount, payment.currency,
                                 service.refund_key(payment))
        return result.provider_id, result.status

    return service.settle_refunds(session_factory, refund, base_url)


def refund_after_commit(session_factory: sessionmaker[Session], provider: PaymentProvider, base_url: str) -> Any:
    """A transaction that asked for a refund starts one in a background thread once it commits (never in
    the request); a refund that fails there stays pending for the next commit or the sweep."""
    def after_commit(session: Session) -> None:
        if session.info.pop(service.REFUND_FLAG, False):
            threading.Thread(target=_safe_settle, args=(session_factory, provider, base_url),
                             name="carepath refunds", daemon=True).start()

    def after_rollback(session: Session) -> None:
        session.info.pop(service.REFUND_FLAG, None)

    event.listen(session_factory, "after_commit", after_commit)
    event.listen(session_factory, "after_soft_rollback", lambda s, _t: after_rollback(s))
    return after_commit


_SETTLE_LOCK = threading.Lock()
SETTLE_PAUSES = (0.05, 0.1, 0.2, 0.4, 0.8, 0)


def _safe_settle(session_factory: sessionmaker[Session], provider: PaymentProvider, base_url: str) -> None:
    with _SETTLE_LOCK:
        try:
            # The hook runs when the session's commit is done, which for an engine step (its connection
            # joined "control_fully") can be a moment before other connections see the rows: look again
            # a few times before leaving the rest to the sweep.
            for pause in SETTLE_PAUSES:
                if settle_refunds(session_factory, provider, base_url):
                    return
                time.sleep(pause)
        except Exception:  # a background thread must not die silently: the sweep retries
            log.exception("refunds could not be settled")


def seal_contracts(settings: Any) -> int:
    """Seal every signed contract still without its PDF (the signing background task runs this)."""
    from engine.payments.contracts import any_pending, produce_pending
    from integrations.files import file_store, signing
    from reports.contract import ContractMaker
    from workflows.conclusions import base_url
    from workflows.resources import session_factory

    sessions = session_factory(settings.database_url)
    if not any_pending(sessions):
        return 0  # the usual case: do not load the signers for nothing
    return produce_pending(sessions, file_store(settings), ContractMaker(signing(settings)), base_url(settings))


def settle_pending_refunds(settings: Any) -> int:
    """The sweep's catch-up for refunds (a refund thread lost with its process, a provider that was down)."""
    from integrations.payments import payment_settings, provider_for
    from workflows.conclusions import base_url
    from workflows.resources import session_factory

    provider = provider_for(payment_settings(settings))
    return settle_refunds(session_factory(settings.database_url), provider, base_url(settings))
