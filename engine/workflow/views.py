"""What the web layer reads: inboxes and counts (SQL on pending_task only), and one task with its form.

Inbox order: overdue first, then by due date, undated last (`sort_at`), then oldest first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import Select, and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from engine.clock import as_utc, now
from engine.i18n import N_, Forbidden, NotFound
from engine.workflow import spiff
from engine.workflow.access import PERSONAL_ROLES, Actor, may_act
from engine.workflow.indexes import task_properties
from engine.workflow.models import PendingTask, ProcessInstance, ProcessModelVersion
from engine.workflow.validation import resolve_form_path


@dataclass(frozen=True)
class InboxItem:
    instance_id: int
    task_guid: str
    process_model_id: str
    title: str
    role: str
    patient_id: int | None
    assignee_user_id: int | None
    candidate_group: str | None
    claimed_by: int | None
    due_at: datetime | None
    created_at: datetime

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.due_at < now()


@dataclass(frozen=True)
class TaskView:
    instance_id: int
    task_guid: str
    name: str
    title: str
    lane: str | None
    role: str
    process_model_id: str
    patient_id: int | None
    due_at: datetime | None
    instructions: str  # Markdown + Jinja over `data`; render with render_instructions
    form_schema: dict[str, Any] | None
    ui_schema: dict[str, Any] | None
    data: dict[str, Any]


_COLUMNS = (
    PendingTask.id, PendingTask.instance_id, PendingTask.task_guid, PendingTask.process_model_id, PendingTask.title,
    PendingTask.role, PendingTask.patient_id, PendingTask.assignee_user_id, PendingTask.candidate_group,
    PendingTask.claimed_by, PendingTask.due_at, PendingTask.sort_at, PendingTask.created_at,
)  # fmt: skip


def _branches(actor: Actor) -> list[Any]:
    """One equality predicate per index range, so each branch is an index scan in sort order."""
    roles = sorted(actor.roles)
    branches: list[Any] = [and_(PendingTask.assignee_user_id == actor.user_id, PendingTask.role.in_(roles))]
    for role in roles:
        if role in PERSONAL_ROLES:
            continue
        mine_or_free = or_(PendingTask.claimed_by.is_(None), PendingTask.claimed_by == actor.user_id)
        unassigned = PendingTask.assignee_user_id.is_(None)
        for group in sorted(actor.groups):
            branches.append(and_(PendingTask.role == role, PendingTask.candidate_group == group, unassigned, mine_or_free))
        branches.append(
            and_(PendingTask.role == role, PendingTask.candidate_group.is_(None), unassigned, mine_or_free)
        )
    return branches


def _inbox_query(actor: Actor, pathway: str | None, patient_id: int | None, limit: int | None) -> Select[Any]:
    parts = []
    for branch in _branches(actor):
        query = select(*_COLUMNS).where(branch)
        if pathway is not None:
            query = query.where(PendingTask.process_model_id == pathway)
        if patient_id is not None:
            query = query.where(PendingTask.patient_id == patient_id)
        if limit is not None:
            query = query.order_by(PendingTask.sort_at, PendingTask.id).limit(limit)
        parts.append(query.subquery().select() if limit is not None else query)
    combined = union_all(*parts).subquery()
    return select(combined).order_by(combined.c.sort_at, combined.c.id)


def inbox(
    session: Session, actor: Actor, pathway: str | None = None, patient_id: int | None = None, limit: int = 100
) -> list[InboxItem]:
    query = _inbox_query(actor, pathway, patient_id, limit).limit(limit)
    return [
        InboxItem(
            instance_id=row.instance_id,
            task_guid=row.task_guid,
            process_model_id=row.process_model_id,
            title=row.title,
            role=row.role,
            patient_id=row.patient_id,
            assignee_user_id=row.assignee_user_id,
            candidate_group=row.candidate_group,
            claimed_by=row.claimed_by,
            due_at=_aware(row.due_at),
            created_at=_aware(row.created_at),
        )
        for row in session.execute(query)
    ]


def inbox_counts(session: Session, actor: Actor, patient_id: int | None = None) -> dict[str, int]:
    """Pending tasks per pathway for this actor, for badges and menus."""
    combined = _inbox_query(actor, None, patient_id, None).subquery()
    rows = session.execute(
        select(combined.c.process_model_id, func.count()).group_by(combined.c.process_model_id)
    ).all()
    return {model: count for model, count in rows}


def overdue_count(session: Session, actor: Actor) -> int:
    combined = _inbox_query(actor, None, None, None).subquery()
    return session.scalar(select(func.count()).where(combined.c.sort_at < literal(now()))) or 0


def _aware(value: datetime | None) -> datetime | None:
    # Rows of a UNION come back without the UTC column type, so SQLite hands back naive values.
    return as_utc(value) if value is not None else None


def get_task(session: Session, actor: Actor, instance_id: int, task_guid: str) -> TaskView:
    """One pending task with its form, if it is the actor's; NotFound/Forbidden otherwise."""
    pending = session.scalars(
        select(PendingTask).where(PendingTask.instance_id == instance_id, PendingTask.task_guid == task_guid)
    ).first()
    if pending is None:
        raise NotFound(N_("There is no such task."))
    if not may_act(actor, pending.role, pending.assignee_user_id, pending.candidate_group, pending.claimed_by):
        raise Forbidden(N_("This task is not yours."))
    instance = session.get(ProcessInstance, instance_id)
    version = session.get(ProcessModelVersion, instance.version_id) if instance else None
    if instance is None or version is None:
        raise NotFound(N_("There is no such task."))
    specs = spiff.SPECS.get(version.id, version.sha256, lambda: version.serialized_spec)
    # No script runs while reading, so the plain engine is enough here.
    workflow = spiff.load_state(instance.state, specs, spiff.PathwayScriptEngine())
    task = workflow.get_task_from_id(UUID(task_guid))
    properties = task_properties(task)
    files_version = session.get(ProcessModelVersion, pending.form_version_id or version.id) or version
    return TaskView(
        instance_id=instance_id,
        task_guid=task_guid,
        name=pending.task_name,
        title=pending.title,
        lane=pending.lane,
        role=pending.role,
        process_model_id=pending.process_model_id,
        patient_id=pending.patient_id,
        due_at=pending.due_at,
        instructions=properties.get("instructionsForEndUser", "") or "",
        form_schema=_json_file(files_version.files, properties.get("formJsonSchemaFilename")),
        ui_schema=_json_file(files_version.files, properties.get("formUiSchemaFilename")),
        data=dict(task.data),
    )


def _json_file(files: dict[str, str], name: str | None) -> dict[str, Any] | None:
    path = resolve_form_path(files, name or "")
    return json.loads(files[path]) if path else None


_TEMPLATES = ImmutableSandboxedEnvironment(autoescape=False)


def render_instructions(template: str, data: dict[str, Any]) -> str:
    """Instructions are Jinja over task data, sandboxed (the Markdown step belongs to the web layer,
    which must escape/sanitize the HTML it produces)."""
    return _TEMPLATES.from_string(template).render(**data)


__all__ = ["InboxItem", "TaskView", "get_task", "inbox", "inbox_counts", "overdue_count", "render_instructions"]
