"""The code page names where the code went: by email, and by SMS through a local HTTP gateway (the
SMS.ru-style protocol of integrations/sms.py) after the patient confirmed the phone in the profile."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from engine.accounts.service import find_by_email
from engine.config import load_settings
from engine.db import create_all, transaction
from engine.demo import ensure_demo_accounts
from tests.e2e.conftest import DEMO_PASSWORD, LiveServer, _deliver_mail, _free_port, in_transaction
from tests.e2e.test_account_journey import login
from tests.referrals.test_sms_gateway import Gateway
from webui import create_app

pytestmark = pytest.mark.e2e
PHONE = "+79123456767"


@pytest.fixture(scope="module")
def gateway() -> Iterator[str]:
    from http.server import ThreadingHTTPServer

    Gateway.received, Gateway.answer = [], (200, {"status": "OK"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    server.shutdown()


@pytest.fixture(scope="module")
def sms_server(tmp_path_factory, gateway) -> Iterator[LiveServer]:
    """The live server of conftest.py, with an SMS gateway configured."""
    port = _free_port()
    settings = load_settings({
        "CAREPATH_INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")), "CAREPATH_PORT": str(port),
        "CAREPATH_DEMO_PASSWORD": DEMO_PASSWORD, "CAREPATH_DEFAULT_LOCALE": "en",
        "CAREPATH_SMS_GATEWAY_URL": gateway, "CAREPATH_SMS_GATEWAY_TOKEN": "local-token",
    })
    app = create_app({"RATELIMIT_ENABLED": False}, settings=settings)
    create_all(app.extensions["carepath"].engine)
    sessions = app.extensions["carepath"].sessions
    with transaction(sessions) as session:
        ensure_demo_accounts(session, DEMO_PASSWORD)
    server = make_server("127.0.0.1", port, app, threaded=True)
    stop = threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    threading.Thread(target=_deliver_mail, args=(settings, sessions, stop), daemon=True).start()
    yield LiveServer(f"http://127.0.0.1:{port}", settings, app)
    stop.set()
    server.shutdown()


def set_account(server: LiveServer, email: str, **fields) -> None:
    def work(session):
        user = find_by_email(session, email)
        for name, value in fields.items():
            setattr(user, name, value)

    in_transaction(server.app.extensions["carepath"].sessions, work)


def sms_code(page, number: str, already: int) -> str:
    """The code of the next SMS the gateway received for `number` (waits for the outbox worker)."""
    for _ in range(60):
        texts = [f["msg"][0] for f in Gateway.received if f["to"] == [number.lstrip("+")]]
        if len(texts) > already:
            return re.search(r"\b(\d{6})\b", texts[already]).group(1)
        page.wait_for_timeout(250)
    raise AssertionError(f"no SMS to {number} reached the gateway")


def test_the_code_goes_by_email_and_the_page_names_the_masked_address(sms_server, new_context):
    base = sms_server.url
    set_account(sms_server, "doctor@example.org", two_factor=True, phone=PHONE)  # a phone, not confirmed
    page = new_context().new_page()

    login(page, base, "doctor@example.org", DEMO_PASSWORD)

    expect(page.locator("#code-sent-to")).to_have_text(
        "We have sent a 6-digit code to d***@example.org. It is valid for 10 minutes.")
    sms_server.screenshot(page, "second-factor-01-by-email")
    admin = new_context().new_page()
    login(admin, base, "admin@example.org", DEMO_PASSWORD)
    for _ in range(40):
        admin.goto(f"{base}/admin/mailbox")
        row = admin.locator("tr.mail-row", has_text="doctor@example.org")
        if row.count():
            break
        admin.wait_for_timeout(250)
    row.first.get_by_role("link").click()
    code = re.search(r"\b(\d{6})\b", admin.locator(".mail-body").inner_text()).group(1)
    page.get_by_label("One-time code").fill(code)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{base}/cabinet/")  # logged in
    assert not [f for f in Gateway.received if f["to"] == [PHONE.lstrip("+")]]


def test_the_patient_confirms_the_phone_then_the_code_comes_by_sms(sms_server, new_context):
    base = sms_server.url
    number = "+79161234567"
    set_account(sms_server, "patient@example.org", phone=number)
    page = new_context().new_page()
    login(page, base, "patient@example.org", DEMO_PASSWORD)

    page.goto(f"{base}/cabinet/profile")
    page.locator("#phone-state button").click()  # "confirm the phone by SMS"
    expect(page.locator("#code-sent-to")).to_contain_text("+7 *** ***-**-67")
    page.locator("input[name=code]").fill(sms_code(page, number, 0))
    page.locator("form.card button[type=submit]").click()
    expect(page.locator("#phone-state")).to_be_visible()
    with sms_server.app.extensions["carepath"].sessions() as session:
        assert find_by_email(session, "patient@example.org").phone_confirmed_at is not None
    set_account(sms_server, "patient@example.org", two_factor=True)
    page.context.clear_cookies()

    login(page, base, "patient@example.org", DEMO_PASSWORD)

    expect(page.locator("#code-sent-to")).to_have_text(
        "We have sent a 6-digit code to +7 *** ***-**-67. It is valid for 10 minutes.")
    sms_server.screenshot(page, "second-factor-02-by-sms")
    page.get_by_label("One-time code").fill(sms_code(page, number, 1))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{base}/cabinet/")  # logged in
