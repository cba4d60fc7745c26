"""The engine step: one DB transaction around loading, acting on and saving one instance.

load the instance row, attach the cached spec of its version, deserialize the state (or take the
workflow this process committed at exactly that row, see cache.py), act, run engine steps, then
`UPDATE process_instance ... WHERE id = ? AND revision = ?`, bring the instance's index rows in line
(only the rows that differ, see indexes.refresh), append history and events, and commit. A second
writer of the same revision gets Conflict and changes nothing. A failing script, expression or
connector does not fail the step: the instance is saved with status `error`, the failing element and
the reason (see `advance`). The transaction runs on a plain connection (see txn.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import now
from engine.i18n import N_, Conflict, NotFound
from engine.workflow import indexes, rawsql, spiff, stepping
from engine.workflow.cache import WORKFLOWS, Entry
from engine.workflow.connectors import ConnectorRegistry, InstanceContext, default_registry
from engine.workflow.models import (
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
from engine.workflow.txn import StepTransaction, step_transaction

SessionFactory = sessionmaker[Session]
ALREADY_DONE = N_("This task was already completed by someone else.")
MAX_ENGINE_ROUNDS = 100  # a timer loop that never waits would otherwise spin inside one request


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
    saved: Entry | None = None  # what `save` wrote, for the workflow cache once the commit went through
    loaded_status: str = field(init=False)  # the status in the row this step read

    def __post_init__(self) -> None:
        self.loaded_status = self.instance.status

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


def script_engine_for(tx: StepTransaction, instance: InstanceRow, registry: ConnectorRegistry) -> Any:
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
        session = tx.session()
        with session.begin_nested():
            return registry.call(operator, session, context, params)

    return spiff.PathwayScriptEngine(call, tx.session)


def specs_for(conn: Connection, instance: InstanceRow) -> spiff.Specs:
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
            stepping.run_engine_steps(workflow)
            if not spiff.tasks_in_state(workflow, TaskState.READY, manual=False):
                break
    except Exception as exc:  # any failure inside the pathway is the pathway's error, not the caller's
        record_error(step, exc)
        return
    if workflow.completed:
        step.instance.status = COMPLETED
    elif spiff.tasks_in_state(workflow, TaskState.ERROR):
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


def save(step: Step) -> None:
    instance = step.instance
    state = spiff.dump_state(step.workflow)
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
    if instance.status in FINISHED_STATUSES:
        wanted = indexes.EMPTY
    else:
        wanted = indexes.collect(instance, step.workflow, instance.patient_id)
    present = step.indexed if step.indexed is not None else indexes.current(conn, instance.id, cur)
    indexes.refresh(conn, instance.id, wanted, present, cur)
    if step.history:
        rawsql.run(conn, cur, _RAW_HISTORY, _one_or_many(step.history), insert_keys=True)
    if step.events:
        at = now()
        events = [{"instance_id": instance.id, "kind": k, "detail": d, "at": at, "actor_user_id": None} for k, d in step.events]
        rawsql.run(conn, cur, _RAW_EVENT, _one_or_many(events), insert_keys=True)
    step.saved = Entry(instance.revision + 1, instance.version_id, instance.sha256, state, step.workflow, wanted)


def _one_or_many(rows: list[dict[str, Any]]) -> dict[str, Any] | list[dict[str, Any]]:
    return rows[0] if len(rows) == 1 else rows


def remember(instance_id: int, step: Step) -> None:
    """After the commit: keep the workflow for the next step of this instance (see cache.py)."""
    if step.saved is not None:
        step.workflow.script_engine = spiff.IDLE_ENGINE  # drop the step's session and connectors
        WORKFLOWS.put(instance_id, step.saved)


def run_step(
    session_factory: SessionFactory,
    instance_id: int,
    act: Callable[[Step], Any],
    connectors: ConnectorRegistry | None,
) -> Any:
    with step_transaction(session_factory) as tx:
        conn = tx.conn
        rows = rawsql.fetch_all(conn, tx.cursor(), RAW_LOAD, {"instance_id": instance_id})
        if not rows:
            raise NotFound(N_("There is no such pathway."))
        instance = InstanceRow(*rows[0])
        engine = script_engine_for(tx, instance, connectors or default_registry)
        cached = WORKFLOWS.take(instance.id, instance.revision, instance.version_id, instance.sha256, instance.state)
        if cached is not None:
            workflow, indexed = cached.workflow, cached.indexed
            workflow.script_engine = engine
        else:
            workflow, indexed = spiff.load_state(instance.state, specs_for(conn, instance), engine), None
        step = Step(tx, instance, workflow, [], [], indexed)
        result = act(step)
        save(step)
    remember(instance_id, step)
    return result
