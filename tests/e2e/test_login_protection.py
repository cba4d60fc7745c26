"""Fifteen wrong passwords in the browser, from one address and from two: the account pauses, the office
does not, the owner is told, every refusal is journalled with its address."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from engine.accounts import throttle
from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.test_account_journey import login, open_mail

pytestmark = pytest.mark.e2e


def in_english(page) -> None:
    page.get_by_role("button", name="English").click()


def test_wrong_passwords_pause_one_account_journalled_and_mailed_while_a_colleague_logs_in(live_server, new_context):
    base = live_server.url
    guesser = new_context().new_page()

    for n in range(15):
        login(guesser, base, "patient@example.org", f"guess number {n}")
        if n < throttle.ACCOUNT_FAILURES:
            expect(guesser.get_by_text("Wrong email or password.")).to_be_visible()
    refusal = guesser.locator("#login-refused")
    expect(refusal).to_contain_text("Too many wrong passwords for this account")
    live_server.screenshot(guesser, "login-protection-01-refused")
    login(guesser, base, "patient@example.org", DEMO_PASSWORD)  # the right password waits too
    expect(refusal).to_contain_text("Other accounts are not affected")
    # The way on from the refusal: the password reset form, and the login form itself is on the page.
    refusal.get_by_role("link", name="Forgot your password?").click()
    expect(guesser).to_have_url(f"{base}/account/reset")

    colleague = new_context().new_page()  # the same address, 127.0.0.1
    login(colleague, base, "admin@example.org", DEMO_PASSWORD)
    in_english(colleague)
    expect(colleague.get_by_role("button", name="Log out")).to_be_visible()

    # The owner is told in their own language: the demo patient reads Russian.
    link = open_mail(colleague, base, "Неудачные попытки входа", "patient@example.org")
    assert link.endswith("/account/reset")
    expect(colleague.locator(".mail-body")).to_contain_text(f"{throttle.ACCOUNT_FAILURES} раз")
    colleague.goto(f"{base}/admin/journal")
    rows = colleague.locator("tr.audit-row")
    expect(rows.filter(has_text="Login refused: too many failed attempts on this account")).to_have_count(11)
    expect(rows.filter(has_text="Failed login")).to_have_count(throttle.ACCOUNT_FAILURES)
    live_server.screenshot(colleague, "login-protection-02-journal")



@pytest.fixture
def second_address(live_server) -> Iterator[str]:
    """The live server as reached from another address: a relay on 127.0.0.1 whose connections to the
    server leave from 127.0.0.2 (any 127.x address is the machine's own), so the app sees a second client
    address, as with a guesser who rotates addresses."""
    port = int(live_server.url.rsplit(":", 1)[1])
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def pump(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.2", 0))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=pump, args=(a, b), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    listener.close()


def test_wrong_passwords_from_two_addresses_count_for_the_account_and_neither_office_is_blocked(
    live_server, second_address, new_context
):
    base = live_server.url
    near, far = new_context().new_page(), new_context().new_page()  # 127.0.0.1 and 127.0.0.2
    for n in range(15):  # the guesser alternates addresses: the account's count still adds up
        page, url = (near, base) if n % 2 == 0 else (far, second_address)
        login(page, url, "instructor@example.org", f"guess number {n}")
        if n < throttle.ACCOUNT_FAILURES:
            expect(page.get_by_text("Wrong email or password.")).to_be_visible()
        else:
            expect(page.locator("#login-refused")).to_contain_text("Too many wrong passwords for this account")
    live_server.screenshot(far, "login-protection-03-refused-from-the-second-address")

    # Behind either address a colleague still logs in: refused attempts do not count against an address.
    for url in (base, second_address):
        colleague = new_context().new_page()
        login(colleague, url, "manager@example.org", DEMO_PASSWORD)
        in_english(colleague)
        expect(colleague.get_by_role("button", name="Log out")).to_be_visible()

    admin = new_context().new_page()
    login(admin, base, "admin@example.org", DEMO_PASSWORD)
    in_english(admin)
    admin.goto(f"{base}/admin/journal")
    rows = admin.locator("tr.audit-row").filter(has_text="Кузнецова Ольга Сергеевна")  # the instructor's account
    failed = rows.filter(has_text="Failed login")
    refused = rows.filter(has_text="Login refused: too many failed attempts on this account")
    expect(failed).to_have_count(throttle.ACCOUNT_FAILURES)
    expect(refused).to_have_count(15 - throttle.ACCOUNT_FAILURES)
    for address in ("127.0.0.1", "127.0.0.2"):  # journalled with the address each came from
        expect(failed.filter(has_text=address)).not_to_have_count(0)
        expect(refused.filter(has_text=address)).not_to_have_count(0)
    live_server.screenshot(admin, "login-protection-04-journal-two-addresses")
