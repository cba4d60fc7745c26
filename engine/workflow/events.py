"""Things that happen to instances without a person: timers falling due and messages arriving.
Both find their instances through index rows (due_timer, waiting_message), never by loading workflows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.clock import now
from engine.i18n import Conflict
from engine.workflow import indexes
from engine.workflow.connectors import ConnectorRegistry
from engine.workflow.models import WAITING, DueTimer, ProcessInstance, WaitingMessage
from engine.workflow.steps import SessionFactory, Step, advance, run_step


def fire_due_timers(
    session_factory: SessionFactory,
    now_: datetime | None = None,
    connectors: ConnectorRegistry | None = None,
    limit: int = 500,
) -> int:
    """The timer tick: step the instances whose timers are due; returns how many were stepped."""
    moment = now_ or now()
    with session_factory() as session:
        due = session.scalars(
            select(DueTimer.instance_id)
            .join(ProcessInstance, ProcessInstance.id == DueTimer.instance_id)
            .where(DueTimer.due_at <= moment, ProcessInstance.status == WAITING)
            .group_by(DueTimer.instance_id)
            .order_by(DueTimer.instance_id)
            .limit(limit)
        ).all()

    return fire_instances(session_factory, due, connectors)[0]


def fire_instances(
    session_factory: SessionFactory, instance_ids: Sequence[int], connectors: ConnectorRegistry | None = None
) -> tuple[int, list[int]]:
    """Step these instances for their due timers; returns (how many were stepped, the ids that lost a race)."""

    def act(step: Step) -> None:
        step.workflow.refresh_timers()
        step.events.append(("timer", ""))
        advance(step)

    fired, lost = 0, []
    for instance_id in instance_ids:
        try:
            run_step(session_factory, instance_id, act, connectors)
            fired += 1
        except Conflict:
            lost.append(instance_id)  # someone stepped it meanwhile; a timer still due is picked up next time
    return fired, lost


def correlate_message(
    session_factory: SessionFactory,
    name: str,
    correlation: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    instance_id: int | None = None,
    connectors: ConnectorRegistry | None = None,
) -> int:
    """Deliver a BPMN message to the instances waiting for it with exactly these correlation values
    (the message's correlation properties, e.g. {"patient_id": 5}); returns how many caught it."""
    key = indexes.correlation_key(correlation)
    with session_factory() as session:
        query = select(WaitingMessage.instance_id, WaitingMessage.task_guid).where(
            WaitingMessage.message_name == name, WaitingMessage.correlation_key == key
        )
        if instance_id is not None:
            query = query.where(WaitingMessage.instance_id == instance_id)
        targets = session.execute(query.order_by(WaitingMessage.id)).all()
    body = {**(correlation or {}), **(payload or {})}
    caught = 0
    for target_instance, task_guid in targets:

        def act(step: Step, guid: str = task_guid) -> bool:
            task = step.workflow.get_task_from_id(UUID(guid))
            if task is None or task.state != TaskState.WAITING:
                return False
            definition = indexes.message_definition(task, name)  # an event-based gateway holds several
            if definition is None:
                return False
            keys = {
                k: {p.name: body.get(p.name) for p in definition.correlation_properties if k in p.correlation_keys}
                for p in definition.correlation_properties
                for k in p.correlation_keys
            }
            try:
                step.workflow.send_event(BpmnEvent(definition, dict(body), keys))
            except WorkflowException:
                return False
            step.events.append(("message", name))
            advance(step)
            return True

        try:
            caught += bool(run_step(session_factory, target_instance, act, connectors))
        except Conflict:
            continue
    return caught


