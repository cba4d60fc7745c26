"""What the task pages and the JSON API share: who the person is to the engine, loading a task with its
form, and completing it (validation happens in the caller: WTForms for pages, JSON for the API).

Actor groups (`actor_for`): `role:<role>` for each role a person holds (a task with `doctor_group =
"role:doctor"` is any doctor's queue); the work groups an admin manages (`group:<name>`); and a doctor's
institution queues from their registry posts (`institution:5:doctor`, `institution:5:specialty:3`,
engine.consultations.centers.doctor_groups), added here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session, sessionmaker

from engine import audit, roles
from engine.accounts import groups as work_groups
from engine.accounts.models import UserRole
from engine.composition import build_connectors
from engine.consultations import centers
from engine.i18n import N_, Conflict, NotFound, UserError
from engine.workflow import Actor, ConnectorRegistry, TaskView, complete_task, get_task
from engine.workflow.access import GROUP_PREFIX
from engine.workflow.models import PendingTask, ProcessModel, TaskHistory
from forms import DynamicOptionsMissing, FormSchemaError, SchemaForm, build_form_class, prepare
from forms.domain import Upload
from integrations.files import file_store

CONNECTORS_KEY = "carepath_connectors"
SLOT_PROVIDERS_KEY = "carepath_slot_providers"


# Tasks done on a page of their own area (the day's questionnaire), never through the generic task page,
# which would offer "Mark as done" and so close the task unanswered: (process model id, BPMN task id) ->
# the page's address for the task's data. Areas add theirs in their register().
OWN_PAGES: dict[tuple[str, str], Callable[[dict[str, Any]], str | None]] = {}
# Where a person goes after completing a task, when not to the inbox: an area that owns the task's subject
# (a consultation) answers with its page's address for the task's data and the person, or None. The first
# address wins. Without one the person goes back to "My tasks".
AFTER_DONE_PAGES: list[Callable[[dict[str, Any], Any], str | None]] = []


def after_done_page(view: TaskView, user: Any) -> str | None:
    for page in AFTER_DONE_PAGES:
        address = page(view.data, user)
        if address:
            return address
    return None


def own_page(view: TaskView) -> str | None:
    page = OWN_PAGES.get((view.process_model_id, view.name))
    return page(view.data) if page is not None else None


class FormUnavailable(UserError):
    """The task's form file cannot be built (a deploy-time check should have caught it)."""

    status = 500


def actor_for(user: Any) -> Actor:
    """The engine's view of an account: id, roles, and candidate groups (see the module docstring)."""
    names = frozenset(user.role_names)
    groups = {f"role:{role}" for role in names}
    session = object_session(user)
    if session is not None:  # work groups an admin manages (lanes that are not roles, SpiffArena's)
        groups.update(f"{GROUP_PREFIX}{name}" for name in work_groups.groups_of(session, user.id))
        if roles.DOCTOR in names:  # the review queues of their institutions and specialties
            groups.update(centers.doctor_groups(session, user.id))
    return Actor(user_id=user.id, roles=names, groups=frozenset(groups), email=user.email)


def sessions() -> sessionmaker[Session]:
    return current_app.extensions["carepath"].sessions


def connectors() -> ConnectorRegistry:
    """The app's connector registry, composed once per app (engine.composition)."""
    registry = current_app.extensions.get(CONNECTORS_KEY)
    if registry is None:
        registry = build_connectors(current_app.extensions["carepath"].settings)
        current_app.extensions[CONNECTORS_KEY] = registry
    return registry


def slot_providers() -> dict[str, Any]:
    """Slot pickers' choice providers (name -> callable(task_data)); scheduling registers them here."""
    return current_app.extensions.setdefault(SLOT_PROVIDERS_KEY, {})


def load_task(session: Session, actor: Actor, instance_id: int, task_guid: str) -> TaskView:
    """The actor's pending task; 403 if someone else's, 409 if it was completed meanwhile by the actor or by a
    colleague of the same queue, 404 otherwise (a foreign task is 404 whatever its state)."""
    try:
        return get_task(session, actor, instance_id, task_guid)
    except NotFound:
        done = session.execute(
            select(TaskHistory.completed_by)
            .where(TaskHistory.instance_id == instance_id, TaskHistory.task_guid == task_guid)
            .limit(1)
        ).first()
        if done is None:
            raise
        if done.completed_by == actor.user_id:
            raise Conflict(N_("You have already completed this task.")) from None
        if not _shared_queue(session, actor, done.completed_by):
            # Someone else's task, whatever its state: saying it was completed would tell that it exists.
            raise
        raise Conflict(N_("This task was already completed by someone else.")) from None


