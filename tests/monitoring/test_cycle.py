"""Fourteen simulated days of the monitoring_cycle pathway: evening dispatch, answers, missed days,
every-2-days items, alerts raised by the DMN rules and reviewed by the doctors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from engine.monitoring import alerts, answering, dispatch, questionnaires
from engine.monitoring.models import ALERT_OPEN, ANSWERED, MISSED, SENT, Alert, Questionnaire
from engine.outbox import OutboxMessage
from engine.workflow import Actor, complete_task, fire_due_timers, inbox
from engine.workflow.models import ProcessInstance
from tests.monitoring.conftest import (
    BASE_URL,
    BP_MORNING,
    NAUSEA,
    PAIN,
    PILL_MIDDAY,
    START,
    TEMP_EVERY_2,
    WEIGHT_EVERY_2,
    make_plan,
)


def evening(day_index: int, minute: int = 5) -> datetime:
    # 19:05 in Moscow (UTC+3) on the plan's day `day_index`.
    return datetime(2026, 3, 2, 16, minute, tzinfo=UTC) + timedelta(days=day_index)


def tick(sessions, connectors, clock, moment: datetime) -> dispatch.DispatchReport:
    clock.current = moment
    fire_due_timers(sessions, connectors=connectors)
    return dispatch.dispatch_evening(sessions, base_url=BASE_URL, connectors=connectors)


def invitations(sessions, patient_id: int | None = None) -> list[OutboxMessage]:
    with sessions() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "monitoring_invitation").order_by(OutboxMessage.id)
        if patient_id is not None:
            query = query.where(OutboxMessage.user_id == patient_id)
        return list(session.scalars(query))


def questionnaire(sessions, patient_id: int, day_index: int) -> Questionnaire:
    with sessions() as session:
        found = questionnaires.get_for_patient(session, patient_id, START + timedelta(days=day_index))
        assert found is not None
        session.expunge(found)
        return found


def due_titles(sessions, q: Questionnaire) -> list[str]:
    with sessions() as session:
        return [i.title for i in questionnaires.items_of(session, session.get(Questionnaire, q.id))]


def answers_for(sessions, q: Questionnaire, *, systolic=120, diastolic=80, pain=0, nausea=0, temperature=36.6):
    with sessions() as session:
        items = questionnaires.items_of(session, session.get(Questionnaire, q.id))
        result = {}
        for item in items:
            if item.code == "bp":
                result[str(item.id)] = {"value": systolic, "value2": diastolic}
            elif item.code == "weight":
                result[str(item.id)] = {"value": "71,5"}
            elif item.code == "temperature":
                result[str(item.id)] = {"value": temperature}
            elif item.kind == "medication":
                result[str(item.id)] = {"taken": True}
            elif item.title == "Pain":
                result[str(item.id)] = {"choice": pain}
            elif item.title == "Nausea":
                result[str(item.id)] = {"choice": nausea}
        return result


def test_fourteen_days_with_every_2_days_items_missed_days_and_alerts(world, sessions, connectors, clock):
    make_plan(sessions, world.doctor.id, world.patient.id, [BP_MORNING, WEIGHT_EVERY_2, PILL_MIDDAY, PAIN])
    make_plan(sessions, world.doctor2.id, world.patient.id, [TEMP_EVERY_2, NAUSEA], invite_time="20:00")
    patient = Actor(world.patient.id, frozenset({"patient"}))
    skipped = {3, 8, 11}
    opened_only = 8  # the patient opens this day's questionnaire but never sends it

    for day in range(14):
        # Before the evening nothing is sent; at 19:05 one email, and a second run sends nothing more.
        assert tick(sessions, connectors, clock, evening(day) - timedelta(hours=2)).due == 0
        report = tick(sessions, connectors, clock, evening(day))
        assert (report.started, report.invited) == (1, 1)
        # The day is opened and invited in bulk; its pathway starts when the patient opens it.
        assert questionnaire(sessions, world.patient.id, day).instance_id is None
        assert tick(sessions, connectors, clock, evening(day, minute=40)).due == 0
        assert tick(sessions, connectors, clock, evening(day, minute=5) + timedelta(hours=1)).due == 0  # 20:05
        assert len(invitations(sessions, world.patient.id)) == day + 1

        q = questionnaire(sessions, world.patient.id, day)
        titles = due_titles(sessions, q)
        # Every-2-days items are due on the plan's days 1, 3, 5... only.
        assert ("Weight" in titles) == (day % 2 == 0)
        assert ("Body temperature" in titles) == (day % 2 == 0)
        assert {"Blood pressure", "Bisoprolol", "Pain", "Nausea"} <= set(titles)

        clock.advance(hours=2)
        if day == opened_only:
            answering.open_from_cabinet(sessions, world.patient.id, "Europe/Moscow", q.day, base_url=BASE_URL,
                                        connectors=connectors)
            assert questionnaire(sessions, world.patient.id, day).instance_id is not None
        if day in skipped:
            continue
        values = {"systolic": 165, "diastolic": 95} if day == 4 else {}
        if day == 6:
            values = {"nausea": 2}
        if day == 10:
            values = {"systolic": 170, "diastolic": 100, "pain": 8, "temperature": 38.4}
        answering.send(sessions, patient, q.id, {"answers": answers_for(sessions, q, **values), "comment": "ok"},
                       connectors=connectors)

    clock.current = evening(14) + timedelta(hours=1)
    fire_due_timers(sessions, connectors=connectors)
    assert dispatch.sweep_missed(sessions) == 0  # the evening ticks already marked the unopened days

    with sessions() as session:
        statuses = dict(session.execute(select(Questionnaire.day, Questionnaire.status)).all())
        assert [d.day for d, s in sorted(statuses.items()) if s == MISSED] == [5, 10, 13]  # March 5, 10, 13
        assert sum(1 for s in statuses.values() if s == ANSWERED) == 11
        assert SENT not in statuses.values()
        # Only days the patient opened have a pathway: days 3 and 11 were missed by the dispatch's sweep,
        # day 8 (opened, never sent) by its instance's deadline timer.
        instances = dict(session.execute(select(Questionnaire.day, Questionnaire.instance_id)).all())
        assert [d.day for d, i in sorted(instances.items()) if i is None] == [5, 13]
        assert session.scalar(select(ProcessInstance.status).where(
            ProcessInstance.id == instances[START + timedelta(days=opened_only)])) == "completed"
        # One email per day, covering both doctors' plans.
        emails = invitations(sessions)
        assert len(emails) == 14
        assert len({m.dedupe_key for m in emails}) == 14
        assert emails[0].context["doctors"] == ["House doc@t", "Watson doc2@"]
        assert emails[0].context["link"] == f"{BASE_URL}/monitoring/days/2026-03-02"
        open_alerts = session.execute(
            select(Alert.doctor_id, Alert.day, Alert.level).where(Alert.status == ALERT_OPEN).order_by(Alert.id)
        ).all()
        # The alert mails carry each measured value's amount and unit (a msgid) apart, so the doctor's mail
        # writes «168/96 мм рт. ст.» in Russian (integrations/render.py), not "168/96 mmHg".
        mailed = [v for m in session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "monitoring_alert"))
                  for v in m.context["values"]]
        assert {v.get("unit") for v in mailed} >= {"mmHg"}
        assert all(v["value"] == f"{v['amount']} {v['unit']}" for v in mailed if v.get("unit"))
        assert {m.context["day"] for m in session.scalars(select(OutboxMessage)
                                                          .where(OutboxMessage.kind == "monitoring_alert"))} >= {"2026-03-06"}
    # Day 4 (March 6): BP beyond doctor 1's thresholds. Day 6: vomiting, at doctor 2's alert level.
    # Day 10: BP (doctor 1) and temperature (doctor 2) beyond thresholds: two values, urgent, to both.
    assert [(d, day.day, level) for d, day, level in open_alerts] == [
        (world.doctor.id, 6, "warning"), (world.doctor2.id, 8, "warning"),
        (world.doctor.id, 12, "urgent"), (world.doctor2.id, 12, "urgent"),
    ]

    doctor = Actor(world.doctor.id, frozenset({"doctor"}))
    with sessions() as session:
        listed = alerts.monitored_patients(session, world.doctor.id)
        assert [(p.patient_id, p.open_alerts) for p in listed] == [(world.patient.id, 2)]
        tasks = inbox(session, doctor)
        assert [t.title for t in tasks] == ["Review the monitoring alert"] * 2
        assert inbox(session, Actor(world.doctor2.id, frozenset({"doctor"})))[0].patient_id == world.patient.id
    complete_task(sessions, doctor, tasks[0].instance_id, tasks[0].task_guid, {"action": "contacted", "note": "called"},
                  connectors=connectors)
    with sessions() as session:
        assert alerts.monitored_patients(session, world.doctor.id)[0].open_alerts == 1
        closed = session.scalar(select(func.count()).select_from(Alert).where(Alert.note == "called"))
        assert closed == 1


def test_the_dispatch_opens_and_invites_in_chunks_once_and_skips_a_day_opened_from_the_cabinet(
    world, sessions, connectors, clock, monkeypatch
):
    for patient_id in (world.patient.id, world.other_patient.id):
        make_plan(sessions, world.doctor.id, patient_id, [BP_MORNING, PAIN])
    # At noon the other patient answers from the cabinet: their day starts its pathway and has no invitation.
    clock.current = evening(0) - timedelta(hours=7)
    early = answering.open_from_cabinet(sessions, world.other_patient.id, "Europe/Moscow", START, base_url=BASE_URL,
                                        connectors=connectors)
    assert early.instance_id is not None and early.origin == "cabinet"

    monkeypatch.setattr(dispatch, "CHUNK", 1)
    first = tick(sessions, connectors, clock, evening(0))
    second = tick(sessions, connectors, clock, evening(0, minute=10))
    assert (first.due, first.started, first.invited) == (1, 1, 1)
    assert (second.due, second.started, second.invited) == (0, 0, 0)
    assert [m.user_id for m in invitations(sessions)] == [world.patient.id]

    # The invitation's link opens the day: its instance starts now and takes the opened day over.
    day = answering.open_from_cabinet(sessions, world.patient.id, "Europe/Moscow", START, base_url=BASE_URL,
                                      connectors=connectors)
    again = answering.open_from_cabinet(sessions, world.patient.id, "Europe/Moscow", START, base_url=BASE_URL,
                                        connectors=connectors)
    assert day.origin == "schedule" and day.instance_id is not None and again.instance_id == day.instance_id
    with sessions() as session:
        assert answering.pending_answer(session, session.get(Questionnaire, day.id)) is not None
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 2


def test_a_day_opened_after_its_deadline_is_missed_and_starts_no_pathway(world, sessions, connectors, clock):
    make_plan(sessions, world.doctor.id, world.patient.id, [BP_MORNING])
    tick(sessions, connectors, clock, evening(0))
    clock.current = evening(1) - timedelta(minutes=1)  # 19:04 the next day: past the 19:00 deadline
    late = answering.open_from_cabinet(sessions, world.patient.id, "Europe/Moscow", START, base_url=BASE_URL,
                                       connectors=connectors)
    assert late.status == MISSED and late.instance_id is None
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0
