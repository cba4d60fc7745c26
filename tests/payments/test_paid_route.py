"""The paid consultation route through the engine (TestClock + timers), with the clinic desk and with
YooKassa (a local server speaking its API): contract, booking, payment, receipt, the lock on joining,
release at the deadline, cancellation with a refund, forged and repeated notices; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from engine.accounts.models import User
from engine.audit import AuditEntry
from engine.consultations import service as consultations
from engine.consultations.models import CANCELLED, SCHEDULED
from engine.db import transaction
from engine.i18n import Conflict, UserError
from engine.payments import booking, contracts, service
from engine.payments.models import AWAITING, PAID, REFUND_PENDING, REFUNDED, RELEASED, VOIDED, Payment
from engine.registry.models import FREE, Slot
from integrations.payments import payment_settings, provider_for
from integrations.payments.clinic import ClinicDesk
from tests.consultations.helpers import consultation, kinds, tick
from tests.payments.conftest import last_code
from tests.payments.yookassa_server import FakeYooKassa
from workflows import payments as flows

PATIENT_MAIL = "patient@example.test"


def sign_contract(sessions, world, paid) -> None:
    with transaction(sessions) as session:
        user = session.get(User, world.patient)
        contract = contracts.to_sign(session, world.patient, paid.institution_id)
        contracts.send_code(session, user, contract, ip="10.0.0.7")
    with transaction(sessions) as session:
        contracts.sign(session, session.get(User, world.patient), paid.contract_id, last_code(sessions), ip="10.0.0.7")


def book(sessions, deployed, world, slot_index: int = 0):
    return booking.book(sessions, world.patient, world.slots["duty_doctor"][slot_index], connectors=deployed, ip="10.0.0.7")


def payment(sessions, payment_id: int) -> Payment:
    with sessions() as session:
        row = session.get(Payment, payment_id)
        assert row is not None
        return row


def actions(sessions) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def manager(sessions, world) -> User:
    with sessions() as session:
        user = session.get(User, world.manager)
        session.expunge(user)
        return user


def test_the_contract_is_signed_with_a_one_time_code_before_the_first_paid_booking(sessions, deployed, world, paid):
    with pytest.raises(UserError, match="sign the contract"):
        book(sessions, deployed, world)
    with transaction(sessions) as session:
        contract = contracts.to_sign(session, world.patient, paid.institution_id)
        assert contract is not None and contract.version == 1
        assert contracts.send_code(session, session.get(User, world.patient), contract) == PATIENT_MAIL
    code = last_code(sessions)
    with sessions() as session, pytest.raises(UserError, match="Wrong code"):
        contracts.sign(session, session.get(User, world.patient), paid.contract_id, "000000" if code != "000000" else "1")
    with transaction(sessions) as session:
        signed = contracts.sign(session, session.get(User, world.patient), paid.contract_id, code, ip="10.0.0.7")
        assert (signed.version, signed.code_channel, signed.ip) == (1, "email", "10.0.0.7")
        assert contracts.to_sign(session, world.patient, paid.institution_id) is None
    # A new version is shown again before the next paid booking.
    with transaction(sessions) as session:
        contracts.publish(session, institution_id=paid.institution_id, text="**Договор, редакция 2**\n\nНовый текст.",
                          actor_id=world.manager)
        assert contracts.to_sign(session, world.patient, paid.institution_id).version == 2
    assert "contract_code_sent" in actions(sessions) and "contract_signed" in actions(sessions)


def test_paid_at_the_clinic_desk_unlocks_joining_and_mails_a_receipt(sessions, deployed, world, paid, clock):
    sign_contract(sessions, world, paid)
    booked, held = book(sessions, deployed, world)
    assert booked.status == SCHEDULED and booked.route == "paid"
    assert held.status == AWAITING and held.amount == Decimal("1500.00") and held.provider == "clinic"
    assert "payment_due" in kinds(sessions, PATIENT_MAIL)
    assert "consultation_scheduled" not in kinds(sessions, PATIENT_MAIL)  # the video link comes after paying
    with sessions() as session, pytest.raises(UserError, match="payment is received"):
        service.check_paid(session, booked.id)
    outcome = service.mark_paid_at_desk(sessions, manager(sessions, world), held.id, ip="10.0.0.9", connectors=deployed)
    assert outcome.result == "paid"
    row = payment(sessions, held.id)
    assert row.status == PAID and row.receipt_number and row.marked_paid_by == world.manager
    with sessions() as session:
        service.check_paid(session, booked.id)  # unlocked
    mails = kinds(sessions, PATIENT_MAIL)
    assert mails.index("payment_receipt") < mails.index("consultation_scheduled")
    with pytest.raises(Conflict):
        service.mark_paid_at_desk(sessions, manager(sessions, world), held.id, connectors=deployed)
    assert {"payment_held", "payment_received", "consultation_requested"} <= set(actions(sessions))


def test_an_unpaid_booking_is_released_at_the_deadline_and_the_patient_told(sessions, deployed, world, paid, clock):
    sign_contract(sessions, world, paid)
    booked, held = book(sessions, deployed, world)
    clock.current = held.pay_until - timedelta(minutes=1)
    tick(sessions, deployed)
    assert payment(sessions, held.id).status == AWAITING
    clock.current = held.pay_until + timedelta(seconds=1)
    tick(sessions, deployed)
    assert payment(sessions, held.id).status == RELEASED
    assert consultation(sessions, booked.id).status == CANCELLED
    with sessions() as session:
        assert session.get(Slot, booked.slot_id).status == FREE
    assert "payment_released" in kinds(sessions, PATIENT_MAIL)
    assert "payment_released" in actions(sessions)
    # The desk can no longer take money for it.
    with pytest.raises(Conflict):
        service.mark_paid_at_desk(sessions, manager(sessions, world), held.id, connectors=deployed)


def test_a_cancellation_before_paying_releases_the_time_and_takes_nothing(sessions, deployed, world, paid, clock):
    sign_contract(sessions, world, paid)
    booked, held = book(sessions, deployed, world)
    consultations.cancel(sessions, world.patient, booked.id, "Другие планы", connectors=deployed)
    assert payment(sessions, held.id).status == VOIDED
    assert consultation(sessions, booked.id).status == CANCELLED


def test_a_paid_consultation_cancelled_in_time_is_refunded_at_the_desk(sessions, deployed, world, paid, clock):
    sign_contract(sessions, world, paid)
    booked, held = book(sessions, deployed, world)
    service.mark_paid_at_desk(sessions, manager(sessions, world), held.id, connectors=deployed)
    consultations.cancel(sessions, world.patient, booked.id, "Заболел", connectors=deployed)
    assert payment(sessions, held.id).status == REFUND_PENDING
    assert flows.settle_refunds(sessions, ClinicDesk(), "https://carepath.example") == 1
    assert payment(sessions, held.id).status == REFUNDED
    assert "payment_refunded" in kinds(sessions, PATIENT_MAIL)
    assert flows.settle_refunds(sessions, ClinicDesk(), "https://carepath.example") == 0


def test_a_cancellation_after_the_refund_deadline_keeps_the_payment(sessions, deployed, world, paid, clock):
    sign_contract(sessions, world, paid)
    booked, held = book(sessions, deployed, world)
    service.mark_paid_at_desk(sessions, manager(sessions, world), held.id, connectors=deployed)
    clock.current = held.refund_until + timedelta(minutes=5)
    consultations.cancel(sessions, world.patient, booked.id, "Поздно", connectors=deployed)
    assert payment(sessions, held.id).status == PAID


# --- YooKassa --------------------------------------------------------------------------------------

@pytest.fixture
def yookassa(monkeypatch):
    with FakeYooKassa() as fake:
        yield fake


def online(fake: FakeYooKassa, networks: str = "127.0.0.1"):
    return provider_for(payment_settings(None, {
        "CAREPATH_PAYMENT_PROVIDER": "yookassa", "CAREPATH_PAYMENT_SHOP_ID": fake.shop_id,
        "CAREPATH_PAYMENT_SECRET_KEY": fake.secret_key, "CAREPATH_PAYMENT_API_URL": fake.url,
        "CAREPATH_PAYMENT_WEBHOOK_NETWORKS": networks}))


@pytest.fixture
def yk_connectors(sessions, world, tmp_path):
    from engine.composition import build_connectors
    from engine.config import load_settings
    from engine.workflow import sync_folder
    from tests.consultations.conftest import BPMN

    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path / "instance"),
                              "CAREPATH_BASE_URL": "https://carepath.example", "CAREPATH_PAYMENT_PROVIDER": "yookassa"})
    registry = build_connectors(settings)
    sync_folder(sessions, BPMN, connectors=registry)
    return registry


def patient(sessions, world) -> User:
    with sessions() as session:
        user = session.get(User, world.patient)
        session.expunge(user)
        return user


def test_yookassa_paid_succeeded_forged_and_repeated_notices(sessions, yk_connectors, world, paid, clock, yookassa):
    provider = online(yookassa)
    sign_contract(sessions, world, paid)
    booked, held = book(sessions, yk_connectors, world)
    assert held.provider == "yookassa"
    url = flows.pay_online(sessions, provider, patient(sessions, world), held.id, return_url="https://carepath.example/payments")
    again = flows.pay_online(sessions, provider, patient(sessions, world), held.id, return_url="https://carepath.example/payments")
    assert url == again and len(yookassa.payments) == 1  # one charge, whatever the clicks
    charge_id = payment(sessions, held.id).provider_payment_id
    # A notice claiming success while the API says pending changes nothing (forged content).
    forged = yookassa.notification(charge_id).replace(b'"pending"', b'"succeeded"')
    assert flows.handle_notice(sessions, provider, forged, "127.0.0.1", connectors=yk_connectors) == "pending"
    assert payment(sessions, held.id).status == AWAITING
    # From outside YooKassa's networks: refused before anything is fetched.
    fetched = len(yookassa.requests)
    assert flows.handle_notice(sessions, online(yookassa, ""), forged, "203.0.113.5", connectors=yk_connectors) == "forged"
    assert len(yookassa.requests) == fetched
    yookassa.settle(charge_id, "succeeded")
    body = yookassa.notification(charge_id)
    assert flows.handle_notice(sessions, provider, body, "127.0.0.1", connectors=yk_connectors) == "paid"
    assert flows.handle_notice(sessions, provider, body, "127.0.0.1", connectors=yk_connectors) == "nothing"
    assert payment(sessions, held.id).status == PAID
    assert kinds(sessions, PATIENT_MAIL).count("payment_receipt") == 1
    assert "payment_notice_ignored" in actions(sessions)


def test_yookassa_waiting_for_capture_is_captured_and_canceled_is_not_paid(sessions, yk_connectors, world, paid,
                                                                             clock, yookassa):
    provider = online(yookassa)
    sign_contract(sessions, world, paid)
    _, first = book(sessions, yk_connectors, world, 0)
    _, second = book(sessions, yk_connectors, world, 1)
    flows.pay_online(sessions, provider, patient(sessions, world), first.id, return_url="https://x.example/payments")
    flows.pay_online(sessions, provider, patient(sessions, world), second.id, return_url="https://x.example/payments")
    one, two = payment(sessions, first.id).provider_payment_id, payment(sessions, second.id).provider_payment_id
    yookassa.settle(one, "waiting_for_capture")
    yookassa.settle(two, "canceled")
    assert flows.handle_notice(sessions, provider, yookassa.notification(one, "payment.waiting_for_capture"),
                               "127.0.0.1", connectors=yk_connectors) == "paid"
    assert flows.handle_notice(sessions, provider, yookassa.notification(two, "payment.canceled"),
                               "127.0.0.1", connectors=yk_connectors) == "canceled"
    assert payment(sessions, first.id).status == PAID and payment(sessions, second.id).status == AWAITING


def test_yookassa_refunds_a_cancelled_paid_consultation_and_a_payment_after_release(sessions, yk_connectors, world,
                                                                                     paid, clock, yookassa):
    provider = online(yookassa)
    sign_contract(sessions, world, paid)
    booked, held = book(sessions, yk_connectors, world, 0)
    flows.pay_online(sessions, provider, patient(sessions, world), held.id, return_url="https://x.example/payments")
    charge_id = payment(sessions, held.id).provider_payment_id
    yookassa.settle(charge_id, "succeeded")
    assert flows.refresh(sessions, provider, patient(sessions, world), held.id, connectors=yk_connectors) == "paid"
    consultations.cancel(sessions, world.patient, booked.id, "Заболел", connectors=yk_connectors)
    assert flows.settle_refunds(sessions, provider, "https://carepath.example") == 1
    assert payment(sessions, held.id).status == REFUNDED and len(yookassa.refunds) == 1
    # Paid after the deadline released the time: the money goes back, the booking stays released.
    late_booked, late = book(sessions, yk_connectors, world, 1)
    flows.pay_online(sessions, provider, patient(sessions, world), late.id, return_url="https://x.example/payments")
    clock.current = late.pay_until + timedelta(seconds=1)
    tick(sessions, yk_connectors)
    late_charge = payment(sessions, late.id).provider_payment_id
    yookassa.settle(late_charge, "succeeded")
    assert flows.handle_notice(sessions, provider, yookassa.notification(late_charge), "127.0.0.1",
                               connectors=yk_connectors) == "refund"
    flows.settle_refunds(sessions, provider, "https://carepath.example")
    assert payment(sessions, late.id).status == REFUNDED
    assert consultation(sessions, late_booked.id).status == CANCELLED


def test_yookassa_timeout_on_pay_tells_the_patient_and_changes_nothing(sessions, yk_connectors, world, paid, clock,
                                                                       yookassa):
    from dataclasses import replace

    provider = online(yookassa)
    provider.settings = replace(provider.settings, timeout=0.3)
    yookassa.delay = 1.0
    sign_contract(sessions, world, paid)
    _, held = book(sessions, yk_connectors, world)
    with pytest.raises(UserError, match="not answering"):
        flows.pay_online(sessions, provider, patient(sessions, world), held.id, return_url="https://x.example/payments")
    assert payment(sessions, held.id).provider_payment_id is None


def test_a_clinic_cancellation_refunds_even_after_the_refund_deadline(sessions, deployed, world, paid, clock):
    sign_contract(sessions, world, paid)
    booked, held = book(sessions, deployed, world)
    service.mark_paid_at_desk(sessions, manager(sessions, world), held.id, connectors=deployed)
    clock.current = held.refund_until + timedelta(minutes=5)
    consultations.cancel_by_clinic(sessions, booked.id, "Врач заболел", actor_id=world.manager, connectors=deployed)
    assert payment(sessions, held.id).status == REFUND_PENDING


def test_a_refund_asked_for_in_a_transaction_runs_after_its_commit(sessions, deployed, world, paid, clock):
    import time

    sign_contract(sessions, world, paid)
    booked, held = book(sessions, deployed, world)
    service.mark_paid_at_desk(sessions, manager(sessions, world), held.id, connectors=deployed)
    flows.refund_after_commit(sessions, ClinicDesk(), "https://carepath.example")
    consultations.cancel(sessions, world.patient, booked.id, "Заболел", connectors=deployed)
    for _ in range(200):  # the background thread; no timing is asserted, only that it happens
        if payment(sessions, held.id).status == REFUNDED:
            break
        time.sleep(0.05)
    assert payment(sessions, held.id).status == REFUNDED


def test_a_payment_nothing_can_take_yet_is_asked_again_not_lost(sessions, deployed, world, paid, clock):
    sign_contract(sessions, world, paid)
    _, held = book(sessions, deployed, world)
    with transaction(sessions) as session:
        # As if the pathway were held by another step at every try: nothing waits under this instance id.
        session.get(Payment, held.id).process_instance_id = 999_999
    assert service.payment_received(sessions, held.id, source="yookassa", connectors=deployed).result == "retry"
    assert payment(sessions, held.id).status == AWAITING
    with pytest.raises(Conflict, match="could not be recorded"):
        service.mark_paid_at_desk(sessions, manager(sessions, world), held.id, connectors=deployed)
