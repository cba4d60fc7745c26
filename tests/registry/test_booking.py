"""Booking scenarios through the engine: the `ticket_booking` pathway with the registry's connectors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.audit import AuditEntry
from engine.i18n import Conflict, UserError
from engine.registry import tickets, visits
from engine.registry.booking import BookingRequest, book, submit_code
from engine.registry.identity import identity_of_user
from engine.registry.models import (
    BOOKED,
    FREE,
    HELD,
    T_ANNULLED,
    T_CANCELLED,
    T_CONFIRMED,
    T_HELD,
    T_VISITED,
    Slot,
    Ticket,
)
from engine.workflow import fire_due_timers
from engine.workflow.models import COMPLETED, ProcessInstance
from tests.registry.conftest import (
    book_anonymously,
    code_of,
    make_patient,
    make_staff,
    person,
    sent,
    slots_of,
)


def ticket(sessions, ticket_id: int) -> Ticket:
    with sessions() as session:
        return session.get(Ticket, ticket_id)


def slot_status(sessions, slot_id: int) -> str:
    with sessions() as session:
        return session.get(Slot, slot_id).status


def test_a_person_without_an_account_books_and_confirms_with_the_emailed_code(sessions, clinic, connectors):
    slot = slots_of(sessions, clinic.therapist_post)[3]
    booked = book_anonymously(sessions, connectors, slot.id)
    assert booked.status == T_HELD and booked.number.startswith("1002")
    assert slot_status(sessions, slot.id) == HELD
    [message] = sent(sessions, "ticket_code")
    assert message.recipient == "anna@example.net" and message.channel == "email"
    assert len(code_of(message)) == 6
    assert message.context["link"].endswith(booked.token)
    with sessions() as session:
        stored = session.get(Ticket, booked.ticket_id)
        assert code_of(message) not in (stored.code_hash or "")  # only the hash is kept

    after = submit_code(sessions, booked.ticket_id, code_of(message), connectors)
    assert after.status == T_CONFIRMED
    assert slot_status(sessions, slot.id) == BOOKED
    [mail] = sent(sessions, "ticket_confirmed")
    assert mail.context["number"] == booked.number and "Григорьева" in mail.context["doctor"]
    with sessions() as session:
        assert session.get(ProcessInstance, after.process_instance_id).status == COMPLETED
        assert session.scalar(select(AuditEntry.action).where(AuditEntry.object_id == str(after.id))) == "booking"


def test_a_wrong_code_is_refused_with_the_attempts_left_and_the_fifth_annuls_the_hold(sessions, clinic, connectors):
    slot = slots_of(sessions, clinic.therapist_post)[0]
    booked = book_anonymously(sessions, connectors, slot.id)
    right = code_of(sent(sessions, "ticket_code")[0])
    wrong = "000000" if right != "000000" else "111111"
    for attempt in range(1, 5):
        after = submit_code(sessions, booked.ticket_id, wrong, connectors)
        assert after.status == T_HELD and after.code_attempts == attempt
    with pytest.raises(UserError, match="6 digits"):
        submit_code(sessions, booked.ticket_id, "12ab", connectors)  # malformed: no attempt used
    assert ticket(sessions, booked.ticket_id).code_attempts == 4
    after = submit_code(sessions, booked.ticket_id, wrong, connectors)
    assert after.status == T_ANNULLED and after.end_reason == "wrong_code"
    assert slot_status(sessions, slot.id) == FREE
    assert [m.recipient for m in sent(sessions, "ticket_annulled")] == ["anna@example.net"]
    with pytest.raises(UserError, match="no longer waiting"):
        submit_code(sessions, booked.ticket_id, right, connectors)


def test_it_annuls_an_unconfirmed_ticket_after_an_hour(sessions, clinic, connectors, clock):
    slot = slots_of(sessions, clinic.therapist_post)[1]
    booked = book_anonymously(sessions, connectors, slot.id, channel="sms")
    [code] = sent(sessions, "ticket_code")
    assert code.channel == "sms" and code.recipient == "+79123456789"
    right = code_of(code)
    submit_code(sessions, booked.ticket_id, "999999" if right != "999999" else "888888", connectors)
    clock.advance(minutes=59)
    assert fire_due_timers(sessions, connectors=connectors) == 0
    assert ticket(sessions, booked.ticket_id).status == T_HELD  # a wrong code did not restart the hour
    clock.advance(minutes=2)
    assert fire_due_timers(sessions, connectors=connectors) == 1
    after = ticket(sessions, booked.ticket_id)
    assert after.status == T_ANNULLED and after.end_reason == "timeout"
    assert slot_status(sessions, slot.id) == FREE
    [annulled] = sent(sessions, "ticket_annulled")
    assert annulled.channel == "sms" and annulled.recipient == "+79123456789"
    with pytest.raises(UserError):
        submit_code(sessions, booked.ticket_id, right, connectors)


def test_a_time_taken_meanwhile_is_refused_with_a_clear_message(sessions, clinic, connectors):
    slot = slots_of(sessions, clinic.therapist_post)[2]
    book_anonymously(sessions, connectors, slot.id)
    with pytest.raises(Conflict) as refused:
        book_anonymously(sessions, connectors, slot.id, person(doc_number="9999 8888 7777 6666"))
    assert refused.value.message == "The selected time is no longer available."
    with sessions() as session:
        assert session.scalar(select(func.count(Ticket.id)).where(Ticket.slot_id == slot.id)) == 1


def test_the_pathway_itself_refuses_a_slot_taken_after_the_precheck(sessions, clinic, connectors):
    """The race the pre-check cannot see: the hold's conditional UPDATE loses and nothing is booked."""
    slot = slots_of(sessions, clinic.therapist_post)[2]
    original = tickets.hold

    def hold_after_someone_else(session, **kwargs):
        session.execute(Slot.__table__.update().where(Slot.id == slot.id).values(status=HELD))
        return original(session, **kwargs)

    tickets.hold = hold_after_someone_else
    try:
        with pytest.raises(Conflict, match="no longer available"):
            book_anonymously(sessions, connectors, slot.id)
    finally:
        tickets.hold = original
    with sessions() as session:
        assert session.scalar(select(func.count(Ticket.id))) == 0


