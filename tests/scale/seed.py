"""What the simulated people find when they arrive: patient accounts, a task each, a BPMN timer each that
fires during the run and mails them, pending conclusions the workers sign, free times to book."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

PASSWORD = "scale-test-password"

TASK_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="scale_task" isExecutable="true">
    <bpmn:laneSet id="L"><bpmn:lane id="Lane_patient" name="patient"><bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>read</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="read" name="Read the care plan"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="read" />
    <bpmn:sequenceFlow id="f2" sourceRef="read" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""

# The timer fires during the run on whichever worker claims it; the mail it sends has no dedupe key, so
# a timer fired twice would show as two messages (and as `fired` = 2).
TIMER_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="scale_timer" isExecutable="true">
    <bpmn:laneSet id="L"><bpmn:lane id="Lane_patient" name="patient"><bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>wait</bpmn:flowNodeRef><bpmn:flowNodeRef>count</bpmn:flowNodeRef><bpmn:flowNodeRef>mail</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait" name="At the due time"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="T"><bpmn:timeDate>due_at</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:scriptTask id="count" name="Count the firing"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>fired = fired + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:serviceTask id="mail" name="Invite">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="send_notification" resultVariable="sent">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="kind" type="str" value="&quot;monitoring_invitation&quot;" />
            <spiffworkflow:parameter id="to" type="str" value="&quot;patient&quot;" />
            <spiffworkflow:parameter id="context" type="dict" value="{&quot;day&quot;: &quot;today&quot;, &quot;link&quot;: &quot;http://127.0.0.1/monitoring/&quot;, &quot;doctors&quot;: [], &quot;sections&quot;: [], &quot;questions&quot;: 0}" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="count" />
    <bpmn:sequenceFlow id="f3" sourceRef="count" targetRef="mail" />
    <bpmn:sequenceFlow id="f4" sourceRef="mail" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def patient_email(k: int) -> str:
    return f"scale-{k}@example.org"


def seed(sessions: Any, settings: Any, patients: int, timers_from: datetime, timers_within: float) -> dict[str, Any]:
    """Accounts, tasks, timers and pending conclusions; returns what the people and the checks need."""
    from engine.accounts.models import ACTIVE, User, UserRole
    from engine.accounts.service import hash_password
    from engine.composition import build_connectors
    from engine.conclusions.service import request_conclusion
    from engine.db import transaction
    from engine.demo import demo_email
    from engine.registry.models import FREE, Slot
    from engine.workflow import deploy_model, start_instances
    from workflows.enqueue import wake_after_commit

    connectors = build_connectors(settings)
    wake_after_commit(sessions, settings)  # the conclusions requested below wake the signing task
    secret = hash_password(PASSWORD)  # one hash for all: argon2 takes ~0.2 s each
    with transaction(sessions) as session:
        people = []
        for k in range(patients):
            user = User(email=patient_email(k), last_name="Нагрузка", first_name=f"Пациент{k}",
                        birth_date=date(1970, 1, 1) + timedelta(days=k), status=ACTIVE, password_hash=secret,
                        email_confirmed_at=datetime.now(UTC), created_at=datetime.now(UTC), locale="en")
            user.roles = [UserRole(role="patient")]
            session.add(user)
            people.append(user)
        session.flush()
        ids = [p.id for p in people]
        doctor = session.scalars(select(User).where(User.email == demo_email("doctor"))).one()
        for pid in ids:
            request_conclusion(session, patient_id=pid, doctor_id=doctor.id, reference=f"scale-{pid}",
                               diagnosis_code="I10", diagnosis_text="Эссенциальная гипертензия",
                               findings="Давление 150/95.", recommendations="Контроль давления утром и вечером.",
                               follow_up="")
        deploy_model(session, "scale_task", {"scale_task.bpmn": TASK_BPMN.encode()}, connectors=connectors)
        deploy_model(session, "scale_timer", {"scale_timer.bpmn": TIMER_BPMN.encode()}, connectors=connectors)
        slots = list(session.scalars(select(Slot.id).where(Slot.status == FREE,
                                                           Slot.starts_at > datetime.now(UTC) + timedelta(days=1))
                                     .order_by(Slot.starts_at).limit(max(10, patients // 2))))
    start_instances(sessions, "scale_task", None, [({"patient_id": pid}, pid) for pid in ids], connectors)
    step = timers_within / max(1, len(ids) - 1)
    timers = [({"patient_id": pid, "fired": 0,
                "due_at": (timers_from + timedelta(seconds=step * i)).isoformat()}, pid) for i, pid in enumerate(ids)]
    timer_instances = start_instances(sessions, "scale_timer", None, timers, connectors)
    return {"patients": [patient_email(k) for k in range(patients)], "password": PASSWORD, "slots": slots,
            "patient_ids": ids, "timer_instances": timer_instances}
