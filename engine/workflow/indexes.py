"""Keeping an instance's index rows (pending tasks, due timers, waiting messages) in line with its workflow.

Runs inside every engine step's transaction, right after the state is saved, so the indexes never
disagree with the state that readers will load. The rows the state implies (`collect`) are compared with
the rows present (`current`, or the copy the workflow cache kept from the previous step) and only the
difference is written: a step that completes one task deletes one row and inserts the next one. A
pending row that stays keeps its id, its age and its claim.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Connection, Table, bindparam, select

from engine.clock import now
from engine.workflow import rawsql, sandbox, spiff, spiffarena_helpers
from engine.workflow.access import lane_assignment
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
_TABLES = (_PENDING, _TIMERS, _MESSAGES)
# What decides whether a row changed; id, claimed_by and created_at belong to the row, not the state.
_COMPARED = {
    _PENDING: (
        "process_model_id", "task_name", "title", "lane", "role", "assignee_user_id", "candidate_group",
        "patient_id", "form_filename", "form_version_id", "due_at", "sort_at",
    ),
    _TIMERS: ("task_name", "due_at"),
    _MESSAGES: ("message_name", "correlation_key"),
}  # fmt: skip
_CURRENT = {
    t: select(t.c.task_guid, *(t.c[name] for name in _COMPARED[t])).where(t.c.instance_id == bindparam("instance_id"))
    for t in _TABLES
}
_DELETE_ONE = {
    t: t.delete().where(t.c.instance_id == bindparam("w_instance_id"), t.c.task_guid == bindparam("w_task_guid"))
    for t in _TABLES
}
# Only the pending rows are updated in place: a claim and the row's age survive a changed title or due date.
_UPDATE_PENDING = (
    _PENDING.update()
    .where(_PENDING.c.instance_id == bindparam("w_instance_id"), _PENDING.c.task_guid == bindparam("w_task_guid"))
    .values({name: bindparam(f"v_{name}") for name in _COMPARED[_PENDING]})
)
_INSERT = {t: t.insert().inline() for t in _TABLES}
# The same statements on the driver's cursor (see rawsql.py): refresh runs in every engine step.
_RAW_DELETE = {t: rawsql.Statement(_DELETE_ONE[t]) for t in _TABLES}
_RAW_UPDATE_PENDING = rawsql.Statement(_UPDATE_PENDING)
_RAW_INSERT = {t: rawsql.Statement(_INSERT[t]) for t in _TABLES}
_RAW_CURRENT = {t: rawsql.Statement(_CURRENT[t]) for t in _TABLES}


class IndexedInstance(Protocol):
    id: int
    process_model_id: str
    version_id: int
    process_sources: dict[str, int | None]


@dataclass(frozen=True)
class IndexRows:
    """An instance's index rows as the state implies them: per table, task guid -> compared values."""

    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    timers: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)

    def by_table(self) -> tuple[tuple[Table, dict[str, dict[str, Any]]], ...]:
        return (_PENDING, self.pending), (_TIMERS, self.timers), (_MESSAGES, self.messages)


EMPTY = IndexRows()


def current(conn: Connection, instance_id: int, cursor: Any = None) -> IndexRows:
    """The rows the database holds now (used when no cached copy of them is known to be right)."""
    cur = cursor if cursor is not None else rawsql.cursor(conn)
    found = []
    for table in _TABLES:
        names = _COMPARED[table]
        rows = rawsql.fetch_all(conn, cur, _RAW_CURRENT[table], {"instance_id": instance_id})
        found.append({guid: dict(zip(names, values, strict=True)) for guid, *values in rows})
    return IndexRows(*found)


def refresh(conn: Connection, instance_id: int, wanted: IndexRows, present: IndexRows, cursor: Any = None) -> None:
    """Make the database rows `present` into `wanted`, touching only the rows that differ (on `cursor`,
    a DBAPI cursor of `conn`, when the caller has one)."""
    cur = cursor if cursor is not None else rawsql.cursor(conn)
    created = None
    for (table, want), (_table, have) in zip(wanted.by_table(), present.by_table(), strict=True):
        gone = [guid for guid in have if guid not in want]
        added = [guid for guid in want if guid not in have]
        changed = [guid for guid in want if guid in have and have[guid] != want[guid]]
        if table is not _PENDING:  # a timer or message whose values changed is simply written anew
            gone, added, changed = gone + changed, added + changed, []
        if gone:
            rows = [{"w_instance_id": instance_id, "w_task_guid": g} for g in gone]
            rawsql.run(conn, cur, _RAW_DELETE[table], _one_or_many(rows))
        if changed:
            rows = [{"w_instance_id": instance_id, "w_task_guid": g, **_prefixed(want[g])} for g in changed]
            rawsql.run(conn, cur, _RAW_UPDATE_PENDING, _one_or_many(rows))
        if added:
            created = created or now()
            extra = {"claimed_by": None, "created_at": created} if table is _PENDING else {}
            rows = [{"instance_id": instance_id, "task_guid": g, **want[g], **extra} for g in added]
            rawsql.run(conn, cur, _RAW_INSERT[table], _one_or_many(rows), insert_keys=True)


