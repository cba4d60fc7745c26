"""Reminders as the timer worker queues them every minute, and `doctor-digest` as Prefect runs it (against
the test harness), on a temporary instance: a confirmed appointment ticket gets its 24-hour reminder once
however many workers see it, and a doctor with an overdue task gets the digest once a day, from 08:00
local time."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine.outbox import OutboxMessage
from engine.registry.booking import submit_code
from engine.registry.models import T_CONFIRMED
from tests.referrals.test_reminders import _doctor_with_overdue_task
from tests.registry.conftest import book_anonymously, clinic, code_of, connectors, sent, slots_of  # noqa: F401
from workflows import reminders
from workflows.resources import session_factory
from workflows.timer_worker import TimerWorker


@pytest.fixture
def sessions(instance):
    """The instance's database, the one the flow run opens through its settings (the registry's
    `clinic` fixture builds its clinic here too)."""
    return session_factory(instance.database_url)


def confirmed_ticket(sessions, registry, site, clock) -> tuple[int, datetime]:
    """A ticket confirmed more than a day ahead of its visit, as a person books one from the portal."""
    slot = next(s for s in slots_of(sessions, site.therapist_post) if s.starts_at - clock() > timedelta(hours=26))
    booked = book_anonymously(sessions, registry, slot.id)
    [code] = sent(sessions, "ticket_code")
    assert submit_code(sessions, booked.ticket_id, code_of(code), registry).status == T_CONFIRMED
    return booked.ticket_id, slot.starts_at


def test_a_due_ticket_reminder_is_queued_once_by_two_timer_workers(instance, sessions, connectors, clinic, clock):  # noqa: F811
    ticket_id, starts_at = confirmed_ticket(sessions, connectors, clinic, clock)
    one, other = TimerWorker(instance), TimerWorker(instance)
    clock.current = starts_at - timedelta(hours=25)
    assert one.queue_reminders().queued == 0  # not yet due
    assert one.queue_reminders() is None  # asked again within the same minute: not asked at all

    clock.current = starts_at - timedelta(hours=24) + timedelta(seconds=1)
    first, second = one.queue_reminders(), other.queue_reminders()

    assert (first.queued, first.already) == (1, 0)
    assert (second.queued, second.already) == (0, 1)
    [reminder] = sent(sessions, "ticket_reminder")
    assert reminder.dedupe_key == f"reminder:ticket:{ticket_id}:24h"
    assert reminder.recipient == "anna@example.net" and reminder.context["window"] == "24h"
    assert "Григорьева" in reminder.context["doctor"]
    assert sent(sessions, "overdue_digest") == []  # the digest is the other flow's


def test_the_overdue_digest_is_queued_once_per_day_from_eight_local_time(prefect_harness, sessions, clock):
    doctor = _doctor_with_overdue_task(sessions, clock)
    # 04:00 UTC is 07:00 in Moscow, the doctor's zone: too early; 05:30 UTC is 08:30: due.
    clock.current = clock().replace(hour=4, minute=0)
    assert reminders.doctor_digest() == {"queued": 0, "already_queued": 0}

    clock.advance(minutes=90)
    first = reminders.doctor_digest()
    later_that_day = (clock.advance(hours=3), reminders.doctor_digest())[1]
    next_day = (clock.advance(days=1), reminders.doctor_digest())[1]

    assert first == {"queued": 1, "already_queued": 0}
    assert later_that_day == {"queued": 0, "already_queued": 1}
    assert next_day == {"queued": 1, "already_queued": 0}
    digests: list[OutboxMessage] = sent(sessions, "overdue_digest")
    assert [d.dedupe_key for d in digests] == [f"digest:doctor:{doctor.id}:2026-03-02",
                                              f"digest:doctor:{doctor.id}:2026-03-03"]
    assert all(d.recipient == doctor.email and d.context["own"] == 1 for d in digests)
    assert sent(sessions, "ticket_reminder") == []  # tickets are the other flow's
