"""The engine step: load an instance, run the pathway with no transaction open, write it in one.

Load the instance row in a short read transaction, attach the cached spec of its version, deserialize
the state (or take the workflow this process committed at exactly that row, see cache.py) and end the
read. Act and run engine steps: pathway code runs here, under the time and memory limits of limits.py,
with no transaction and no lock held. Then one write transaction: `UPDATE process_instance ... WHERE
id = ? AND revision = ?`, the instance's index rows brought in line (only the rows that differ, see
indexes.refresh), history and events appended, commit. A second writer of the same revision gets
Conflict ("already completed") and changes nothing. A failing script, expression or connector, or one
stopped by a limit, does not fail the step: the instance is saved with status `error`, the failing
element and the reason (see `advance`). The transactions run on a plain connection (see txn.py).

Connectors are the platform's own code and their SQL must commit with the state that records them, so
they run in the write transaction: the run pauses before a service task (its parameters already
evaluated), the write calls the connector, keeps its result in the task's internal data and commits;
then the run goes on outside (the service task takes the kept result) and the next write checks the
revision that commit made. A race lost after such a commit loses only the part after it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import now
from engine.i18n import N_, Conflict, NotFound, coded_message
from engine.workflow import indexes, limits, persistence, rawsql, serialization, spiff, stamps, stepping
from engine.workflow.cache import WORKFLOWS, Entry
from engine.workflow.connectors import ConnectorRegistry, InstanceContext, default_registry
from engine.workflow.models import (
    CANCELLED,
    COMPLETED,
    ERROR,
    FINISHED_STATUSES,
    WAITING,
    InstanceEvent,
    PendingTask,
    ProcessInstance,
    ProcessModelVersion,
    TaskHistory,
)
from engine.workflow.txn import StepTransaction, step_connection

log = logging.getLogger(__name__)
SessionFactory = sessionmaker[Session]
ALREADY_DONE = N_("This task was already completed by someone else.")
MAX_ENGINE_ROUNDS = 100  # a timer loop that never waits would otherwise spin inside one request
MAX_SEGMENTS = 50  # writes of one step, one per connector call: a service-task loop must end somewhere
# Where a service task keeps its connector's result (or failure) between the write that called the
# connector and the run that completes the task (task.internal_data is saved with the state).
CONNECTOR_RESULT = "carepath_connector_result"
CONNECTOR_FAILURE = "carepath_connector_failure"
# An act returns this when the caller wants the instance's status after the whole step.
FINAL_STATUS = object()


@dataclass
class ConnectorCall:
    task: Any
    operator: str
    params: dict[str, Any]


@dataclass
class InstanceRow:
    """The columns of an instance an engine step works with; written back only by `save`."""

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
    tx: StepTransaction
    instance: InstanceRow
    workflow: Any
    history: list[dict[str, Any]]
    events: list[tuple[str, str]]
    # The index rows the database holds for this instance when the cache knows them, else None (read them).
    indexed: indexes.IndexRows | None = None
    # The state as the database holds it: what `save` compares with to write only the changed task rows.
    stored: persistence.Stored = field(default_factory=lambda: persistence.EMPTY)
    saved: Entry | None = None  # what `save` wrote, for the workflow cache once the commit went through
    registry: ConnectorRegistry | None = None
    connector_call: ConnectorCall | None = None  # the run paused before this service task
    # The index rows the state implies, collected before the write: message correlation expressions are
    # pathway code, which never runs inside the write transaction.
    wanted: indexes.IndexRows | None = None
    loaded_status: str = field(init=False)  # the status in the row this step read
    task_stamps: stamps.Stamps | None = field(init=False)  # task times before the step ran (stamps.py)

    def __post_init__(self) -> None:
        self.loaded_status = self.instance.status
        self.task_stamps = stamps.before(self.workflow)

    @property
    def conn(self) -> Connection:
        return self.tx.conn

    @property
    def cursor(self) -> Any:
        return self.tx.cursor()

    @property
    def session(self) -> Session:
        return self.tx.session()


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


def _save_statement(with_status: bool) -> Any:
    values = {
        "state": bindparam("state"), "error_message": bindparam("error_message"),
        "error_element": bindparam("error_element"), "updated_at": bindparam("updated_at"),
        "revision": bindparam("new_revision"),
    }  # fmt: skip
    if with_status:
        values["status"] = bindparam("status")
    return _I.update().where(_I.c.id == bindparam("instance_id"), _I.c.revision == bindparam("expected")).values(values)


# SQLite rewrites the index entries of every column an UPDATE sets, even to the same value: most steps
# leave the status as it was, and not naming it spares two index pages per commit.
_SAVE, _SAVE_SAME_STATUS = _save_statement(True), _save_statement(False)
# What a step needs of a pending task (who may act, what the history calls it).
PENDING_COLUMNS = ("role", "assignee_user_id", "candidate_group", "claimed_by", "task_name", "title")
PENDING_ROW = select(PendingTask.__table__).where(
    PendingTask.__table__.c.instance_id == bindparam("instance_id"),
    PendingTask.__table__.c.task_guid == bindparam("task_guid"),
)
_HISTORY = TaskHistory.__table__.insert().inline()
_EVENT = InstanceEvent.__table__.insert().inline()
# Run on the driver's cursor (rawsql.py): every step runs these.
RAW_LOAD = rawsql.Statement(_LOAD)
RAW_PENDING_ROW = rawsql.Statement(
    select(*(PendingTask.__table__.c[n] for n in PENDING_COLUMNS)).where(
        PendingTask.__table__.c.instance_id == bindparam("instance_id"),
        PendingTask.__table__.c.task_guid == bindparam("task_guid"),
    )
)
_RAW_SAVE, _RAW_SAVE_SAME_STATUS = rawsql.Statement(_SAVE), rawsql.Statement(_SAVE_SAME_STATUS)
_RAW_HISTORY, _RAW_EVENT = rawsql.Statement(_HISTORY), rawsql.Statement(_EVENT)


def _kept_result(operator: str, params: dict[str, Any], task: Any) -> Any:
    """A service task's connector ran in an earlier write (see call_connector): hand over its result."""
    failure = task.internal_data.pop(CONNECTOR_FAILURE, None)
    if failure is not None:
        raise RuntimeError(failure)
    if CONNECTOR_RESULT not in task.internal_data:
        raise RuntimeError(f"connector {operator} was not called in the step's write")
    return task.internal_data.pop(CONNECTOR_RESULT)