def test_a_person_cannot_hold_two_tickets_at_the_same_time(sessions, clinic, connectors):
    therapist = slots_of(sessions, clinic.therapist_post)[0]
    surgeon = slots_of(sessions, clinic.surgeon_post)[0]
    assert therapist.starts_at == surgeon.starts_at
    first = book_anonymously(sessions, connectors, therapist.id)
    with pytest.raises(UserError, match=f"already hold ticket No. {first.number}"):
        book_anonymously(sessions, connectors, surgeon.id)
    # Another person may; and the same person at a different time too.
    book_anonymously(sessions, connectors, surgeon.id, person(doc_type="snils", doc_number="112-233-445 95"))
    book_anonymously(sessions, connectors, slots_of(sessions, clinic.surgeon_post)[5].id)


def test_a_cabinet_booking_is_confirmed_at_once_and_sends_no_code(sessions, clinic, connectors):
    patient = make_patient(sessions, oms_policy="1111222233334444")
    slot = slots_of(sessions, clinic.surgeon_post)[4]
    request = BookingRequest(slot_id=slot.id, user_id=patient.id, identity=identity_of_user(patient),
                             from_cabinet=True, channel="sms", base_url="http://portal.test")
    booked = book(sessions, request, connectors)
    assert booked.status == T_CONFIRMED
    assert sent(sessions, "ticket_code") == []
    [mail] = sent(sessions, "ticket_confirmed")
    assert mail.channel == "email" and mail.recipient == "maria@example.org"  # no SMS from the cabinet
    assert mail.context["link"] == "http://portal.test/registry/my"
    # The same OMS policy booking without an account at an overlapping time is the same person.
    overlapping = [s for s in slots_of(sessions, clinic.therapist_post) if s.starts_at == slot.starts_at][0]
    with pytest.raises(UserError, match="already hold"):
        book_anonymously(sessions, connectors, overlapping.id, person(doc_number="1111222233334444"))


def test_a_patient_cancels_a_confirmed_ticket_and_the_slot_is_free_again(sessions, clinic, connectors):
    patient = make_patient(sessions)
    other = make_patient(sessions, email="other@example.org")
    slot = slots_of(sessions, clinic.surgeon_post)[6]
    booked = book(sessions, BookingRequest(slot.id, patient.id, identity_of_user(patient), True), connectors)
    with sessions() as session:
        with pytest.raises(UserError, match="not yours"):
            tickets.cancel(session, session.get(Ticket, booked.ticket_id), user_id=other.id)
        mine = session.get(Ticket, booked.ticket_id)
        tickets.cancel(session, mine, user_id=patient.id, ip="10.0.0.2")
        session.commit()
    assert ticket(sessions, booked.ticket_id).status == T_CANCELLED
    assert slot_status(sessions, slot.id) == FREE
    with sessions() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.subject_id == patient.id)).all()
    assert actions == ["booking", "cancellation"]
    # The freed time can be booked again.
    assert book_anonymously(sessions, connectors, slot.id).status == T_HELD


