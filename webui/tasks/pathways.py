"""Which pathways a person may start, and starting one.

Rule (one place): staff who run care (`doctor`, `manager`, `analyst`, `admin`) may start any deployed
pathway for a patient. A patient may start a pathway for themself only when its manifest says so:
`"patient_start": true` in model.json, or `{"form": "forms/start.json"}` for a start form the patient fills
first (its answers become the instance's first data). Every other model (an analyst's test model, the
duty-doctor route that needs its booking page, imports) starts only from its own pages, connectors or
staff. A doctor who starts a pathway becomes its `doctor_id` (its doctor tasks are theirs); a patient's
own start leaves doctor tasks to the doctors' queue.

What a pathway needs from the staff who start it (its doctor, its instructor) is the model's
`forms/staff_start.json` (+ `forms/staff_start-uischema.json`): a form filled before the start, whose people
pickers list the accounts of a role (providers `doctors`, `instructors`). A start whose first steps fail
is reported as failed, with the pathway's error, never as started.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit, roles
from engine.accounts.models import User, UserRole
from engine.i18n import N_, Forbidden, NotFound, UserError
from engine.workflow import start_instance
from engine.workflow.models import ERROR, ProcessInstance, ProcessModel, ProcessModelVersion
from webui.tasks.core import actor_for, connectors, sessions

STARTERS = frozenset({roles.DOCTOR, roles.MANAGER, roles.ANALYST, roles.ADMIN})
STAFF_START_FORM = "forms/staff_start.json"
STAFF_START_UI = "forms/staff_start-uischema.json"
PEOPLE_PROVIDERS = {"doctors": roles.DOCTOR, "instructors": roles.INSTRUCTOR}


@dataclass(frozen=True)
class Pathway:
    id: str
    title: str
    description: str
    self_service: bool
    start_form: dict[str, Any] | None = None  # the JSON schema a patient fills before starting
    start_ui: dict[str, Any] | None = None  # its UI schema (staff start forms pick people)


def is_starter(user: Any) -> bool:
    return bool(frozenset(user.role_names) & STARTERS)


def _latest_versions(session: Session) -> list[tuple[ProcessModel, ProcessModelVersion]]:
    newest = (
        select(ProcessModelVersion.process_model_id, func.max(ProcessModelVersion.number).label("number"))
        .group_by(ProcessModelVersion.process_model_id)
        .subquery()
    )
    query = (
        select(ProcessModel, ProcessModelVersion)
        .join(ProcessModelVersion, ProcessModelVersion.process_model_id == ProcessModel.id)
        .join(newest, (newest.c.process_model_id == ProcessModel.id) & (newest.c.number == ProcessModelVersion.number))
        .order_by(ProcessModel.title)
    )
    return [(model, version) for model, version in session.execute(query)]


def self_service(version: ProcessModelVersion) -> bool:
    return version.patient_start is not None


def _start_form(version: ProcessModelVersion) -> dict[str, Any] | None:
    path = (version.patient_start or {}).get("form")
    return json.loads(version.files[path]) if path and path in version.files else None


def _staff_form(version: ProcessModelVersion) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    files = version.files or {}
    if STAFF_START_FORM not in files:
        return None, None
    ui = json.loads(files[STAFF_START_UI]) if STAFF_START_UI in files else None
    return json.loads(files[STAFF_START_FORM]), ui


def people(session: Session, role: str) -> list[tuple[str, str]]:
    """Active accounts of a role, as the start form's choices: (id as text, full name)."""
    users = session.scalars(select(User).join(User.roles).where(UserRole.role == role).order_by(User.last_name))
    return [(str(u.id), u.full_name) for u in users if u.is_active]


def startable(session: Session, user: Any) -> list[Pathway]:
    """The pathways this person may start (all for staff starters, those the manifest offers patients to
    patients)."""
    starter, patient = is_starter(user), user.has_role(roles.PATIENT)
    pathways = []
    for model, version in _latest_versions(session):
        own = self_service(version)
        if starter or (patient and own):
            form, ui = _staff_form(version) if starter else (_start_form(version) if own else None, None)
            pathways.append(Pathway(model.id, model.title, model.description or "", own, form, ui))
    return pathways


def offered(session: Session, user: Any, pathway_id: str) -> Pathway:
    """One pathway this person may start; UserError (403/404) otherwise."""
    found = {p.id: p for p in startable(session, user)}.get(pathway_id)
    if found is not None:
        return found
    exists = session.get(ProcessModel, pathway_id) is not None
    if exists and not is_starter(user) and not user.has_role(roles.PATIENT):
        raise Forbidden(N_("You cannot start this pathway."))
    if exists:
        raise Forbidden(N_("This pathway is started by the clinic, not by patients."))
    raise NotFound(N_("There is no pathway %(name)s."), name=pathway_id)


def start(session: Session, user: Any, pathway_id: str, patient: User | None, ip: str,
          start_data: dict[str, Any] | None = None) -> int:
    """Start the latest version of `pathway_id`; `patient` is required for staff, ignored for patients
    starting their own self-service pathway; `start_data` are the validated answers of its start form.
    Raises UserError (403/404/400) without starting anything."""
    pathway = offered(session, user, pathway_id)
    data: dict[str, Any] = {}
    if pathway.start_form is not None:
        if start_data is None:
            raise UserError(N_("Fill in the start form of this pathway first."))
        # People pickers keep ids as text (a radio's value); the pathway compares them with numbers.
        data.update({k: int(v) if k.endswith("_id") and isinstance(v, str) and v.isdigit() else v
                     for k, v in start_data.items() if v is not None})
    if is_starter(user):
        if patient is None:
            raise UserError(N_("Choose the patient the pathway is for."))
        if not patient.has_role(roles.PATIENT):
            raise UserError(N_("%(email)s is not a patient's account."), email=patient.email)
        if not patient.is_active:
            raise UserError(N_("This patient's account is disabled."))
        patient_id = patient.id
        if user.has_role(roles.DOCTOR):
            data.setdefault("doctor_id", user.id)
    else:
        patient_id = user.id
    actor = actor_for(user)
    session.rollback()  # end the read transaction before the engine writes (SQLite snapshots)
    instance_id = start_instance(sessions(), pathway_id, actor, data=data, patient_id=patient_id, connectors=connectors())
    session.rollback()
    audit.record(session, "process_started", actor_id=actor.user_id, ip=ip, object_type="process_instance",
                 object_id=instance_id, pathway=pathway_id, patient_id=patient_id)
    session.commit()
    return instance_id


def start_error(session: Session, instance_id: int) -> str | None:
    """The stored error of an instance that failed in its first steps, None if it is running or done."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or instance.status != ERROR:
        return None
    return instance.error_message or ""
