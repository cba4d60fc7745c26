"""Races on PostgreSQL: fifty people press «Записаться» on the same time at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from engine.i18n import Conflict
from engine.registry.models import HELD, Slot, Ticket
from engine.workflow.models import ProcessInstance
from tests.registry.conftest import book_anonymously, person, slots_of

THREADS = 50


@pytest.mark.parametrize("db_engine", ["postgres"], indirect=True)
def test_fifty_concurrent_bookings_of_one_slot_make_exactly_one_ticket(sessions, clinic, connectors):
    slot = slots_of(sessions, clinic.therapist_post)[0]
    start = threading.Barrier(THREADS)

    def attempt(n: int) -> str:
        identity = person(doc_number=f"{n:016d}", email=f"p{n}@example.net")
        start.wait()
        try:
            book_anonymously(sessions, connectors, slot.id, identity)
            return "booked"
        except Conflict as refused:
            return refused.message

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(attempt, range(1, THREADS + 1)))

    assert outcomes.count("booked") == 1
    assert set(outcomes) == {"booked", "The selected time is no longer available."}
    with sessions() as session:
        assert session.scalar(select(func.count(Ticket.id)).where(Ticket.slot_id == slot.id)) == 1
        assert session.get(Slot, slot.id).status == HELD
        # Every loser's pathway ended cleanly, none in error.
        statuses = session.scalars(select(ProcessInstance.status)).all()
        assert "error" not in statuses


@pytest.mark.parametrize("db_engine", ["postgres"], indirect=True)
def test_one_person_booking_two_doctors_at_once_gets_one_ticket(sessions, clinic, connectors):
    therapist = slots_of(sessions, clinic.therapist_post)[0]
    surgeon = slots_of(sessions, clinic.surgeon_post)[0]
    same = person()
    book_anonymously(sessions, connectors, slots_of(sessions, clinic.surgeon_post)[8].id, same)  # light account exists
    start = threading.Barrier(2)

    def attempt(slot_id: int) -> str:
        start.wait()
        try:
            book_anonymously(sessions, connectors, slot_id, same)
            return "booked"
        except Exception as refused:  # overlap (UserError) or taken
            return type(refused).__name__

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(attempt, [therapist.id, surgeon.id]))
    assert sorted(outcomes) == ["UserError", "booked"]
