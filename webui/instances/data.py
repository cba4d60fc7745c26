"""Reading one instance for its page and the API: who may see it, its current data, its history, and
its diagram. Only an instance page deserializes a workflow (inboxes never do).

Who may see an instance:
- people who run pathways (manager, analyst, admin: `Actor.is_staff`): everything, and may retry;
- a doctor or instructor who started it, completed a task in it, or has one of its tasks: everything;
- the patient it is about: a summary (status, pathway, their pending tasks) -- no other people's
  answers, no internal data;
- anyone else: nothing (403; an unknown id is 404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import roles
from engine.accounts.models import User
from engine.i18n import N_, Forbidden, NotFound
from engine.workflow import Actor
from engine.workflow.access import may_act
from engine.workflow.models import (
    InstanceEvent,
    PendingTask,
    ProcessInstance,
    ProcessModel,
    ProcessModelVersion,
    TaskHistory,
)
from engine.workflow.views import instance_data, may_read_instance
from webui.messages import stored_message

FULL, SUMMARY = "full", "summary"


@dataclass(frozen=True)
class InstanceView:
    instance: ProcessInstance
    title: str
    version_number: int
    access: str
    pending: list[PendingTask]


def load(session: Session, actor: Actor, instance_id: int, need: str = SUMMARY) -> InstanceView:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(N_("There is no such pathway."))
    pending = list(
        session.scalars(select(PendingTask).where(PendingTask.instance_id == instance_id).order_by(PendingTask.id))
    )
    level = _access(session, actor, instance, pending)
    if level is None and not actor.roles & roles.STAFF_ROLES and instance.patient_id != actor.user_id:
        raise NotFound(N_("There is no such pathway."))  # another patient's pathway: not even its existence
    if level is None or (need == FULL and level != FULL):
        raise Forbidden(N_("You do not have access to this pathway."))
    model = session.get(ProcessModel, instance.process_model_id)
    version = session.get(ProcessModelVersion, instance.version_id)
    if level == SUMMARY:
        pending = [p for p in pending if may_act(actor, p.role, p.assignee_user_id, p.candidate_group, p.claimed_by)]
    return InstanceView(
        instance=instance,
        title=model.title if model else instance.process_model_id,
        version_number=version.number if version else 0,
        access=level,
        pending=pending,
    )


def _access(session: Session, actor: Actor, instance: ProcessInstance, pending: list[PendingTask]) -> str | None:
    if may_read_instance(session, actor, instance, pending):
        return FULL
    if roles.PATIENT in actor.roles and instance.patient_id == actor.user_id:
        return SUMMARY
    return None


def current_data(session: Session, actor: Actor, instance_id: int) -> dict[str, Any]:
    """The task data as it stands (the engine reads it and checks who asks: views.instance_data)."""
    return instance_data(session, actor, instance_id)


def history(session: Session, instance_id: int) -> list[dict[str, Any]]:
    """Completed tasks and instance events (start, error, retry, timer, message), oldest first."""
    tasks = list(session.scalars(select(TaskHistory).where(TaskHistory.instance_id == instance_id)))
    events = list(session.scalars(select(InstanceEvent).where(InstanceEvent.instance_id == instance_id)))
    people = {t.completed_by for t in tasks if t.completed_by} | {e.actor_user_id for e in events if e.actor_user_id}
    names = {u.id: u.full_name for u in session.scalars(select(User).where(User.id.in_(people)))} if people else {}
    rows = [
        {"kind": "task", "at": t.completed_at, "title": t.title, "element": t.task_name,
         "by": names.get(t.completed_by or 0), "by_id": t.completed_by, "data": t.data, "id": t.id}
        for t in tasks
    ] + [
        {"kind": e.kind, "at": e.at, "title": "", "element": None, "by": names.get(e.actor_user_id or 0),
         "by_id": e.actor_user_id, "data": stored_message(e.detail), "id": e.id}
        for e in events
    ]  # fmt: skip
    return sorted(rows, key=lambda r: (r["at"], r["kind"] != "start", r["id"]))


def diagram_xml(session: Session, instance: ProcessInstance) -> str | None:
    """The BPMN file that defines the instance's main process, for the viewer."""
    version = session.get(ProcessModelVersion, instance.version_id)
    if version is None:
        return None
    marker = f'id="{version.primary_process_id}"'
    candidates = [text for path, text in sorted(version.files.items()) if path.endswith(".bpmn")]
    for text in candidates:
        if marker in text:
            return text
    return candidates[0] if candidates else None


def list_columns(session: Session, instances: list[ProcessInstance]) -> tuple[dict[int, str], dict[int, list[str]]]:
    """For the instance list: the patient's name by instance id, and the titles of its pending tasks (the
    index, no workflow is read)."""
    ids = [i.id for i in instances]
    people = {i.patient_id for i in instances if i.patient_id}
    names = {u.id: u.full_name for u in session.scalars(select(User).where(User.id.in_(people)))} if people else {}
    patients = {i.id: names.get(i.patient_id or 0, "") for i in instances}
    steps: dict[int, list[str]] = {}
    if ids:
        rows = session.execute(select(PendingTask.instance_id, PendingTask.title)
                               .where(PendingTask.instance_id.in_(ids)).order_by(PendingTask.id))  # fmt: skip
        for instance_id, title in rows:
            steps.setdefault(instance_id, []).append(title)
    return patients, steps