def test_a_past_visit_can_be_rated_once_it_has_taken_place(sessions, clinic, connectors, clock):
    patient = make_patient(sessions)
    slot = slots_of(sessions, clinic.therapist_post)[0]
    booked = book(sessions, BookingRequest(slot.id, patient.id, identity_of_user(patient), True), connectors)
    with sessions() as session:
        mine = session.get(Ticket, booked.ticket_id)
        with pytest.raises(UserError, match="taken place"):
            tickets.rate(session, mine, user_id=patient.id, rating=5)
    clock.current = slot.ends_at + timedelta(minutes=1)
    registry_desk = make_staff(sessions, "desk@example.org", "manager")
    with sessions() as session:
        mine = session.get(Ticket, booked.ticket_id)
        with pytest.raises(UserError, match="no longer be cancelled"):
            tickets.cancel(session, mine, user_id=patient.id)
        with pytest.raises(UserError, match="not yet marked this visit as attended"):
            tickets.rate(session, mine, user_id=patient.id, rating=4)
        visits.mark(session, mine, outcome=T_VISITED, user=registry_desk)
        with pytest.raises(UserError, match="1 to 5"):
            tickets.rate(session, mine, user_id=patient.id, rating=6)
        tickets.rate(session, mine, user_id=patient.id, rating=4, review="Внимательный врач")
        session.commit()
    rated = ticket(sessions, booked.ticket_id)
    assert (rated.rating, rated.review) == (4, "Внимательный врач")


def test_a_time_in_the_past_cannot_be_booked(sessions, clinic, connectors, clock):
    slot = slots_of(sessions, clinic.therapist_post)[0]
    clock.current = slot.starts_at + timedelta(minutes=5)
    with pytest.raises(UserError, match="already passed"):
        book_anonymously(sessions, connectors, slot.id)


def test_the_ticket_mail_carries_the_visit_as_an_ics_attachment(sessions, clinic, connectors, smtp_server):
    from icalendar import Calendar

    from engine import outbox
    from tests.mail.test_outbox import smtp_courier

    slot = slots_of(sessions, clinic.therapist_post)[2]
    booked = book_anonymously(sessions, connectors, slot.id)
    confirmed = submit_code(sessions, booked.ticket_id, code_of(sent(sessions, "ticket_code")[0]), connectors)
    outbox.deliver_due(sessions, lambda: smtp_courier(smtp_server.url))
    [mail] = [r for r in smtp_server.received if f"ticket-{confirmed.number}.ics" in r.message.as_string()]
    [ics] = [p for p in mail.message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert ics.get_filename() == f"ticket-{confirmed.number}.ics"
    [event] = Calendar.from_ical(ics.get_content()).walk("VEVENT")
    assert event.decoded("dtstart") == confirmed.starts_at and event.decoded("dtend") == confirmed.ends_at
    assert str(event["summary"]) == mail.message["Subject"] and "Григорьева" in str(event["description"])


def test_a_ticket_without_an_account_is_found_for_cancelling_only_by_its_number_and_identity(sessions, clinic, connectors):
    slot = slots_of(sessions, clinic.therapist_post)[4]
    booked = book_anonymously(sessions, connectors, slot.id)
    confirmed = submit_code(sessions, booked.ticket_id, code_of(sent(sessions, "ticket_code")[0]), connectors)
    [mail] = sent(sessions, "ticket_confirmed")
    assert mail.context["cancel_link"] == f"http://portal.test/registry/cancel?number={confirmed.number}"
    with sessions() as session:
        for number, who in ((confirmed.number, "0000000000000000"), ("100200999", confirmed.doc_number), ("", "")):
            with pytest.raises(UserError) as refused:
                tickets.ticket_for_identity(session, number, who)
            assert refused.value.message == "There is no ticket with this number for this person."
        spaced = " ".join(confirmed.doc_number[i:i + 4] for i in range(0, len(confirmed.doc_number), 4))
        found = tickets.ticket_for_identity(session, confirmed.number, spaced)
        tickets.cancel_by_identity(session, found, ip="10.0.0.9")
        session.commit()
    assert ticket(sessions, confirmed.id).status == T_CANCELLED and slot_status(sessions, slot.id) == FREE
    with sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "cancellation")).one()
        assert entry.actor_id is None and entry.ip == "10.0.0.9" and entry.details["via"] == "identity"
