"""Rebuilding an instance's index rows (pending tasks, due timers, waiting messages) from its workflow.

Runs inside every engine step's transaction, right after the state is saved, so the indexes never
disagree with the state that readers will load.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Connection, bindparam

from engine.clock import now
from engine.workflow import sandbox, spiff
from engine.workflow.access import resolve_assignment
from engine.workflow.models import NO_DUE_DATE, DueTimer, PendingTask, WaitingMessage


def correlation_key(values: dict[str, Any] | None) -> str:
    """Canonical text of correlation values, so equal values match by plain SQL equality."""
    return json.dumps(values or {}, sort_keys=True, separators=(",", ":"), default=str)


def task_properties(task: Any) -> dict[str, str]:
    extensions = getattr(task.task_spec, "extensions", None) or {}
    return extensions.get("properties", {}) or {}


def task_title(task: Any) -> str:
    return task.task_spec.bpmn_name or task.task_spec.bpmn_id or task.task_spec.name


# Built once: an engine step runs these every time, and building statements costs more than running them.
_PENDING, _TIMERS, _MESSAGES = PendingTask.__table__, DueTimer.__table__, WaitingMessage.__table__
_CLEAR = [t.delete().where(t.c.instance_id == bindparam("instance_id")) for t in (_TIMERS, _MESSAGES)]
# RETURNING hands back the claims of the rows it deletes (SQLite >= 3.35 and PostgreSQL both have it).
_CLEAR_PENDING = (
    _PENDING.delete()
    .where(_PENDING.c.instance_id == bindparam("instance_id"))
    .returning(_PENDING.c.task_guid, _PENDING.c.claimed_by)
)


class IndexedInstance(Protocol):
    id: int
    process_model_id: str
    version_id: int
    process_sources: dict[str, int | None]


def clear(conn: Connection, instance_id: int) -> dict[str, int]:
    """Delete the instance's index rows; returns the claims that were on its pending tasks."""
    for statement in _CLEAR:
        conn.execute(statement, {"instance_id": instance_id})
    rows = conn.execute(_CLEAR_PENDING, {"instance_id": instance_id}).all()
    return {guid: claimed_by for guid, claimed_by in rows if claimed_by is not None}


def rebuild(conn: Connection, instance: IndexedInstance, workflow: Any, patient_id: int | None) -> None:
    # A claim belongs to the pending task, not to the workflow state: it survives the rebuild.
    claims = clear(conn, instance.id)
    created = now()
    pending = [
        _pending_row(instance, task, patient_id, claims, created)
        for task in workflow.get_tasks(state=TaskState.READY, manual=True)
    ]
    timers, messages = [], []
    for task in workflow.event_manager.tasks.values():
        if task.state != TaskState.WAITING:
            continue
        definition = task.task_spec.event_definition
        if isinstance(definition, spiff.ClockTimeDateEvent | spiff.ClockDurationEvent):
            due = spiff.timer_due_at(task)
            if due is not None:
                timers.append(
                    {"instance_id": instance.id, "task_guid": str(task.id), "task_name": task.task_spec.bpmn_id or "", "due_at": due}
                )
        elif isinstance(definition, MessageEventDefinition):
            messages.append(
                {
                    "instance_id": instance.id,
                    "task_guid": str(task.id),
                    "message_name": definition.name,
                    "correlation_key": correlation_key(_expected_correlation(definition, task)),
                }
            )
    for table, rows in ((_PENDING, pending), (_TIMERS, timers), (_MESSAGES, messages)):
        if rows:
            conn.execute(table.insert(), rows)


def _pending_row(
    instance: IndexedInstance,
    task: Any,
    patient_id: int | None,
    claims: dict[str, int],
    created: datetime,
) -> dict[str, Any]:
    lane = task.task_spec.lane
    assignment = resolve_assignment(lane or "", task.data)
    properties = task_properties(task)
    due = _boundary_due_at(task)
    source = instance.process_sources.get(task.workflow.spec.name)
    guid = str(task.id)
    return {
        "instance_id": instance.id,
        "process_model_id": instance.process_model_id,
        "task_guid": guid,
        "task_name": task.task_spec.bpmn_id or task.task_spec.name,
        "title": task_title(task)[:300],
        "lane": lane,
        "role": assignment.role,
        "assignee_user_id": assignment.assignee_user_id,
        "candidate_group": assignment.candidate_group,
        "claimed_by": claims.get(guid),
        "patient_id": patient_id,
        "form_filename": properties.get("formJsonSchemaFilename"),
        "form_version_id": source or instance.version_id,
        "due_at": due,
        "sort_at": due or NO_DUE_DATE,
        "created_at": created,
    }


def _boundary_due_at(task: Any) -> datetime | None:
    """A task's due date is its earliest timer boundary event: "review within 3 days, else escalate"."""
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return None
    dues = [spiff.timer_due_at(sibling) for sibling in parent.children if sibling is not task]
    dues = [due for due in dues if due is not None]
    return min(dues) if dues else None


def _expected_correlation(definition: MessageEventDefinition, task: Any) -> dict[str, Any]:
    """The values this catch expects, read from the task data by the BPMN retrieval expressions."""
    values: dict[str, Any] = {}
    for prop in definition.correlation_properties:
        try:
            values[prop.name] = sandbox.evaluate(prop.retrieval_expression, task.data)
        except Exception:  # a value the process does not have yet matches nothing, by design
            values[prop.name] = None
    return values
