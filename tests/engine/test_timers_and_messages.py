"""Timers on the platform clock, and messages delivered by correlation, through the indexes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.workflow import complete_task, correlate_message, fire_due_timers, get_task, inbox, start_instance
from engine.workflow.models import COMPLETED, WAITING, DueTimer, WaitingMessage
from tests.engine.helpers import DOCTOR, MANAGER, PATIENT, instance, only_task, pending, titles


def due_timers(sessions, iid):
    with sessions() as session:
        return [(t.task_name, t.due_at) for t in session.scalars(select(DueTimer).where(DueTimer.instance_id == iid))]


def test_an_intermediate_timer_waits_an_hour_then_a_date(sessions, deploy, clock):
    deploy("timer")
    follow_up = clock.current + timedelta(days=2)
    iid = start_instance(sessions, "timer", PATIENT, {"follow_up_at": follow_up.isoformat()}, patient_id=PATIENT.user_id)
    assert due_timers(sessions, iid) == [("wait_hour", clock.current + timedelta(hours=1))]
    clock.advance(minutes=59)
    assert fire_due_timers(sessions) == 0
    clock.advance(minutes=2)
    assert fire_due_timers(sessions) == 1
    assert due_timers(sessions, iid) == [("wait_until", follow_up)]
    assert pending(sessions, iid) == []
    clock.current = follow_up + timedelta(seconds=1)
    assert fire_due_timers(sessions) == 1
    assert titles(sessions, iid) == ["Rate the consultation"]
    assert due_timers(sessions, iid) == []


def test_a_review_carries_the_due_date_of_its_escalation_timer(sessions, deploy, clock):
    deploy("escalation")
    iid = start_instance(sessions, "escalation", PATIENT, {"doctor_id": DOCTOR.user_id})
    [review] = pending(sessions, iid)
    assert review.due_at == clock.current + timedelta(days=1)  # the earliest boundary timer
    clock.advance(days=1, seconds=1)
    with sessions() as session:
        assert inbox(session, DOCTOR)[0].overdue


def test_a_non_interrupting_timer_reminds_and_the_review_stays_open(sessions, deploy, clock, connectors):
    reminders = []
    connectors._connectors["echo"] = lambda _s, ctx, params: reminders.append(params) or params
    deploy("escalation")
    iid = start_instance(sessions, "escalation", PATIENT, {"doctor_id": DOCTOR.user_id})
    clock.advance(days=1, seconds=1)
    assert fire_due_timers(sessions, connectors=connectors) == 1
    assert reminders == [{"to": DOCTOR.user_id}]
    assert instance(sessions, iid).status == WAITING
    assert titles(sessions, iid) == ["Review the application"]
    assert [name for name, _ in due_timers(sessions, iid)] == ["overdue_timer"]
    assert complete_task(sessions, DOCTOR, iid, only_task(sessions, DOCTOR, iid), {}) == COMPLETED


def test_it_escalates_when_review_is_overdue(sessions, deploy, clock):
    deploy("escalation")
    iid = start_instance(sessions, "escalation", PATIENT, {"doctor_id": DOCTOR.user_id})
    clock.advance(days=3, seconds=1)
    assert fire_due_timers(sessions) == 1
    assert titles(sessions, iid) == ["Reassign the overdue review"]
    with sessions() as session:
        assert inbox(session, DOCTOR) == []
        assert [item.title for item in inbox(session, MANAGER)] == ["Reassign the overdue review"]
    assert due_timers(sessions, iid) == []


def test_a_message_reaches_only_the_instance_with_the_same_correlation(sessions, deploy):
    deploy("message")
    mine = start_instance(sessions, "message", DOCTOR, {"doctor_id": DOCTOR.user_id}, patient_id=5)
    other = start_instance(sessions, "message", DOCTOR, {"doctor_id": DOCTOR.user_id}, patient_id=6)
    with sessions() as session:
        keys = session.scalars(select(WaitingMessage.correlation_key).order_by(WaitingMessage.instance_id)).all()
    assert keys == ['{"patient_id":5}', '{"patient_id":6}']
    assert correlate_message(sessions, "lab_result", {"patient_id": 5}, {"hemoglobin": 131}) == 1
    assert titles(sessions, mine) == ["Read the lab result"]
    assert instance(sessions, other).status == WAITING and pending(sessions, other) == []
    assert correlate_message(sessions, "lab_result", {"patient_id": 5}, {"hemoglobin": 1}) == 0
    assert correlate_message(sessions, "other_message", {"patient_id": 6}, {}) == 0
    with sessions() as session:
        data = get_task(session, DOCTOR, mine, only_task(sessions, DOCTOR, mine)).data
    assert data["lab"]["hemoglobin"] == 131


def waiting_messages(sessions, iid):
    with sessions() as session:
        rows = session.scalars(select(WaitingMessage).where(WaitingMessage.instance_id == iid))
        return [(m.message_name, m.correlation_key) for m in rows]


def test_an_event_based_gateway_is_indexed_for_its_timer_and_its_message(sessions, deploy, clock):
    deploy("event_gateway")
    iid = start_instance(sessions, "event_gateway", PATIENT, {"instructor_id": 30}, patient_id=PATIENT.user_id)
    assert due_timers(sessions, iid) == [("report_or_silence", clock.current + timedelta(days=2))]
    assert waiting_messages(sessions, iid) == [("exercise_report", '{"patient_id":1}')]


def test_a_message_at_an_event_based_gateway_takes_its_branch_and_drops_the_timer(sessions, deploy, clock):
    deploy("event_gateway")
    iid = start_instance(sessions, "event_gateway", PATIENT, {"instructor_id": 30}, patient_id=PATIENT.user_id)
    assert correlate_message(sessions, "exercise_report", {"patient_id": PATIENT.user_id}, {"sets": 3}) == 1
    assert titles(sessions, iid) == ["Read the exercise report"]
    assert due_timers(sessions, iid) == [] and waiting_messages(sessions, iid) == []
    clock.advance(days=3)
    assert fire_due_timers(sessions) == 0
    assert titles(sessions, iid) == ["Read the exercise report"]


def test_a_timer_at_an_event_based_gateway_takes_its_branch_and_the_message_no_longer_waits(sessions, deploy, clock):
    deploy("event_gateway")
    iid = start_instance(sessions, "event_gateway", PATIENT, {"instructor_id": 30}, patient_id=PATIENT.user_id)
    clock.advance(days=1)
    assert fire_due_timers(sessions) == 0
    clock.advance(days=1, seconds=1)
    assert fire_due_timers(sessions) == 1
    assert titles(sessions, iid) == ["Call the patient"]
    assert due_timers(sessions, iid) == [] and waiting_messages(sessions, iid) == []
    assert correlate_message(sessions, "exercise_report", {"patient_id": PATIENT.user_id}) == 0
    assert instance(sessions, iid).status == WAITING


def test_an_event_based_gateway_waiting_for_two_timers_is_refused_at_deploy(sessions, deploy):
    from engine.workflow import DeployError

    two_timers = '<bpmn:timerEventDefinition id="T0"><bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>'
    with pytest.raises(DeployError) as refused:
        deploy("event_gateway", **{'<bpmn:messageEventDefinition id="M1" messageRef="report_msg">': two_timers
                                   + '<bpmn:messageEventDefinition id="M1" messageRef="report_msg">'})
    assert "at most one timer and one message" in str(refused.value)