# One engine for every step: it holds no session (connectors run in the write, see call_connector).
STEP_ENGINE = spiff.PathwayScriptEngine(_kept_result)


def _pause_before_connector(step: Step) -> stepping.Pause:
    def pause(task: Any) -> bool:
        spec = task.task_spec
        if not hasattr(spec, "operation_name"):
            return False
        if CONNECTOR_RESULT in task.internal_data or CONNECTOR_FAILURE in task.internal_data:
            return False
        try:  # the parameters are pathway expressions: evaluated here, outside the write
            params = {name: param["value"] for name, param in spec.evaluate_params(task).items()}
        except Exception:
            return False  # task.run() fails the same way and marks the task as failed
        step.connector_call = ConnectorCall(task, spec.operation_name, params)
        return True

    return pause


def call_connector(step: Step) -> None:
    """Inside the write: run the connector the run paused before and keep its result for the task."""
    call, instance = step.connector_call, step.instance
    assert call is not None
    task = call.task
    context = InstanceContext(
        instance_id=instance.id,
        process_model_id=instance.process_model_id,
        version_id=instance.version_id,
        patient_id=instance.patient_id,
        task_name=task.task_spec.bpmn_id or task.task_spec.name,
        data=dict(task.data),
    )
    session = step.tx.session()
    try:
        # A savepoint: a connector whose SQL fails must not poison the step's transaction.
        with session.begin_nested():
            result = (step.registry or default_registry).call(call.operator, session, context, call.params)
        # As the service task would read it: JSON, dates as ISO text.
        task.internal_data[CONNECTOR_RESULT] = json.loads(json.dumps(dict(result or {}), default=spiff.as_timer_text))
    except Exception as exc:  # the connector's failure becomes the service task's (see _kept_result)
        task.internal_data[CONNECTOR_FAILURE] = str(exc) or exc.__class__.__name__


