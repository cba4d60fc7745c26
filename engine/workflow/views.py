"""What the web layer reads: inboxes and counts (SQL on pending_task only), and one task with its form.

Inbox order: overdue first, then by due date, undated last (`sort_at`), then oldest first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import Select, and_, bindparam, func, or_, select, union_all
from sqlalchemy.orm import Session

from engine import roles
from engine.clock import as_utc, now
from engine.db import UTCDateTime
from engine.i18n import N_, Forbidden, NotFound, UserError
from engine.workflow import limits, persistence, spiff, spiffarena_helpers
from engine.workflow.access import ANY_ROLE, OWNERS_PREFIX, PERSONAL_ROLES, Actor, may_act, refusal
from engine.workflow.indexes import task_properties
from engine.workflow.models import PendingTask, ProcessInstance, ProcessModelVersion, TaskHistory
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
    # Who holds the task (as in the inbox), and the versions: the instance's, and the one whose files
    # hold this task's form (another model's, for a task of a called shared process).
    assignee_user_id: int | None = None
    candidate_group: str | None = None
    claimed_by: int | None = None
    version_id: int | None = None
    form_version_id: int | None = None

    @property
    def queue_task(self) -> bool:
        """A group or role queue task (claimable), not a personal one."""
        return self.assignee_user_id is None


_COLUMNS = (
    PendingTask.id, PendingTask.instance_id, PendingTask.task_guid, PendingTask.process_model_id, PendingTask.title,
    PendingTask.role, PendingTask.patient_id, PendingTask.assignee_user_id, PendingTask.candidate_group,
    PendingTask.claimed_by, PendingTask.due_at, PendingTask.sort_at, PendingTask.created_at,
)  # fmt: skip


def _branches(roles: tuple[str, ...], groups: int) -> list[Any]:
    """One equality predicate per index range, so each branch is an index scan in sort order. Who asks is
    a bind parameter (`me`, `group_0`...), so the statement depends only on the shape of the actor."""
    me = bindparam("me")
    branches: list[Any] = [and_(PendingTask.assignee_user_id == me, PendingTask.role.in_((*roles, ANY_ROLE)))]
    # Tasks of SpiffArena's lanes (role ANY_ROLE): a group's queue, or people named by lane_owners.
    free = and_(PendingTask.assignee_user_id.is_(None),
                or_(PendingTask.claimed_by.is_(None), PendingTask.claimed_by == me))
    for n in range(groups):
        branches.append(and_(PendingTask.role == ANY_ROLE, PendingTask.candidate_group == bindparam(f"group_{n}"), free))
    for n in range(groups + 2):  # an actor has at most 2 + len(groups) owner keys (see Actor.owner_keys)
        branches.append(and_(PendingTask.role == ANY_ROLE, PendingTask.candidate_group.like(bindparam(f"owner_{n}")), free))
    for role in roles:
        if role in PERSONAL_ROLES:
            continue
        mine_or_free = or_(PendingTask.claimed_by.is_(None), PendingTask.claimed_by == me)
        unassigned = PendingTask.assignee_user_id.is_(None)
        for n in range(groups):
            group = PendingTask.candidate_group == bindparam(f"group_{n}")
            branches.append(and_(PendingTask.role == role, group, unassigned, mine_or_free))
        branches.append(
            and_(PendingTask.role == role, PendingTask.candidate_group.is_(None), unassigned, mine_or_free)
        )
    return branches


# Built once per shape: building this union costs several times more than SQLite takes to run it.
@lru_cache(maxsize=512)
def _union(roles: tuple[str, ...], groups: int, by_pathway: bool, by_patient: bool, limit: int | None) -> Select[Any]:
    parts = []
    for branch in _branches(roles, groups):
        query = select(*_COLUMNS).where(branch)
        if by_pathway:
            query = query.where(PendingTask.process_model_id == bindparam("pathway"))
        if by_patient:
            query = query.where(PendingTask.patient_id == bindparam("patient_id"))
        if limit is not None:
            query = query.order_by(PendingTask.sort_at, PendingTask.id).limit(limit)
        parts.append(query.subquery().select() if limit is not None else query)
    combined = union_all(*parts).subquery()
    query = select(combined).order_by(combined.c.sort_at, combined.c.id)
    return query.limit(limit) if limit is not None else query


def _inbox_query(
    actor: Actor, pathway: str | None, patient_id: int | None, limit: int | None
) -> tuple[Select[Any], dict[str, Any]]:
    groups = sorted(actor.groups)
    params: dict[str, Any] = {"me": actor.user_id, "pathway": pathway, "patient_id": patient_id}
    params.update({f"group_{n}": group for n, group in enumerate(groups)})
    keys = actor.owner_keys()
    # An owners list has no empty entry ("||"): the unused branches match nothing.
    params.update({f"owner_{n}": f"{OWNERS_PREFIX}%|{keys[n] if n < len(keys) else ''}|%" for n in range(len(groups) + 2)})
    statement = _union(tuple(sorted(actor.roles)), len(groups), pathway is not None, patient_id is not None, limit)
    return statement, params


@lru_cache(maxsize=512)
def _counts(roles: tuple[str, ...], groups: int, by_patient: bool) -> Select[Any]:
    combined = _union(roles, groups, False, by_patient, None).subquery()
    return select(combined.c.process_model_id, func.count()).group_by(combined.c.process_model_id)


@lru_cache(maxsize=512)
def _overdue(roles: tuple[str, ...], groups: int) -> Select[Any]:
    combined = _union(roles, groups, False, False, None).subquery()
    return select(func.count()).where(combined.c.sort_at < bindparam("now", type_=UTCDateTime))


def inbox(
    session: Session, actor: Actor, pathway: str | None = None, patient_id: int | None = None, limit: int = 100
) -> list[InboxItem]:
    query, params = _inbox_query(actor, pathway, patient_id, limit)
    # Unpacked by position: a page is up to `limit` rows and named access per field adds up.
    return [
        InboxItem(iid, guid, model, title, role, patient, assignee, group, claimed, _aware(due), _aware(created))
        for _id, iid, guid, model, title, role, patient, assignee, group, claimed, due, _sort, created in session.execute(
            query, params
        )
    ]


def inbox_counts(session: Session, actor: Actor, patient_id: int | None = None) -> dict[str, int]:
    """Pending tasks per pathway for this actor, for badges and menus."""
    _query, params = _inbox_query(actor, None, patient_id, None)
    statement = _counts(tuple(sorted(actor.roles)), len(actor.groups), patient_id is not None)
    return {model: count for model, count in session.execute(statement, params).all()}


def overdue_count(session: Session, actor: Actor) -> int:
    _query, params = _inbox_query(actor, None, None, None)
    statement = _overdue(tuple(sorted(actor.roles)), len(actor.groups))
    return session.scalar(statement, {**params, "now": now()}) or 0


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
        raise refusal(actor, pending.role, pending.candidate_group)
    instance = session.get(ProcessInstance, instance_id)
    version = session.get(ProcessModelVersion, instance.version_id) if instance else None
    if instance is None or version is None:
        raise NotFound(N_("There is no such task."))
    specs = spiff.SPECS.get(version.id, version.sha256, lambda: version.serialized_spec)
    # No script runs while reading, so the plain engine is enough here.
    workflow = persistence.load_outside_step(session.connection(), instance.id, instance.state, specs, spiff.IDLE_ENGINE)
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
        instructions=task_instructions(task),
        form_schema=_json_file(files_version.files, properties.get("formJsonSchemaFilename")),
        ui_schema=_json_file(files_version.files, properties.get("formUiSchemaFilename")),
        data=dict(task.data),
        assignee_user_id=pending.assignee_user_id,
        candidate_group=pending.candidate_group,
        claimed_by=pending.claimed_by,
        version_id=version.id,
        form_version_id=files_version.id,
    )


def task_instructions(task: Any) -> str:
    """`instructionsForEndUser`: SpiffArena writes a `<spiffworkflow:instructionsForEndUser>` element
    (SpiffWorkflow keeps it in the spec's extensions); older models of ours a property of that name.
    The element wins when a task has both."""
    extensions = getattr(task.task_spec, "extensions", None) or {}
    element = extensions.get("instructionsForEndUser")
    if isinstance(element, str) and element.strip():
        return element
    return task_properties(task).get("instructionsForEndUser", "") or ""


# Besides staff, the people caring for the patient in this pathway may read its data; a patient gets
# only their own tasks (their form shows their answers), not other people's answers or internal data.
CARE_ROLES = frozenset({roles.DOCTOR, roles.INSTRUCTOR})


def instance_data(session: Session, actor: Actor, instance_id: int) -> dict[str, Any]:
    """The task data of an instance as it stands, for staff views: that of its pending tasks, else the
    data the process ended with. Staff see every instance; a doctor or instructor one they started, have
    a task in, or completed a task in. NotFound for an unknown id or a patient's foreign one, Forbidden
    for other staff."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(N_("There is no such pathway."))
    pending = list(
        session.scalars(select(PendingTask).where(PendingTask.instance_id == instance_id).order_by(PendingTask.id))
    )
    if not may_read_instance(session, actor, instance, pending):
        if not actor.roles & roles.STAFF_ROLES and instance.patient_id != actor.user_id:
            raise NotFound(N_("There is no such pathway."))  # a patient learns nothing of others' pathways
        raise Forbidden(N_("You do not have access to this pathway."))
    version = session.get(ProcessModelVersion, instance.version_id)
    if version is None or not instance.state:
        return {}
    specs = spiff.SPECS.get(version.id, version.sha256, lambda: version.serialized_spec)
    # Reading runs no script.
    workflow = persistence.load_outside_step(session.connection(), instance.id, instance.state, specs, spiff.IDLE_ENGINE)
    data: dict[str, Any] = {}
    for row in pending:
        task = workflow.get_task_from_id(UUID(row.task_guid))
        if task is not None:
            data.update(task.data)
    if not data:
        last = getattr(workflow, "last_task", None)
        data = dict(workflow.data or {}) or (dict(last.data) if last is not None else {})
    # The engine's own bookkeeping for SpiffArena's helpers (who started, who completed) is not task data.
    data.pop(spiffarena_helpers.FACTS, None)
    return data


def may_read_instance(session: Session, actor: Actor, instance: ProcessInstance, pending: list[PendingTask]) -> bool:
    """The one rule for reading an instance's full data and history (pages, API, instance_data)."""
    if actor.is_staff:
        return True
    if not actor.roles & CARE_ROLES:
        return False
    if instance.started_by == actor.user_id:
        return True
    if any(may_act(actor, p.role, p.assignee_user_id, p.candidate_group, p.claimed_by) for p in pending):
        return True
    took_part = session.scalar(
        select(TaskHistory.id)
        .where(TaskHistory.instance_id == instance.id, TaskHistory.completed_by == actor.user_id)
        .limit(1)
    )
    return took_part is not None


def _json_file(files: dict[str, str], name: str | None) -> dict[str, Any] | None:
    if not name:
        return None
    path = resolve_form_path(files, name)
    if path is None:
        # Never silently a form-less task: deploy checked the file, so the task points at the wrong model.
        raise UserError(N_("The form file %(name)s of this task cannot be found."), name=name)
    return json.loads(files[path])


_TEMPLATES = ImmutableSandboxedEnvironment(autoescape=False)


def render_instructions(template: str, data: dict[str, Any]) -> str:
    """Instructions are Jinja over task data, sandboxed (the Markdown step belongs to the web layer,
    which must escape/sanitize the HTML it produces)."""
    with limits.running():  # the budget of pathway code; Jinja's sandbox caps range() at 100,000 items
        return _TEMPLATES.from_string(template).render(**data)


__all__ = [
    "InboxItem", "TaskView", "get_task", "inbox", "inbox_counts", "instance_data", "overdue_count",
    "render_instructions",
]  # fmt: skip
