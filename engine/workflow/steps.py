"""The engine step: one DB transaction around loading, acting on and saving one instance.

load the instance row, attach the cached spec of its version, act, run engine steps, then
`UPDATE process_instance ... WHERE id = ? AND revision = ?`, rebuild the instance's index rows and
append history and events, and commit. A second writer of the same revision gets Conflict and changes
nothing. A failing script, expression or connector does not fail the step: the instance is saved with
status `error`, the failing element and the reason (see `advance`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import now
from engine.db import transaction
from engine.i18n import N_, Conflict, NotFound
from engine.workflow import indexes, spiff
from engine.workflow.access import Actor
from engine.workflow.connectors import ConnectorRegistry, InstanceContext, default_registry
from engine.workflow.deploy import latest_version
from engine.workflow.models import (
    COMPLETED,
    ERROR,
    FINISHED_STATUSES,
    RUNNING,
    WAITING,
    InstanceEvent,
    PendingTask,
    ProcessInstance,
    ProcessModelVersion,
    TaskHistory,
)

SessionFactory = sessionmaker[Session]
ALREADY_DONE = N_("This task was already completed by someone else.")
MAX_ENGINE_ROUNDS = 100  # a timer loop that never waits would otherwise spin inside one request


@dataclass
class InstanceRow:
    """The columns of an instance an engine step works with; written back only by `_save`."""

    id: int
    version_id: int
    process_model_id: str
    status: str
    error_message: str | None
    error_element: str | None
    state: str
    patient_id: int | None
    revision: int
    sha256: str
    process_sources: dict[str, int | None]


@dataclass
class Step:
    session: Session
    conn: Connection
    instance: InstanceRow
    workflow: Any
    history: list[dict[str, Any]]
    events: list[tuple[str, str]]


# Statements built once (see indexes.py for why).
_I, _V = ProcessInstance.__table__, ProcessModelVersion.__table__
_LOAD = (
    select(
        _I.c.id, _I.c.version_id, _I.c.process_model_id, _I.c.status, _I.c.error_message, _I.c.error_element,
        _I.c.state, _I.c.patient_id, _I.c.revision, _V.c.sha256, _V.c.process_sources,
    )
    .join(_V, _V.c.id == _I.c.version_id)
    .where(_I.c.id == bindparam("instance_id"))
)  # fmt: skip
_SPEC = select(_V.c.serialized_spec).where(_V.c.id == bindparam("version_id"))
_SAVE = (
    _I.update()
    .where(_I.c.id == bindparam("instance_id"), _I.c.revision == bindparam("expected"))
    .values(
        state=bindparam("state"), status=bindparam("status"), error_message=bindparam("error_message"),
        error_element=bindparam("error_element"), updated_at=bindparam("updated_at"),
        revision=bindparam("new_revision"),
    )
)  # fmt: skip
PENDING_ROW = select(PendingTask.__table__).where(
    PendingTask.__table__.c.instance_id == bindparam("instance_id"),
    PendingTask.__table__.c.task_guid == bindparam("task_guid"),
)
_HISTORY = TaskHistory.__table__.insert()
_EVENT = InstanceEvent.__table__.insert()


def _script_engine(session: Session, instance: InstanceRow, registry: ConnectorRegistry) -> Any:
    def call(operator: str, params: dict[str, Any], task: Any) -> Any:
        context = InstanceContext(
            instance_id=instance.id,
            process_model_id=instance.process_model_id,
            version_id=instance.version_id,
            patient_id=instance.patient_id,
            task_name=task.task_spec.bpmn_id or task.task_spec.name,
            data=dict(task.data),
        )
        # A savepoint: a connector whose SQL fails must not poison the step's transaction.
        with session.begin_nested():
            return registry.call(operator, session, context, params)

    return spiff.PathwayScriptEngine(call)


def _specs(conn: Connection, instance: InstanceRow) -> spiff.Specs:
    return spiff.SPECS.get(
        instance.version_id,
        instance.sha256,
        lambda: conn.execute(_SPEC, {"version_id": instance.version_id}).scalar_one(),
    )


def advance(step: Step) -> None:
    """Engine steps until only people, timers or messages are awaited; errors become instance state."""
    workflow = step.workflow
    try:
        for _ in range(MAX_ENGINE_ROUNDS):
            workflow.do_engine_steps()
            if not any(not t.task_spec.manual for t in workflow.get_tasks(state=TaskState.READY)):
                break
    except Exception as exc:  # any failure inside the pathway is the pathway's error, not the caller's
        record_error(step, exc)
        return
    if workflow.completed:
        step.instance.status = COMPLETED
    elif workflow.get_tasks(state=TaskState.ERROR):
        step.instance.status = ERROR  # an earlier error in another branch still waits for a retry
    else:
        step.instance.status = WAITING
        step.instance.error_message = step.instance.error_element = None


def record_error(step: Step, exc: BaseException) -> None:
    spec = getattr(exc, "task_spec", None)
    notes = getattr(exc, "notes", None) or getattr(exc, "__notes__", None) or []
    message = " ".join([str(exc), *[str(n) for n in notes]]).strip() or exc.__class__.__name__
    step.instance.status = ERROR
    step.instance.error_message = message[:2000]
    step.instance.error_element = (getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)) if spec else None
    step.events.append(("error", message[:2000]))


def _save(step: Step) -> None:
    instance = step.instance
    values = {
        "instance_id": instance.id,
        "expected": instance.revision,
        "new_revision": instance.revision + 1,
        "state": spiff.dump_state(step.workflow),
        "status": instance.status,
        "error_message": instance.error_message,
        "error_element": instance.error_element,
        "updated_at": now(),
    }
    try:
        result = step.conn.execute(_SAVE, values)
    except OperationalError as exc:
        # SQLite refuses a write from a snapshot another writer has moved past: the same lost race.
        if "locked" in str(exc) or "busy" in str(exc):
            raise Conflict(ALREADY_DONE) from exc
        raise
    if result.rowcount != 1:
        raise Conflict(ALREADY_DONE)
    if instance.status in FINISHED_STATUSES:
        indexes.clear(step.conn, instance.id)
    else:
        indexes.rebuild(step.conn, instance, step.workflow, instance.patient_id)
    if step.history:
        step.conn.execute(_HISTORY, step.history)
    if step.events:
        at = now()
        step.conn.execute(
            _EVENT, [{"instance_id": instance.id, "kind": k, "detail": d, "at": at, "actor_user_id": None} for k, d in step.events]
        )


def run_step(
    session_factory: SessionFactory,
    instance_id: int,
    act: Callable[[Step], Any],
    connectors: ConnectorRegistry | None,
) -> Any:
    with transaction(session_factory) as session:
        conn = session.connection()
        row = conn.execute(_LOAD, {"instance_id": instance_id}).first()
        if row is None:
            raise NotFound(N_("There is no such pathway."))
        instance = InstanceRow(**row._mapping)
        engine = _script_engine(session, instance, connectors or default_registry)
        workflow = spiff.load_state(instance.state, _specs(conn, instance), engine)
        step = Step(session, conn, instance, workflow, [], [])
        result = act(step)
        _save(step)
        return result


def start_instance(
    session_factory: SessionFactory,
    model_id: str,
    actor: Actor | None,
    data: dict[str, Any] | None = None,
    patient_id: int | None = None,
    connectors: ConnectorRegistry | None = None,
) -> int:
    """Start the latest version of a model with initial task data; returns the instance id."""
    data = dict(data or {})
    if patient_id is not None:
        data.setdefault("patient_id", patient_id)
    with transaction(session_factory) as session:
        version = latest_version(session, model_id)
        if version is None:
            raise NotFound(N_("There is no pathway %(name)s."), name=model_id)
        conn = session.connection()
        patient = patient_id if patient_id is not None else _int_or_none(data.get("patient_id"))
        created = now()
        new_id = conn.execute(
            _I.insert().values(
                version_id=version.id, process_model_id=model_id, status=RUNNING, state="", patient_id=patient,
                started_by=actor.user_id if actor else None, created_at=created, updated_at=created, revision=0,
            )
        ).inserted_primary_key[0]  # fmt: skip
        instance = InstanceRow(
            new_id, version.id, model_id, RUNNING, None, None, "", patient, 0, version.sha256, version.process_sources
        )
        engine = _script_engine(session, instance, connectors or default_registry)
        workflow = spiff.new_workflow(_specs(conn, instance), engine)
        workflow.task_tree.data.update(data)  # inherited by the start event and everything after it
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        step = Step(session, conn, instance, workflow, [], [("start", "")])
        advance(step)
        _save(step)
        return new_id


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


