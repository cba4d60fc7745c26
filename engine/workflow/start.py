"""Starting instances: the instance rows, then the first engine step; one at a time, or many in one
batch (imports)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, NamedTuple

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, select

from engine.clock import now
from engine.i18n import N_, NotFound
from engine.workflow import indexes, limits, rawsql, spiff, spiffarena_helpers
from engine.workflow.access import Actor
from engine.workflow.connectors import ConnectorRegistry
from engine.workflow.models import RUNNING, ProcessInstance, ProcessModelVersion
from engine.workflow.steps import (
    STEP_ENGINE,
    InstanceRow,
    SessionFactory,
    Step,
    advance,
    go_on,
    remember,
    specs_for,
    wanted_rows,
    write,
)
from engine.workflow.txn import StepTransaction, step_connection

log = logging.getLogger(__name__)

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
_INSERT_MANY = _I.insert().returning(_I.c.id, sort_by_parameter_order=True)
_DELETE = _I.delete().where(_I.c.id.in_(bindparam("ids", expanding=True)))
# The one-instance start (a person starting a pathway) on the driver's cursor, as steps are (rawsql.py).
_RAW_LATEST, _RAW_INSERT = rawsql.Statement(_LATEST), rawsql.Statement(_INSERT.returning(_I.c.id))


def start_instance(
    session_factory: SessionFactory,
    model_id: str,
    actor: Actor | None,
    data: dict[str, Any] | None = None,
    patient_id: int | None = None,
    connectors: ConnectorRegistry | None = None,
) -> int:
    """Start the latest version of a model with initial task data; returns the instance id."""
    return start_instances(session_factory, model_id, actor, [(data, patient_id)], connectors)[0]


def start_instances(
    session_factory: SessionFactory,
    model_id: str,
    actor: Actor | None,
    items: Sequence[tuple[dict[str, Any] | None, int | None]],
    connectors: ConnectorRegistry | None = None,
) -> list[int]:
    """Start many instances of the latest version of a model in one batch (imports); `items` are
    (data, patient_id) pairs as for start_instance; returns the instance ids in the order of `items`.

    Three short transactions, none open while pathway code runs: one multi-row INSERT of the rows (so
    every script already sees its instance's id), the first runs, then ONE write of all their states.
    All or nothing, by choice: per-item savepoints would cost two more statements per instance, and
    what can fail here is the database itself (or an unknown model), which the next item would hit
    too; a failing script or connector does not fail a start (the instance is saved with status
    `error`, see steps.advance), and a connector's own SQL already runs in a savepoint. If the batch
    fails after the INSERT, its rows are deleted again. A caller that must not lose good items to a bad
    one retries them one by one. Keep batches to about a hundred."""
    if not items:
        return []
    prepared = [_prepared(data, patient_id) for data, patient_id in items]
    started_by = actor.user_id if actor else None
    steps: list[Step] = []
    with step_connection(session_factory) as tx:
        conn, cur = tx.conn, tx.cursor()
        found = rawsql.fetch_all(conn, cur, _RAW_LATEST, {"model_id": model_id})
        version = _Version(*found[0]) if found else None
        if version is None:
            raise NotFound(N_("There is no pathway %(name)s."), name=model_id)
        specs = specs_for(conn, _row(0, version, model_id, None))
        # The rows first, in a short write of their own, so that a script of the first run sees its
        # instance's id (SpiffArena's get_toplevel_process_info): pathway code never runs inside a write.
        # A row is "running" with no state until the write below; if the start fails, the rows go again.
        with tx.write():
            ids = _insert(conn, cur, version, model_id, started_by, [patient for _data, patient in prepared])
        try:
            for new_id, (data, patient) in zip(ids, prepared, strict=True):
                instance = _row(new_id, version, model_id, patient)
                tx.end_read()
                workflow = spiff.new_workflow(specs, STEP_ENGINE)
                spiffarena_helpers.record_start(workflow, new_id, model_id, started_by)
                workflow.task_tree.data.update(data)  # inherited by the start event and everything after it
                for task in spiff.tasks_in_state(workflow, TaskState.READY):
                    task.data.update(data)
                step = Step(tx, instance, workflow, [], [("start", "")], indexes.EMPTY, registry=connectors)
                with limits.step():
                    advance(step)
                    step.wanted = wanted_rows(step)  # before the write: correlation expressions are pathway code
                steps.append(step)
            with tx.write():
                for step in steps:
                    write(step)
        except BaseException:
            _forget(tx, ids)
            raise
        for step in steps:
            with limits.step():
                go_on(step)
    for step in steps:
        remember(step.instance.id, step)
    return ids


def _row(instance_id: int, version: _Version, model_id: str, patient_id: int | None) -> InstanceRow:
    return InstanceRow(
        instance_id, version.id, model_id, RUNNING, None, None, "", patient_id, 0, version.sha256, version.process_sources
    )


def _insert(conn: Any, cur: Any, version: _Version, model_id: str, started_by: int | None,
            patients: list[int | None]) -> list[int]:
    created = now()
    rows = [
        {"version_id": version.id, "process_model_id": model_id, "status": RUNNING, "state": "",
         "patient_id": patient, "started_by": started_by, "created_at": created, "updated_at": created, "revision": 0}
        for patient in patients
    ]  # fmt: skip
    if len(rows) == 1:
        return [rawsql.run(conn, cur, _RAW_INSERT, rows[0]).fetchone()[0]]
    return list(conn.execute(_INSERT_MANY, rows).scalars())  # one multi-row INSERT, ids in the rows' order


def _forget(tx: StepTransaction, ids: list[int]) -> None:
    """A start that failed after its rows were inserted: remove them (nothing else refers to them yet)."""
    try:
        with tx.write():
            tx.conn.execute(_DELETE, {"ids": ids})
    except Exception:  # the start's own error is the one to report
        log.exception("could not remove the rows of a failed start: %s", ids)


class _Version(NamedTuple):
    id: int
    sha256: str
    process_sources: Any


def _prepared(data: dict[str, Any] | None, patient_id: int | None) -> tuple[dict[str, Any], int | None]:
    data = dict(data or {})
    if patient_id is not None:
        data.setdefault("patient_id", patient_id)
    return data, patient_id if patient_id is not None else _int_or_none(data.get("patient_id"))


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
