"""Fifteen wrong passwords in the browser: the account pauses, the office does not, the owner is told."""

from __future__ import annotations

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