def _shared_queue(session: Session, actor: Actor, completer_id: int | None) -> bool:
    """Whether the completer held a staff role the actor holds too, i.e. the task may have been in a queue
    the actor shares. A patient's tasks are personal, so a patient never shares one."""
    staff_roles = actor.roles & roles.STAFF_ROLES
    if completer_id is None or not staff_roles:
        return False
    shared = session.scalar(
        select(UserRole.id).where(UserRole.user_id == completer_id, UserRole.role.in_(sorted(staff_roles))).limit(1)
    )
    return shared is not None


def pending_row(session: Session, instance_id: int, task_guid: str) -> PendingTask | None:
    return session.scalars(
        select(PendingTask).where(PendingTask.instance_id == instance_id, PendingTask.task_guid == task_guid)
    ).first()


def pathway_titles(session: Session, model_ids: Any) -> dict[str, str]:
    ids = sorted(set(model_ids))
    if not ids:
        return {}
    rows = session.execute(select(ProcessModel.id, ProcessModel.title).where(ProcessModel.id.in_(ids)))
    return {model_id: title for model_id, title in rows}


def form_class_for(view: TaskView) -> type[SchemaForm] | None:
    """The WTForms class of the task's form file, or None for a task without a form (a confirmation)."""
    if view.form_schema is None:
        return None
    try:
        # SpiffArena's conventions ($ref, options from task data, Jinja in titles) over this task's data.
        schema, ui_schema = prepare(view.form_schema, view.ui_schema, view.data)
        return build_form_class(schema, ui_schema, choices_providers=slot_providers())
    except DynamicOptionsMissing as exc:
        current_app.logger.error("form of task %s/%s: %s", view.instance_id, view.task_guid, exc)
        raise FormUnavailable(N_("The form of this task cannot be shown. Please tell the clinic.")) from exc
    except FormSchemaError as exc:
        current_app.logger.error("form of task %s/%s cannot be built: %s", view.instance_id, view.task_guid, exc)
        raise FormUnavailable(N_("The form of this task cannot be shown. Please tell the clinic.")) from exc


def form_values(view: TaskView) -> dict[str, Any]:
    """Task data for the form's own properties only: what prefills the form and what the API shows.
    Other task data (another person's answers, internal ids) is not handed out with a form."""
    properties = (view.form_schema or {}).get("properties") or {}
    return {name: view.data[name] for name in properties if name in view.data}


def store_uploads(instance_id: int, files: dict[str, list[Upload]], multiple: dict[str, bool]) -> dict[str, Any]:
    """Saves checked uploads in the file store (the instance folder, or the store every host shares);
    task data keeps their storage names (`<sha256>.<ext>`), never the patient's file names as paths."""
    store = file_store(current_app.extensions["carepath"].settings, "tasks")
    stored: dict[str, Any] = {}
    for name, uploads in files.items():
        names = []
        for upload in uploads:
            extension = upload.content_type.rsplit("/", 1)[-1].replace("jpeg", "jpg")
            upload.storage.stream.seek(0)
            names.append(f"{store.put(upload.storage.stream.read())}.{extension}")
        if names or name in multiple:
            stored[name] = names if multiple.get(name) else (names[0] if names else None)
    return stored


def finish(session: Session, user: Any, view: TaskView, data: dict[str, Any], ip: str) -> str:
    """Complete the task through the engine (its own transaction), then journal it. Returns the status.

    The request session is rolled back around the engine's transaction: on SQLite a read transaction
    left open would make the journal entry a write from a stale snapshot ("database is locked").
    """
    actor = actor_for(user)
    session.rollback()
    status = complete_task(sessions(), actor, view.instance_id, view.task_guid, data, connectors=connectors())
    session.rollback()  # anything read meanwhile (an expired attribute) belongs to a snapshot before the write
    audit.record(
        session, "task_completed", actor_id=actor.user_id, ip=ip, object_type="task",
        object_id=f"{view.instance_id}:{view.task_guid}", title=view.title, pathway=view.process_model_id,
    )  # fmt: skip
    session.commit()
    return status
