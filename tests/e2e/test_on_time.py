"""Timed work on time, in a real browser with a short real wait: an unconfirmed ticket's hold runs out and
the timer worker (the one the serve process runs) annuls it within seconds of the minute it was due.

The platform clock is moved so the due moment is a few seconds of real time away (every part reads
engine.clock: the pathway's timer, the worker's sleep, the ticket's record); the wait itself is real."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.registry.models import T_ANNULLED, T_HELD, Ticket
from tests.e2e.demo_setup import due_in_a_moment, timer_worker_for, wait_for  # noqa: F401
from tests.e2e.test_registry import CENTER, registry  # noqa: F401 - the registry demo on the live server

pytestmark = pytest.mark.e2e


def book_without_confirming(page, base: str, email: str) -> None:
    page.goto(f"{base}/registry/")
    page.get_by_role("button", name="Show medical institutions").click()
    page.get_by_role("link", name=CENTER).click()
    page.get_by_label("Doctor's full name").fill("Владимирова")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("article", name="Владимирова Анна Алексеевна").get_by_role("link", name="Book").click()
    page.locator("a.time").last.click()
    page.get_by_label("Identity document").select_option("oms")
    page.get_by_label("Document number").fill("9876 5432 1098 7654")
    page.get_by_label("Date of birth").fill("1968-02-11")
    page.get_by_label("Mobile phone").fill("+7 912 000-11-22")
    page.get_by_label("Email").fill(email)
    page.get_by_label("I consent to the processing of my personal data").check()
    page.get_by_role("button", name="Book").click()
    expect(page.locator(".warning-text")).to_contain_text("will be annulled")


def test_an_unconfirmed_ticket_is_annulled_at_the_minute_its_hold_ends(registry, timer_worker_for, new_context):  # noqa: F811
    sessions = registry.app.extensions["carepath"].sessions
    timer_worker = timer_worker_for(registry)
    page = new_context().new_page()
    book_without_confirming(page, registry.url, "hold.ends@example.net")
    with sessions() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.email == "hold.ends@example.net")).one()
        ticket_id, expires_at = ticket.id, ticket.hold_expires_at
    assert ticket.status == T_HELD and expires_at is not None

    due_in_a_moment(timer_worker, expires_at)  # the hour of the hold has all but passed

    def annulled() -> Ticket | None:
        with sessions() as session:
            found = session.get(Ticket, ticket_id)
            return found if found.status == T_ANNULLED else None

    ticket = wait_for(page, annulled) or ticket
    page.reload()

    expect(page.get_by_role("status").first).to_contain_text("This booking was annulled")
    registry.screenshot(page, "on-time-01-hold-annulled")
    assert ticket.status == T_ANNULLED
    late = ticket.ended_at - expires_at
    assert timedelta(0) <= late < timedelta(minutes=1), late  # to the minute (in practice about a second)

