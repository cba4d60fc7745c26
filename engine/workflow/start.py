"""Starting an instance: the first engine step, which also inserts the instance row."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, select

from engine.clock import now
from engine.i18n import N_, NotFound
from engine.workflow import indexes, spiff
from engine.workflow.access import Actor
from engine.workflow.connectors import ConnectorRegistry, default_registry
from engine.workflow.models import RUNNING, ProcessInstance, ProcessModelVersion
from engine.workflow.steps import (
    InstanceRow,
    SessionFactory,
    Step,
    advance,
    remember,
    save,
    script_engine_for,
    specs_for,
)
from engine.workflow.txn import step_transaction

_I, _V = ProcessInstance.__table__, ProcessModelVersion.__table__
# Statements built once: building one costs more than running it on a warm connection.
_LATEST = (
    select(_V.c.id, _V.c.sha256, _V.c.process_sources)
    .where(_V.c.process_model_id == bindparam("model_id"))
    .order_by(_V.c.number.desc())
    .limit(1)
)
_INSERT = _I.insert().values(
    {name: bindparam(name) for name in (
        "version_id", "process_model_id", "status", "state", "patient_id", "started_by", "created_at", "updated_at",
        "revision",
    )}
)  # fmt: skip


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
    with step_transaction(session_factory) as tx:
        conn = tx.conn
        version = conn.execute(_LATEST, {"model_id": model_id}).first()
        if version is None:
            raise NotFound(N_("There is no pathway %(name)s."), name=model_id)
        patient = patient_id if patient_id is not None else _int_or_none(data.get("patient_id"))
        created = now()
        new_id = conn.execute(
            _INSERT,
            {"version_id": version.id, "process_model_id": model_id, "status": RUNNING, "state": "",
             "patient_id": patient, "started_by": actor.user_id if actor else None, "created_at": created,
             "updated_at": created, "revision": 0},
        ).inserted_primary_key[0]  # fmt: skip
        instance = InstanceRow(
            new_id, version.id, model_id, RUNNING, None, None, "", patient, 0, version.sha256, version.process_sources
        )
        engine = script_engine_for(tx, instance, connectors or default_registry)
        workflow = spiff.new_workflow(specs_for(conn, instance), engine)
        workflow.task_tree.data.update(data)  # inherited by the start event and everything after it
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        step = Step(tx, instance, workflow, [], [("start", "")], indexes.EMPTY)
        advance(step)
        save(step)
    remember(new_id, step)
    return new_id


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
