"""Moving chosen running instances to a newer version of their model, when that is safe.

Safe means: the part the instance has already done is the same in the new version. With SpiffWorkflow's
own spec diff (SpiffWorkflow.bpmn.util.diff) each completed task's spec is aligned by BPMN id with the
new version's; a completed task whose spec is gone or changed (its type, its script, its outgoing
flows...) refuses the move, and so does a task the instance waits in that the new version no longer has,
a called process that no longer exists, an instance in error or already finished. Only the names and
documentation of elements may differ.

The move itself is SpiffWorkflow's `migrate_workflow`: tasks take the new specs, waiting and ready tasks
are predicted again; a waiting timer keeps its due time. The instance row is written with
`UPDATE ... WHERE revision = ?` like any engine step, its index rows rebuilt, and the move recorded in
`instance_migration`, the instance's events and the audit journal, with who and when.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine import audit
from engine.clock import now
from engine.i18n import N_, coded_message
from engine.studio.models import InstanceMigration
from engine.workflow import indexes, persistence, serialization, spiff
from engine.workflow.cache import WORKFLOWS
from engine.workflow.models import (
    ERROR,
    FINISHED_STATUSES,
    InstanceEvent,
    ProcessInstance,
    ProcessModelVersion,
)
from engine.workflow.spiff import SpecDiff, TaskState, WorkflowDiff, migrate_workflow

COSMETIC = frozenset({"bpmn_name", "documentation"})
ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class Outcome:
    instance_id: int
    migrated: bool
    reasons: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (N_ msgid, params)


@dataclass(frozen=True)
class _Target:
    id: int
    process_model_id: str
    version_id: int
    process_sources: dict[str, int | None]


def _registry() -> Any:
    # The engine's own serializer registry: it knows the clock timers, so their specs compare correctly.
    return serialization.registry()


def _changed_keys(spec_diff: SpecDiff, spec: Any) -> list[str]:
    return [k for k in spec_diff.comparisons.get(spec, []) if k not in COSMETIC]


def step_name(spec: Any) -> str:
    """What staff call an element: its name in the diagram (a msgid, translated where shown), else its id."""
    return getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name


def _check(workflow: Any, spec_diff: SpecDiff, reasons: list[tuple[str, dict[str, Any]]]) -> WorkflowDiff:
    # Reasons name the step as the diagram does, never internal ids or the spec's fields (staff read them).
    removed = set(spec_diff.removed)
    for task in workflow.get_tasks(skip_subprocesses=True):
        step = step_name(task.task_spec)
        if task.state == TaskState.COMPLETED:
            if task.task_spec in removed:
                reasons.append((N_("The step “%(step)s”, already done, is not in the new version."), {"step": step}))
            elif _changed_keys(spec_diff, task.task_spec):
                reasons.append((N_("The step “%(step)s”, already done, works differently in the new version."),
                                {"step": step}))  # fmt: skip
        elif task.state & ACTIVE and task.task_spec in removed:
            reasons.append((N_("The instance waits at “%(step)s”, which the new version no longer has."),
                            {"step": step}))  # fmt: skip
    return WorkflowDiff(workflow, spec_diff)


def plan(
    session: Session, instance: ProcessInstance, old: ProcessModelVersion, new: ProcessModelVersion
) -> tuple[Any, list[Any], list[tuple[str, dict[str, Any]]]]:
    """(workflow, [(diff, sub/workflow, new spec)...], refusal reasons) for moving `instance` to `new`."""
    reasons: list[tuple[str, dict[str, Any]]] = []
    if instance.status in FINISHED_STATUSES:
        return None, [], [(N_("The instance has already finished."), {})]
    if instance.status == ERROR:
        return None, [], [(N_("The instance is in error; retry or cancel it first."), {})]
    if new.process_model_id != instance.process_model_id:
        return None, [], [(N_("The version belongs to another pathway."), {})]
    if new.id == instance.version_id:
        return None, [], [(N_("The instance is already on this version."), {})]
    old_spec, _old_subs = spiff.load_specs(old.serialized_spec)
    new_spec, new_subs = spiff.load_specs(new.serialized_spec)
    workflow = persistence.load_outside_step(
        session.connection(), instance.id, instance.state, (old_spec, _old_subs), spiff.IDLE_ENGINE
    )
    if new_spec.name != workflow.spec.name:
        return None, [], [(N_("The new version starts another process (%(name)s)."), {"name": new_spec.name})]
    registry = _registry()
    steps = [(_check(workflow, SpecDiff(registry, workflow.spec, new_spec), reasons), workflow, new_spec)]
    for sub in workflow.subprocesses.values():
        target = new_subs.get(sub.spec.name)
        if target is None:
            reasons.append(
                (N_("The called process %(name)s is not in the new version."), {"name": sub.spec.name})
            )
            continue
        steps.append((_check(sub, SpecDiff(registry, sub.spec, target), reasons), sub, target))
    workflow.subprocess_specs = new_subs
    return workflow, steps, reasons


def migrate_instance(
    session: Session, instance_id: int, new: ProcessModelVersion, actor_id: int | None, ip: str = ""
) -> Outcome:
    """Move one instance in the caller's transaction, or refuse with the reasons (then nothing changes
    but the audit entry of the refusal)."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or instance.process_model_id != new.process_model_id:
        return Outcome(instance_id, False, [(N_("There is no such instance of this pathway."), {})])
    old = session.get(ProcessModelVersion, instance.version_id)
    assert old is not None
    workflow, steps, reasons = plan(session, instance, old, new)
    if not reasons:
        reasons = _apply(workflow, steps)
    if reasons:
        coded = [coded_message(message, params) for message, params in reasons]
        audit.record(
            session,
            "process_migration_refused",
            actor_id=actor_id,
            ip=ip,
            object_type="process_instance",
            object_id=instance_id,
            from_version=old.number,
            to_version=new.number,
            reasons=coded,
        )
        # In the instance's own history too, where staff look first.
        session.add(InstanceEvent(
            instance_id=instance_id, kind="migration_refused", actor_user_id=actor_id, at=now(),
            detail=coded_message(N_("Not moved from version %(old)s to %(new)s: %(reasons)s"),
                                 {"old": old.number, "new": new.number, "reasons": coded}),
        ))  # fmt: skip
        return Outcome(instance_id, False, reasons)
    _save(session, instance, old, new, workflow, actor_id, ip)
    return Outcome(instance_id, True)


