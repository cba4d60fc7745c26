"""The feedback form in Chromium: the self-hosted ALTCHA widget fetches a challenge from this server,
solves it in the browser, and the message is accepted."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.db import transaction
from engine.feedback.models import FeedbackMessage
from tests.e2e.test_accessibility import _axe

pytestmark = pytest.mark.e2e


def test_the_widget_solves_the_captcha_in_the_browser_and_the_message_is_kept(live_server, new_context):
    page = new_context().new_page()
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((live_server.url, "data:", "blob:")) else None)
    errors = []  # refused scripts (a CSP blocking the widget's workers) and failed loads, but the favicon
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "404" not in m.text else None)
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.goto(f"{live_server.url}/feedback/")
    assert _axe(page) == []  # the form and the widget: no serious or critical WCAG A/AA violation
    page.select_option("#topic", "technical")
    page.fill("#message", "The join button does not appear on my phone.")
    page.fill("#email", "reader@example.org")
    page.locator("altcha-widget input[type=checkbox]").click(force=True)
    page.wait_for_function("() => (document.querySelector('input[name=altcha]') || {}).value", timeout=60000)
    page.click("#feedback-form button[type=submit]")

    assert page.locator("#feedback-sent").inner_text() == "A manager will answer to reader@example.org."
    assert outside == [] and errors == []  # nothing but this server, and no script refused
    with transaction(live_server.app.extensions["carepath"].sessions) as session:
        [row] = session.scalars(select(FeedbackMessage)).all()
    assert row.topic == "technical" and row.email == "reader@example.org"
