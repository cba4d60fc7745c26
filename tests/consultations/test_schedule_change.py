"""The clinic changes a schedule under a consultation's time: the consultation is cancelled through its
pathway (patient and doctor told once, consultation cancelled, time blocked), not left scheduled on a
cancelled ticket; and a consultation's ticket is marked by its session, not by the reception day page.
On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.accounts.models import User
from engine.audit import AuditEntry
from engine.consultations import service
from engine.consultations.models import CANCELLED
from engine.db import transaction
from engine.i18n import Conflict, UserError
from engine.outbox import OutboxMessage
from engine.registry import schedules, visits
from engine.registry.models import BLOCKED, T_CANCELLED, Institution, ScheduleException, Slot, Ticket
from engine.workflow.models import ProcessInstance
from integrations.render import render_message
from tests.consultations.helpers import consultation, do, kinds, tick
from tests.consultations.test_routes import _scheduled_application

REASON = "The clinic changed the doctor's schedule, and this time is no longer available."


def _leave_under(sessions, booked, manager_id: int) -> schedules.Impact:
    """What the manager's «Apply and notify» does in its transaction: a day of leave over the time."""
    with transaction(sessions) as session:
        inst = session.get(Institution, booked.institution_id)
        day = booked.starts_at.date()
        session.add(ScheduleException(institution_id=inst.id, doctor_id=booked.registry_doctor_id, date_from=day,
                                      date_to=day, kind="leave"))
        return schedules.apply_change(session, inst, actor_id=manager_id, base_url="https://carepath.example",
                                      handed_over=lambda s, t: service.of_ticket(s, t.id) is not None)


def test_a_schedule_change_cancels_the_consultation_through_its_pathway_and_tells_each_side_once(
        sessions, deployed, world, clock, tmp_path):
    booked = _scheduled_application(sessions, deployed, world, tmp_path)
    result = _leave_under(sessions, booked, world.manager)
    assert [t.id for t in result.tickets] == [booked.ticket_id]
    assert [t.id for t in result.handed_over] == [booked.ticket_id]
    with sessions() as session:  # committed, not yet cancelled: the ticket waits for its pathway
        assert session.get(Ticket, booked.ticket_id).status == "confirmed"
        assert session.get(Slot, booked.slot_id).status == BLOCKED
    service.cancel_by_clinic(sessions, booked.id, REASON, actor_id=world.manager, connectors=deployed, ip="10.1.1.1")

    cancelled = consultation(sessions, booked.id)
    assert cancelled.status == CANCELLED and cancelled.cancel_reason == REASON
    with sessions() as session:
        ticket = session.get(Ticket, booked.ticket_id)
        assert (ticket.status, ticket.end_reason) == (T_CANCELLED, "schedule_changed")
        assert session.get(Slot, booked.slot_id).status == BLOCKED  # the clinic's block is not undone
        # the pathway ended at its "cancelled" end (engine.workflow.spiff.CANCELLED_END_PREFIX)
        assert session.get(ProcessInstance, booked.process_instance_id).status == "cancelled"
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "consultation_cancelled")).one()
        assert entry.actor_id == world.manager and entry.details["by_clinic"] is True
        [mail] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "consultation_cancelled",
                                                             OutboxMessage.recipient == "patient@example.test"))
    # Once each, and the patient gets no bare-ticket "schedule_changed" message besides.
    assert kinds(sessions, "patient@example.test").count("consultation_cancelled") == 1
    assert kinds(sessions, "doctor@example.test").count("consultation_cancelled") == 1
    assert "schedule_changed" not in kinds(sessions)
    text = render_message(mail.kind, "en", mail.context).text
    assert "cancelled by the clinic" in text and "by the patient" not in text and REASON in text
    with pytest.raises(Conflict):  # a second attempt changes nothing
        service.cancel_by_clinic(sessions, booked.id, REASON, actor_id=world.manager, connectors=deployed)


def test_a_patients_own_cancellation_still_reads_as_the_patients(sessions, deployed, world, clock, tmp_path):
    booked = _scheduled_application(sessions, deployed, world, tmp_path)
    service.cancel(sessions, world.patient, booked.id, "Другие планы", connectors=deployed)
    with sessions() as session:
        assert session.get(Ticket, booked.ticket_id).end_reason == "patient"
        mail = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "consultation_cancelled")).first()
    assert "cancelled by the patient" in render_message(mail.kind, "en", mail.context).text


def test_the_clinic_cannot_cancel_a_consultation_that_has_ended(sessions, deployed, world, clock, tmp_path):
    booked = _scheduled_application(sessions, deployed, world, tmp_path)
    service.cancel(sessions, world.patient, booked.id, "Другие планы", connectors=deployed)
    with pytest.raises(Conflict, match="already cancelled"):
        service.cancel_by_clinic(sessions, booked.id, REASON, actor_id=world.manager, connectors=deployed)


def test_a_consultations_ticket_is_marked_by_its_session_not_by_the_reception_day(sessions, deployed, world, clock,
                                                                                  tmp_path):
    booked = service.book_duty(sessions, world.patient, world.slots["duty_doctor"][0], connectors=deployed)
    do(sessions, deployed, world, "patient", booked.process_instance_id, "consent", {"consent_accepted": True})
    clock.current = booked.starts_at
    with sessions() as session:
        doctor = session.get(User, world.duty_doctor)
        ticket = session.get(Ticket, booked.ticket_id)
        with pytest.raises(UserError, match="online consultation No"):
            visits.mark(session, ticket, outcome="visited", user=doctor)
    for _ in range(2):
        tick(sessions, deployed)
    do(sessions, deployed, world, "duty_doctor", booked.process_instance_id, "hold", {"outcome": "missed"})
    with sessions() as session:
        assert session.get(Ticket, booked.ticket_id).status == "missed"  # the session's own mark stays