def specs_for(conn: Connection, instance: InstanceRow) -> spiff.Specs:
    return spiff.SPECS.get(
        instance.version_id,
        instance.sha256,
        lambda: conn.execute(_SPEC, {"version_id": instance.version_id}).scalar_one(),
    )


def advance(step: Step) -> None:
    """Engine steps until only people, timers, messages or a connector are awaited; errors become
    instance state. Pathway code runs here: never inside a transaction."""
    step.tx.end_read()
    workflow = step.workflow
    pause = _pause_before_connector(step)
    try:
        for _ in range(MAX_ENGINE_ROUNDS):
            stepping.run_engine_steps(workflow, pause)
            if not spiff.tasks_in_state(workflow, TaskState.READY, manual=False):
                break
    except stepping.Paused:
        step.instance.status = WAITING  # on a connector: run_step calls it in the write and goes on
        return
    except Exception as exc:  # any failure inside the pathway is the pathway's error, not the caller's
        record_error(step, exc)
        return
    if workflow.completed:
        step.instance.status = CANCELLED if spiff.ended_cancelled(workflow) else COMPLETED
    elif spiff.tasks_in_state(workflow, TaskState.ERROR):
        step.instance.status = ERROR  # an earlier error in another branch still waits for a retry
    else:
        step.instance.status = WAITING
        step.instance.error_message = step.instance.error_element = None


def record_error(step: Step, exc: BaseException) -> None:
    spec = getattr(exc, "task_spec", None)
    limit = limits.limit_error(exc)
    if limit is not None:
        # Kept as the message id and its parameters, so staff read it in their own language.
        message = coded_message(limit.message, limit.params)
    elif _missing_name(exc):
        step_name = (getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or "") if spec else ""
        message = coded_message(N_("The step “%(step)s” needs the value “%(name)s”, which the pathway was not given."),
                                {"step": step_name, "name": _missing_name(exc)})
    else:
        text = str(exc)  # SpiffWorkflow's own exceptions already end with their notes ("Did you mean …?")
        notes = getattr(exc, "notes", None) or getattr(exc, "__notes__", None) or []
        message = " ".join([text, *[str(n) for n in notes if str(n) not in text]]).strip() or exc.__class__.__name__
    step.instance.status = ERROR
    step.instance.error_message = message[:2000]
    step.instance.error_element = (getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)) if spec else None
    step.events.append(("error", message[:2000]))


def _missing_name(exc: BaseException) -> str:
    """The variable a pathway expression named but its data lacks (a NameError inside the engine's error)."""
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, NameError) or isinstance(cause, NameError):
        error = exc if isinstance(exc, NameError) else cause
        return str(getattr(error, "name", "") or "")
    if getattr(exc, "error_type", "") == "NameError":
        found = re.search(r"'([A-Za-z_][A-Za-z0-9_]*)'", str(exc))
        return found.group(1) if found else ""
    return ""


