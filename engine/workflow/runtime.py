"""People acting on instances: completing, claiming and releasing tasks, and staff retrying or
cancelling. Each call is one engine step (see steps.py); a lost race raises Conflict."""

from __future__ import annotations

from typing import Any, NamedTuple
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.clock import now
from engine.i18n import N_, Conflict, Forbidden, NotFound, UserError
from engine.workflow import rawsql, spiffarena_helpers
from engine.workflow.access import LANE_ROLES, Actor, may_act, refusal, require_staff
from engine.workflow.connectors import ConnectorRegistry
from engine.workflow.models import CANCELLED, ERROR, FINISHED_STATUSES, PendingTask
from engine.workflow.start import start_instance, start_instances
from engine.workflow.steps import (
    ALREADY_DONE,
    FINAL_STATUS,
    RAW_PENDING_ROW,
    SessionFactory,
    Step,
    advance,
    record_error,
    run_step,
)

__all__ = [
    "cancel_instance", "claim_task", "complete_task", "release_task", "retry_instance", "start_instance",
    "start_instances",
]  # fmt: skip


def _pending(session: Session, instance_id: int, task_guid: str) -> PendingTask | None:
    return session.scalars(
        select(PendingTask).where(PendingTask.instance_id == instance_id, PendingTask.task_guid == task_guid)
    ).first()


def _pending_row(step: Step, instance_id: int, task_guid: str) -> Any:
    cur = rawsql.run(step.conn, step.cursor, RAW_PENDING_ROW, {"instance_id": instance_id, "task_guid": task_guid})
    row = cur.fetchone()
    return None if row is None else _Pending(*row)


class _Pending(NamedTuple):  # the columns of steps.PENDING_COLUMNS, in that order
    role: str
    assignee_user_id: int | None
    candidate_group: str | None
    claimed_by: int | None
    task_name: str
    title: str


def _ready_task(step: Step, task_guid: str) -> Any:
    try:
        task = step.workflow.get_task_from_id(UUID(task_guid))
    except Exception:
        task = None
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        raise Conflict(ALREADY_DONE)
    return task


# Form data may never move a task to someone else by naming a new patient; and a patient's form may
# not assign anyone at all. Doctors may set doctor_id/instructor_id etc. (attach an instructor).
def _check_submitted_keys(role: str, data: dict[str, Any]) -> None:
    for key in data:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            raise UserError(N_("%(field)s is not a valid field name."), field=str(key))
        assigning = any(key in (f"{r}_id", f"{r}_group") for r in LANE_ROLES)
        if key == "patient_id" or (assigning and role == "patient"):
            raise Forbidden(N_("%(field)s cannot be changed here."), field=key)


def complete_task(
    session_factory: SessionFactory,
    actor: Actor,
    instance_id: int,
    task_guid: str,
    data: dict[str, Any] | None = None,
    connectors: ConnectorRegistry | None = None,
) -> str:
    """Submit a user task's form data and run the pathway on; returns the instance's new status."""
    data = dict(data or {})

    def act(step: Step) -> object:
        pending = _pending_row(step, instance_id, task_guid)
        if pending is None:
            if _task_exists(step, task_guid):
                raise Conflict(ALREADY_DONE)  # it was pending once; another step has moved past it
            raise NotFound(N_("There is no such task."))
        if not may_act(actor, pending.role, pending.assignee_user_id, pending.candidate_group, pending.claimed_by):
            raise refusal(actor, pending.role, pending.candidate_group)
        _check_submitted_keys(pending.role, data)
        task = _ready_task(step, task_guid)
        spiffarena_helpers.record_completion(task, actor.user_id)
        step.tx.end_read()  # the task's scripts run next: no transaction open
        spec = task.task_spec
        if hasattr(spec, "add_data_from_form"):
            spec.add_data_from_form(task, data)
        else:
            task.data.update(data)
        step.history.append(
            {
                "instance_id": instance_id,
                "task_guid": task_guid,
                "task_name": pending.task_name,
                "title": pending.title,
                "completed_by": actor.user_id,
                "completed_at": now(),
                "data": data,
            }
        )
        try:
            task.run()
        except Exception as exc:
            record_error(step, exc)
            return FINAL_STATUS
        advance(step)
        return FINAL_STATUS

    return run_step(session_factory, instance_id, act, connectors)


def _task_exists(step: Step, task_guid: str) -> bool:
    # Under READ COMMITTED the state we loaded may predate the commit that removed the pending row,
    # so the task's state in it says nothing; that the task exists at all is what tells stale from bogus.
    try:
        return step.workflow.get_task_from_id(UUID(task_guid)) is not None
    except Exception:
        return False


def claim_task(session: Session, actor: Actor, instance_id: int, task_guid: str) -> None:
    """Take a queue task so that no colleague works on it at the same time."""
    pending = _pending(session, instance_id, task_guid)
    if pending is None:
        raise NotFound(N_("There is no such task."))
    if not may_act(actor, pending.role, pending.assignee_user_id, pending.candidate_group, None):
        raise refusal(actor, pending.role, pending.candidate_group)
    if pending.assignee_user_id is not None:
        return  # a personal task needs no claim
    result = session.execute(
        update(PendingTask)
        .where(PendingTask.id == pending.id, PendingTask.claimed_by.is_(None))
        .values(claimed_by=actor.user_id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1 and pending.claimed_by != actor.user_id:
        session.refresh(pending)
        if pending.claimed_by != actor.user_id:
            raise Conflict(N_("A colleague has already taken this task."))


def release_task(session: Session, actor: Actor, instance_id: int, task_guid: str) -> None:
    pending = _pending(session, instance_id, task_guid)
    if pending is None:
        raise NotFound(N_("There is no such task."))
    if pending.claimed_by != actor.user_id and not actor.is_staff:
        raise Forbidden(N_("This task is not yours."))
    pending.claimed_by = None


def retry_instance(
    session_factory: SessionFactory, actor: Actor, instance_id: int, connectors: ConnectorRegistry | None = None
) -> str:
    """Run the failed elements again (after the pathway or a connector was fixed); staff only."""
    require_staff(actor)

    def act(step: Step) -> object:
        if step.instance.status != ERROR:
            raise Conflict(N_("This pathway has no error to retry."))
        for task in step.workflow.get_tasks(state=TaskState.ERROR):
            task.reset_branch(None)  # back to the data it had before the failed attempt
        step.events.append(("retry", ""))
        advance(step)
        return FINAL_STATUS

    return run_step(session_factory, instance_id, act, connectors)


def cancel_instance(session_factory: SessionFactory, actor: Actor, instance_id: int, reason: str = "") -> None:
    require_staff(actor)

    def act(step: Step) -> None:
        if step.instance.status in FINISHED_STATUSES:
            raise Conflict(N_("This pathway has already ended."))
        step.workflow.cancel()
        step.instance.status = CANCELLED
        step.events.append(("cancel", reason))

    run_step(session_factory, instance_id, act, None)
