"""Which pathways a person may start, and starting one.

Rule (one place): staff who run care (`doctor`, `manager`, `analyst`, `admin`) may start any deployed
pathway for a patient. A patient may start a pathway for themself when it is *self-service*: its start
event lies in the `patient` lane of the BPMN. So an analyst makes a pathway self-service by drawing the
start event in the patient lane -- no flag, no code. A doctor who starts a pathway becomes its
`doctor_id` (its doctor tasks are theirs); a patient's own start leaves doctor tasks to the doctors' queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from defusedxml import ElementTree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit, roles
from engine.accounts.models import User
from engine.i18n import N_, Forbidden, NotFound, UserError
from engine.workflow import start_instance
from engine.workflow.models import ProcessModel, ProcessModelVersion
from webui.tasks.core import actor_for, connectors, sessions

STARTERS = frozenset({roles.DOCTOR, roles.MANAGER, roles.ANALYST, roles.ADMIN})
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@dataclass(frozen=True)
class Pathway:
    id: str
    title: str
    description: str
    self_service: bool


def is_starter(user: Any) -> bool:
    return bool(frozenset(user.role_names) & STARTERS)


@lru_cache(maxsize=512)
def _starts_in_patient_lane(version_id: int, sha256: str, bpmn: tuple[str, ...], process_id: str) -> bool:
    """Whether the start event of `process_id` is in a lane named `patient` (cached per version)."""
    for text in bpmn:
        try:
            root = ElementTree.fromstring(text.encode("utf-8"))
        except Exception:  # deploy already refused unparsable files; this is only a reader
            continue
        for process in root.iter(f"{BPMN}process"):
            if process.get("id") != process_id:
                continue
            starts = {node.get("id") for node in process.iter(f"{BPMN}startEvent")}
            for lane in process.iter(f"{BPMN}lane"):
                refs = {ref.text for ref in lane.iter(f"{BPMN}flowNodeRef")}
                if starts & refs:
                    return lane.get("name") == roles.PATIENT
    return False


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
    bpmn = tuple(text for path, text in sorted(version.files.items()) if path.endswith(".bpmn"))
    return _starts_in_patient_lane(version.id, version.sha256, bpmn, version.primary_process_id)


def startable(session: Session, user: Any) -> list[Pathway]:
    """The pathways this person may start (all for staff starters, self-service ones for patients)."""
    starter, patient = is_starter(user), user.has_role(roles.PATIENT)
    pathways = []
    for model, version in _latest_versions(session):
        own = self_service(version)
        if starter or (patient and own):
            pathways.append(Pathway(model.id, model.title, model.description or "", own))
    return pathways


def start(session: Session, user: Any, pathway_id: str, patient: User | None, ip: str) -> int:
    """Start the latest version of `pathway_id`; `patient` is required for staff, ignored for patients
    starting their own self-service pathway. Raises UserError (403/404/400) without starting anything."""
    offered = {p.id: p for p in startable(session, user)}
    if pathway_id not in offered:
        exists = session.get(ProcessModel, pathway_id) is not None
        if exists and not is_starter(user) and not user.has_role(roles.PATIENT):
            raise Forbidden(N_("You cannot start this pathway."))
        if exists:
            raise Forbidden(N_("This pathway is started by the clinic, not by patients."))
        raise NotFound(N_("There is no pathway %(name)s."), name=pathway_id)
    data: dict[str, Any] = {}
    if is_starter(user):
        if patient is None:
            raise UserError(N_("Choose the patient the pathway is for."))
        if not patient.has_role(roles.PATIENT):
            raise UserError(N_("%(email)s is not a patient's account."), email=patient.email)
        if not patient.is_active:
            raise UserError(N_("This patient's account is disabled."))
        patient_id = patient.id
        if user.has_role(roles.DOCTOR):
            data["doctor_id"] = user.id
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