def save(step: Step) -> None:
    instance = step.instance
    step.task_stamps = stamps.restamp(step.workflow, step.task_stamps)
    pending = persistence.prepare(step.workflow, step.stored)
    state = pending.stored.head
    values = {
        "instance_id": instance.id,
        "expected": instance.revision,
        "new_revision": instance.revision + 1,
        "state": state,
        "error_message": instance.error_message,
        "error_element": instance.error_element,
        "updated_at": now(),
    }
    conn, cur = step.conn, step.cursor
    try:
        if instance.status == step.loaded_status:
            result = rawsql.run(conn, cur, _RAW_SAVE_SAME_STATUS, values)
        else:
            result = rawsql.run(conn, cur, _RAW_SAVE, {**values, "status": instance.status})
    except OperationalError as exc:
        # SQLite refuses a write from a snapshot another writer has moved past: the same lost race.
        if "locked" in str(exc) or "busy" in str(exc):
            raise Conflict(ALREADY_DONE) from exc
        raise
    if result.rowcount != 1:
        raise Conflict(ALREADY_DONE)
    persistence.write(conn, cur, instance.id, pending, step.stored)
    if serialization.CHECK_AGAINST_STOCK:
        persistence.check_against_stock(conn, cur, instance.id, step.workflow)
    wanted = step.wanted if step.wanted is not None else wanted_rows(step)
    present = step.indexed if step.indexed is not None else indexes.current(conn, instance.id, cur)
    indexes.refresh(conn, instance.id, wanted, present, cur)
    if step.history:
        rawsql.run(conn, cur, _RAW_HISTORY, _one_or_many(step.history), insert_keys=True)
    if step.events:
        at = now()
        events = [{"instance_id": instance.id, "kind": k, "detail": d, "at": at, "actor_user_id": None} for k, d in step.events]
        rawsql.run(conn, cur, _RAW_EVENT, _one_or_many(events), insert_keys=True)
    step.saved = Entry(
        instance.revision + 1, instance.version_id, instance.sha256, state, step.workflow, wanted, pending.stored
    )


def wanted_rows(step: Step) -> indexes.IndexRows:
    instance = step.instance
    if instance.status in FINISHED_STATUSES:
        return indexes.EMPTY
    return indexes.collect(instance, step.workflow, instance.patient_id)


def _one_or_many(rows: list[dict[str, Any]]) -> dict[str, Any] | list[dict[str, Any]]:
    return rows[0] if len(rows) == 1 else rows


def remember(instance_id: int, step: Step) -> None:
    """After the commit: keep the workflow for the next step of this instance (see cache.py)."""
    if step.saved is not None:
        WORKFLOWS.put(instance_id, step.saved)


def run_step(
    session_factory: SessionFactory,
    instance_id: int,
    act: Callable[[Step], Any],
    connectors: ConnectorRegistry | None,
) -> Any:
    with limits.step(), step_connection(session_factory) as tx:
        conn = tx.conn
        rows = rawsql.fetch_all(conn, tx.cursor(), RAW_LOAD, {"instance_id": instance_id})
        if not rows:
            raise NotFound(N_("There is no such pathway."))
        instance = InstanceRow(*rows[0])
        cached = WORKFLOWS.take(instance.id, instance.revision, instance.version_id, instance.sha256, instance.state)
        if cached is not None:
            workflow, indexed, stored = cached.workflow, cached.indexed, cached.stored
            workflow.script_engine = STEP_ENGINE
        else:
            specs = specs_for(conn, instance)
            workflow, stored = persistence.load(conn, tx.cursor(), instance.id, instance.state, specs, STEP_ENGINE)
            indexed = None
        tx.end_read()
        step = Step(tx, instance, workflow, [], [], indexed, stored=stored, registry=connectors)
        result = act(step)
        step.wanted = wanted_rows(step)
        with tx.write():
            write(step)
        go_on(step)
    remember(instance_id, step)
    return step.instance.status if result is FINAL_STATUS else result


def write(step: Step) -> None:
    """The body of a step's write transaction: the connector the run paused before, then the state."""
    if step.connector_call is not None:
        call_connector(step)
    save(step)


def go_on(step: Step) -> None:
    """After a write that called a connector: run on from the committed state and write again, until
    the run no longer pauses. A race lost here loses only what came after the last commit."""
    for _ in range(MAX_SEGMENTS):
        if step.connector_call is None:
            return
        saved = step.saved
        assert saved is not None
        step.instance.revision, step.instance.state = saved.revision, saved.state
        step.indexed, step.loaded_status, step.stored = saved.indexed, step.instance.status, saved.stored
        step.history, step.events, step.connector_call, step.saved = [], [], None, None
        advance(step)
        step.wanted = wanted_rows(step)
        try:
            with step.tx.write():
                write(step)
        except Conflict:
            log.info("instance %s was stepped by another writer after a connector call", step.instance.id)
            return