def _apply(workflow: Any, steps: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    # A waiting timer keeps its due time: migrate_workflow re-predicts waiting tasks and would restart it.
    kept = {t.id: dict(t.internal_data) for t in spiff.tasks_in_state(workflow, TaskState.WAITING)}
    try:
        for diff, target, spec in steps:
            migrate_workflow(diff, target, spec)
        for task_id, internal in kept.items():
            task = workflow.get_task_from_id(task_id) if _has_task(workflow, task_id) else None
            if task is not None and task.state == TaskState.WAITING:
                task.internal_data = internal
        workflow.do_engine_steps()
        workflow.refresh_waiting_tasks()
    except Exception as exc:  # the new version cannot take the instance: refuse, nothing is saved
        return [(N_("The new version cannot continue this instance: %(reason)s"), {"reason": str(exc)[:300]})]
    return []


def _has_task(workflow: Any, task_id: Any) -> bool:
    return task_id in workflow.tasks or any(task_id in sub.tasks for sub in workflow.subprocesses.values())


def _save(
    session: Session,
    instance: ProcessInstance,
    old: ProcessModelVersion,
    new: ProcessModelVersion,
    workflow: Any,
    actor_id: int | None,
    ip: str,
) -> None:
    at = now()

    def write_head(state: str) -> None:
        result = session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id == instance.id, ProcessInstance.revision == instance.revision)
            .values(version_id=new.id, state=state, revision=instance.revision + 1, updated_at=at)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            from engine.i18n import Conflict

            raise Conflict(N_("The instance moved on meanwhile; try again."))

    persistence.save_outside_step(session.connection(), instance.id, workflow, write_head)
    target = _Target(instance.id, instance.process_model_id, new.id, dict(new.process_sources or {}))
    indexes.rebuild(session.connection(), target, workflow, instance.patient_id)
    waiting = sorted({step_name(t.task_spec) for t in spiff.tasks_in_state(workflow, TaskState.READY)})
    # Coded (engine.i18n): each reader sees it in their language, with the steps' names translated.
    detail = coded_message(N_("Moved from version %(old)s to %(new)s; now at: %(steps)s."),
                           {"old": old.number, "new": new.number, "steps": waiting})
    session.add(
        InstanceMigration(
            instance_id=instance.id,
            from_version_id=old.id,
            to_version_id=new.id,
            migrated_by=actor_id,
            migrated_at=at,
            detail=detail,
        )
    )
    session.add(
        InstanceEvent(instance_id=instance.id, kind="migrated", actor_user_id=actor_id, detail=detail, at=at)
    )
    audit.record(
        session,
        "process_migrated",
        actor_id=actor_id,
        ip=ip,
        object_type="process_instance",
        object_id=instance.id,
        from_version=old.number,
        to_version=new.number,
    )
    session.flush()
    session.expire(instance)
    WORKFLOWS.discard(instance.id)  # the cache would drop it anyway (other version); say so plainly
