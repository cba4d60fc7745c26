"""The paid route in a browser, with each provider: the manager sets the price and publishes the contract;
the patient signs it with a one-time code, books a priced time (email and price shown), pays — at the
desk (the manager marks it paid) or through YooKassa (a local server speaking its API, its checkout
redirecting back) — gets the receipt by mail and joins in the window; an unpaid booking is released at its
deadline and mailed; a cancellation in time is refunded; a forged and a repeated webhook change nothing."""

from __future__ import annotations

import threading
import urllib.request
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from engine import clock as clock_module
from engine.composition import build_connectors
from engine.config import load_settings
from engine.consultations.demo import load_consultations_demo
from engine.db import create_all, transaction
from engine.demo import ensure_demo_accounts
from engine.outbox import OutboxMessage
from engine.payments.models import Payment
from engine.registry.models import Doctor, Institution, Slot, Specialty
from engine.workflow import fire_due_timers, sync_folder
from tests.e2e.conftest import DEMO_PASSWORD, LiveServer, _deliver_mail, _free_port
from tests.e2e.consultation_fixtures import BPMN, login
from tests.payments.yookassa_server import FakeYooKassa
from webui import create_app
from workflows.payments import settle_refunds

pytestmark = pytest.mark.e2e
CONTRACT = "# Договор на оказание платных медицинских услуг\n\nИсполнитель оказывает услугу «телемедицина» за плату."


@pytest.fixture(scope="module", params=["clinic", "yookassa"])
def paid_server(request, tmp_path_factory):
    fake = FakeYooKassa().__enter__()
    port = _free_port()
    env = {"CAREPATH_INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")), "CAREPATH_PORT": str(port),
           "CAREPATH_DEMO_PASSWORD": DEMO_PASSWORD, "CAREPATH_DEFAULT_LOCALE": "en"}
    if request.param == "yookassa":
        env.update({"CAREPATH_PAYMENT_PROVIDER": "yookassa", "CAREPATH_PAYMENT_SHOP_ID": fake.shop_id,
                    "CAREPATH_PAYMENT_SECRET_KEY": fake.secret_key, "CAREPATH_PAYMENT_API_URL": fake.url,
                    "CAREPATH_PAYMENT_WEBHOOK_NETWORKS": "127.0.0.1"})
    settings = load_settings(env)
    app = create_app({"RATELIMIT_ENABLED": False}, settings=settings)
    create_all(app.extensions["carepath"].engine)
    sessions = app.extensions["carepath"].sessions
    test_clock = clock_module.TestClock(clock_module.now().replace(microsecond=0))
    clock_module.use(test_clock)
    with transaction(sessions) as session:
        ensure_demo_accounts(session, DEMO_PASSWORD)
        load_consultations_demo(session)
    result = sync_folder(sessions, BPMN, connectors=build_connectors(settings))
    assert "consultation_paid" not in result.failed, result.failed
    server = make_server("127.0.0.1", port, app, threaded=True)
    stop = threading.Event()
    threads = [threading.Thread(target=server.serve_forever, daemon=True),
               threading.Thread(target=_deliver_mail, args=(settings, sessions, stop), daemon=True)]
    for thread in threads:
        thread.start()
    yield LiveServer(f"http://127.0.0.1:{port}", settings, app), test_clock, fake, request.param
    stop.set()
    server.shutdown()
    fake.__exit__()
    clock_module.reset()


def sessions_of(server):
    return server.app.extensions["carepath"].sessions


def tick(server):
    fire_due_timers(sessions_of(server), connectors=build_connectors(server.settings))


def mails(server, kind: str) -> list[OutboxMessage]:
    with sessions_of(server)() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def payment(server, payment_id: int) -> Payment:
    with sessions_of(server)() as session:
        row = session.get(Payment, payment_id)
        session.expunge(row)
        return row


def demo_service(server) -> tuple[str, str, list[int]]:
    """The demo doctor's institution and specialty names, and its free slots (the future ones)."""
    with sessions_of(server)() as session:
        doctor = session.scalars(select(Doctor).where(Doctor.user_id.is_not(None)).order_by(Doctor.id)).first()
        slots = list(session.scalars(select(Slot).where(Slot.doctor_id == doctor.id, Slot.status == "free",
                                                        Slot.starts_at > clock_module.now() + timedelta(hours=3))
                                     .order_by(Slot.starts_at)))
        institution = session.get(Institution, slots[0].institution_id)
        specialty = session.get(Specialty, slots[0].specialty_id)
        return institution.name, specialty.name, [s.id for s in slots if s.specialty_id == specialty.id]


def set_price_and_contract(server, manager, institution: str, specialty: str) -> None:
    url = server.url
    manager.goto(f"{url}/payments/prices")
    manager.select_option("#institution_id", label=institution)
    manager.select_option("#specialty_id", label=specialty)
    manager.fill("#amount", "1500")
    manager.get_by_role("button", name="Save").click()
    assert "The price is saved." in manager.content()
    manager.get_by_role("link", name="Contract text").first.click()
    manager.fill("#text", CONTRACT)
    manager.get_by_role("button", name="Publish").click()
    assert "Version 1 of the contract is published." in manager.content()


def book(server, patient, slot_id: int) -> int:
    url = server.url
    patient.goto(f"{url}/payments/offers")
    patient.locator(f"#slot-{slot_id}").click()
    patient.get_by_role("button", name="Book and go to payment").click()
    patient.wait_for_url("**/payments/*")
    return int(patient.url.rstrip("/").rsplit("/", 1)[-1])