def _one_or_many(rows: list[dict[str, Any]]) -> dict[str, Any] | list[dict[str, Any]]:
    return rows[0] if len(rows) == 1 else rows  # one row skips the executemany machinery


def _prefixed(values: dict[str, Any]) -> dict[str, Any]:
    return {f"v_{name}": value for name, value in values.items()}


def collect(instance: IndexedInstance, workflow: Any, patient_id: int | None) -> IndexRows:
    """The index rows the workflow's state implies: ready user tasks, waiting timers and messages."""
    pending = {
        str(task.id): _pending_values(instance, task, patient_id)
        for task in spiff.tasks_in_state(workflow, TaskState.READY, manual=True)
    }
    timers, messages = {}, {}
    for task in workflow.event_manager.tasks.values():
        if task.state != TaskState.WAITING:
            continue
        for definition in catching(task):
            if isinstance(definition, spiff.ClockTimeDateEvent | spiff.ClockDurationEvent):
                due = spiff.timer_due_at(task)
                if due is not None:
                    timers[str(task.id)] = {"task_name": task.task_spec.bpmn_id or "", "due_at": due}
            elif isinstance(definition, MessageEventDefinition):
                key = correlation_key(_expected_correlation(definition, task))
                messages[str(task.id)] = {"message_name": definition.name, "correlation_key": key}
    return IndexRows(pending, timers, messages)


def catching(task: Any) -> list[Any]:
    """The event definitions a waiting task catches. An event-based gateway (and a "multiple" catch event)
    waits as one task holding one definition per outgoing event, e.g. a message and a timer; each gets
    its index row under that task's guid. Validation allows at most one timer and one message there
    (Spiff keeps one timer value per task, and an index row is one per task and table)."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        return list(definition.event_definitions)
    return [definition] if definition is not None else []


def message_definition(task: Any, name: str) -> MessageEventDefinition | None:
    """The definition by which a waiting task catches the message `name`, if it does."""
    for definition in catching(task):
        if isinstance(definition, MessageEventDefinition) and definition.name == name:
            return definition
    return None


def rebuild(conn: Connection, instance: IndexedInstance, workflow: Any, patient_id: int | None) -> None:
    """Bring the instance's index rows in line with its workflow, reading the present rows first (for
    writers outside an engine step, e.g. moving an instance to a new version)."""
    refresh(conn, instance.id, collect(instance, workflow, patient_id), current(conn, instance.id))


def _pending_values(instance: IndexedInstance, task: Any, patient_id: int | None) -> dict[str, Any]:
    lane = task.task_spec.lane or _enclosing_lane(task)
    assignment = lane_assignment(lane, task.data, spiffarena_helpers.started_by(task))
    properties = task_properties(task)
    due = _boundary_due_at(task)
    source = instance.process_sources.get(_defining_process(task))
    return {
        "process_model_id": instance.process_model_id,
        "task_name": task.task_spec.bpmn_id or task.task_spec.name,
        "title": task_title(task)[:300],
        "lane": lane,
        "role": assignment.role,
        "assignee_user_id": assignment.assignee_user_id,
        "candidate_group": assignment.candidate_group,
        "patient_id": patient_id,
        "form_filename": properties.get("formJsonSchemaFilename"),
        "form_version_id": source or instance.version_id,
        "due_at": due,
        "sort_at": due or NO_DUE_DATE,
    }


def _defining_process(task: Any) -> str:
    """The process whose model holds this task's files: an embedded subprocess belongs to the process
    around it (a called one from another model brings its forms, so they are looked up there)."""
    workflow = task.workflow
    while workflow is not getattr(workflow, "top_workflow", workflow):
        parent = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        if parent is None or isinstance(parent.task_spec, CallActivity):
            break
        workflow = parent.workflow
    return workflow.spec.name


def _enclosing_lane(task: Any) -> str | None:
    """A task inside an embedded subprocess is in the lane of the subprocess element (Spiff gives it none);
    a called process is another process, so its lanes are its own and none means the starter's."""
    workflow = task.workflow
    while workflow is not getattr(workflow, "top_workflow", workflow):
        parent = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        if parent is None or isinstance(parent.task_spec, CallActivity):
            return None
        if parent.task_spec.lane:
            return parent.task_spec.lane
        workflow = parent.workflow
    return None


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
