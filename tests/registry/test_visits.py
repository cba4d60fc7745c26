"""The clinic marks past tickets visited or missed; only a visited one can be rated (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.audit import AuditEntry
from engine.i18n import Conflict, Forbidden, UserError
from engine.registry import tickets, visits
from engine.registry.booking import BookingRequest, book
from engine.registry.identity import identity_of_user
from engine.registry.models import T_CONFIRMED, T_MISSED, T_VISITED, Ticket
from tests.registry.conftest import make_patient, make_staff, slots_of


@pytest.fixture
def visit(sessions, clinic, connectors, clock):
    """A patient's confirmed ticket with the therapist, its time passed."""
    patient = make_patient(sessions)
    slot = slots_of(sessions, clinic.therapist_post)[0]
    booked = book(sessions, BookingRequest(slot.id, patient.id, identity_of_user(patient), True), connectors)
    clock.current = slot.ends_at + timedelta(minutes=5)
    return patient, booked.ticket_id


def _mark(sessions, ticket_id: int, user, outcome: str) -> bool:
    with sessions() as session:
        ticket = session.get(Ticket, ticket_id)
        changed = visits.mark(session, ticket, outcome=outcome, user=user, ip="10.0.0.7")
        session.commit()
        return changed


def _status(sessions, ticket_id: int) -> str:
    with sessions() as session:
        return session.get(Ticket, ticket_id).status


def test_only_the_tickets_doctor_or_the_registry_staff_may_mark_it(sessions, clinic, visit):
    patient, ticket_id = visit
    surgeon = make_staff(sessions, "surgeon@example.org", "doctor", doctor_id=clinic.surgeon_id)
    unlinked = make_staff(sessions, "unlinked@example.org", "doctor")
    analyst = make_staff(sessions, "analyst@example.org", "analyst")
    for stranger in (patient, surgeon, unlinked, analyst):
        with pytest.raises(Forbidden, match="Only the doctor of this visit"):
            _mark(sessions, ticket_id, stranger, T_VISITED)
    assert _status(sessions, ticket_id) == T_CONFIRMED
    therapist = make_staff(sessions, "therapist@example.org", "doctor", doctor_id=clinic.therapist_id)
    assert _mark(sessions, ticket_id, therapist, T_MISSED) is True
    assert _status(sessions, ticket_id) == T_MISSED
    manager = make_staff(sessions, "desk@example.org", "manager")
    assert _mark(sessions, ticket_id, manager, T_VISITED) is True  # a mistake corrected by the registry
    assert _mark(sessions, ticket_id, manager, T_VISITED) is False  # no change, nothing journaled
    with sessions() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.object_id == str(ticket_id),
                                                           AuditEntry.object_type == "ticket",
                                                           AuditEntry.action.in_(("ticket_visited", "ticket_missed")))
                                  .order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_id, e.subject_id, e.ip) for e in entries] == [
        ("ticket_missed", therapist.id, patient.id, "10.0.0.7"), ("ticket_visited", manager.id, patient.id, "10.0.0.7")]


def test_a_visit_is_marked_only_once_its_time_has_come_and_only_as_visited_or_missed(sessions, clinic, connectors,
                                                                                       clock):
    patient = make_patient(sessions)
    slot = slots_of(sessions, clinic.therapist_post)[0]
    booked = book(sessions, BookingRequest(slot.id, patient.id, identity_of_user(patient), True), connectors)
    manager = make_staff(sessions, "desk@example.org", "manager")
    with pytest.raises(UserError, match="has not come yet"):
        _mark(sessions, booked.ticket_id, manager, T_VISITED)
    clock.current = slot.starts_at
    with pytest.raises(UserError, match="came or missed"):
        _mark(sessions, booked.ticket_id, manager, "cancelled")
    with sessions() as session:
        ticket = session.get(Ticket, booked.ticket_id)
        ticket.status = "cancelled"
        with pytest.raises(UserError, match="Only a confirmed ticket"):
            visits.mark(session, ticket, outcome=T_VISITED, user=manager)
        session.rollback()
    assert _status(sessions, booked.ticket_id) == T_CONFIRMED


def test_a_patient_cannot_rate_an_unmarked_or_missed_visit_but_rates_a_visited_one(sessions, clinic, visit):
    patient, ticket_id = visit
    manager = make_staff(sessions, "desk@example.org", "manager")

    def rate(stars: int) -> None:
        with sessions() as session:
            tickets.rate(session, session.get(Ticket, ticket_id), user_id=patient.id, rating=stars, review="Хорошо")
            session.commit()

    with pytest.raises(UserError, match="not yet marked this visit as attended"):
        rate(5)
    _mark(sessions, ticket_id, manager, T_MISSED)
    with pytest.raises(UserError, match="marked as missed"):
        rate(5)
    _mark(sessions, ticket_id, manager, T_VISITED)
    rate(5)
    with sessions() as session:
        assert session.get(Ticket, ticket_id).rating == 5
    with pytest.raises(Conflict, match="already rated"):  # a rated visit is not turned into a missed one
        _mark(sessions, ticket_id, manager, T_MISSED)


def test_the_reception_day_lists_the_days_tickets_and_which_can_be_marked(sessions, clinic, connectors, clock):
    patient = make_patient(sessions)
    first, second = slots_of(sessions, clinic.therapist_post)[:2]
    other = make_patient(sessions, email="ivan@example.org")
    for who, slot in ((patient, first), (other, second)):
        book(sessions, BookingRequest(slot.id, who.id, identity_of_user(who), True), connectors)
    clock.current = first.starts_at + timedelta(minutes=1)  # the first visit has begun, the second not yet
    day = first.starts_at.date()  # 09:00 local is 04:00 UTC: the same date
    with sessions() as session:
        rows = visits.day_tickets(session, day, institution_id=clinic.institution_id)
        assert [(r.ticket.slot_id, r.markable) for r in rows] == [(first.id, True), (second.id, False)]
        assert [r.ticket.slot_id for r in visits.day_tickets(session, day, doctor_ids=[clinic.surgeon_id])] == []
        assert visits.day_tickets(session, day + timedelta(days=1), institution_id=clinic.institution_id) == []