def webhook(server, body: bytes) -> int:
    request = urllib.request.Request(f"{server.url}/payments/webhook/yookassa", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def pay(server, fake, kind, patient, manager, payment_id: int) -> None:
    url = server.url
    patient.goto(f"{url}/payments/{payment_id}")
    if kind == "clinic":
        assert patient.locator("#pay-at-desk").is_visible()
        manager.goto(f"{url}/payments/")
        manager.locator(f"#desk-{payment_id} button").click()
        assert "The payment is recorded" in manager.content()
        return
    fake.checkout_status = "succeeded"
    patient.locator("#pay").click()  # to YooKassa's checkout (the local server), which sends the payer back
    expect(patient.locator("#payment-status")).to_have_text("Paid")
    assert "Payment received" in patient.content()
    charge = payment(server, payment_id).provider_payment_id
    assert webhook(server, fake.notification(charge)) == 200  # the notice after the return: changes nothing


def test_the_paid_route_with_each_provider(paid_server, new_context):
    server, test_clock, fake, kind = paid_server
    url = server.url
    start = test_clock.current
    institution, specialty, slots = demo_service(server)
    manager = login(new_context(), url, "manager@example.org")
    set_price_and_contract(server, manager, institution, specialty)

    patient = login(new_context(), url, "patient@example.org")
    patient.goto(f"{url}/payments/offers")
    patient.locator(f"#slot-{slots[0]}").click()
    # The contract first: a wrong code is refused, the mailed one signs.
    assert "Договор на оказание платных медицинских услуг" in patient.locator("#contract-text").inner_text()
    patient.locator("#send-code").click()
    assert "The code has been sent to patient@example.org" in patient.content()
    code = mails(server, "contract_code")[-1].context["code"]
    patient.fill("#code", "000000" if code != "000000" else "111111")
    patient.locator("#sign").click()
    assert "Wrong code" in patient.content()
    patient.fill("#code", code)
    patient.locator("#sign").click()
    assert "The contract is signed" in patient.content()
    assert "patient@example.org" in patient.locator("#email").inner_text()
    assert "1,500" in patient.locator("#price").inner_text() or "1 500" in patient.locator("#price").inner_text()
    server.screenshot(patient, f"paid_confirm_{kind}")
    patient.get_by_role("button", name="Book and go to payment").click()
    patient.wait_for_url("**/payments/*")
    payment_id = int(patient.url.rstrip("/").rsplit("/", 1)[-1])
    held = payment(server, payment_id)
    assert held.status == "awaiting" and mails(server, "payment_due")

    # Locked until paid: the consultation page offers «Pay», the join link refuses.
    test_clock.current = held.pay_until - timedelta(minutes=1)
    patient.goto(f"{url}/consultations/{held.consultation_id}")
    assert patient.locator(f"#pay-{held.consultation_id}").is_visible()
    assert patient.locator(f"#join-{held.consultation_id}").count() == 0
    if kind == "yookassa":
        # A forged notice (the API still says pending, or it comes from outside) changes nothing.
        patient.goto(f"{url}/payments/{payment_id}")
        fake.checkout_status = "pending"
        patient.locator("#pay").click()
        expect(patient.get_by_text("The payment is being processed")).to_be_visible()
        charge = payment(server, payment_id).provider_payment_id
        forged = fake.notification(charge).replace(b'"pending"', b'"succeeded"')
        assert webhook(server, forged) == 200
        assert webhook(server, b"{not json") == 403
        assert payment(server, payment_id).status == "awaiting"
    pay(server, fake, kind, patient, manager, payment_id)
    paid = payment(server, payment_id)
    assert paid.status == "paid" and paid.receipt_number
    assert len(mails(server, "payment_receipt")) == 1
    patient.goto(f"{url}/payments/{payment_id}")
    server.screenshot(patient, f"paid_receipt_{kind}")
    assert paid.receipt_number in patient.locator("#receipt").inner_text()

    # The consent task, then the join button works in the window.
    patient.goto(f"{url}/tasks/")
    patient.get_by_role("link", name="Accept the informed voluntary consent").first.click()
    patient.check("input[name=consent_accepted]")
    patient.locator("form button[type=submit]").last.click()
    with sessions_of(server)() as session:
        from engine.consultations.models import Consultation

        consultation = session.get(Consultation, paid.consultation_id)
        starts, room = consultation.starts_at, consultation.room_url
    test_clock.current = starts - timedelta(minutes=5)
    tick(server)
    patient.goto(f"{url}/consultations/{paid.consultation_id}")
    join = patient.locator(f"#join-{paid.consultation_id}")
    response = patient.request.get(f"{url}{join.get_attribute('href')}", max_redirects=0)
    assert response.status == 302 and response.headers["location"] == room

    # Unpaid by the deadline: released and mailed.
    test_clock.current = start
    late_id = book(server, patient, slots[1])
    late = payment(server, late_id)
    test_clock.current = late.pay_until + timedelta(seconds=1)
    tick(server)
    assert payment(server, late_id).status == "released" and mails(server, "payment_released")
    patient.goto(f"{url}/payments/{late_id}")
    assert "Released unpaid" in patient.content()

    # Paid, then cancelled in time: refunded (the refund runs after the commit, in the background).
    test_clock.current = start
    refund_id = book(server, patient, slots[2])
    pay(server, fake, kind, patient, manager, refund_id)
    consultation_id = payment(server, refund_id).consultation_id
    patient.goto(f"{url}/consultations/{consultation_id}")
    patient.fill("textarea[name=reason]", "Заболел")
    patient.get_by_role("button", name="Cancel the consultation").click()
    settle_refunds(sessions_of(server), server.app.extensions["carepath.payment_provider"][1], url)
    assert payment(server, refund_id).status == "refunded"
    assert mails(server, "payment_refunded")
    if kind == "yookassa":
        assert len(fake.refunds) == 1
    patient.goto(f"{url}/payments/personal-data")
    assert "version 1" in patient.locator("#contracts").inner_text()
