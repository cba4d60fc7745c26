"""Acting in the consultation pathways the way the pages do, through the engine's public API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import roles
from engine.consultations import centers, service
from engine.consultations.models import Consultation
from engine.db import transaction
from engine.documents import service as documents
from engine.documents.storage import FileStore
from engine.outbox import OutboxMessage
from engine.workflow import Actor, ConnectorRegistry, complete_task, fire_due_timers
from tests.consultations.conftest import PDF, World, pending

ROLE_OF = {"patient": roles.PATIENT, "other_patient": roles.PATIENT, "manager": roles.MANAGER}


def actor(world: World, who: str, sessions: sessionmaker[Session] | None = None) -> Actor:
    """As webui's actor_for sees the person: a doctor is in the review queues of their registry posts."""
    role = ROLE_OF.get(who, roles.DOCTOR)
    groups = {f"role:{role}"}
    if sessions is not None and role == roles.DOCTOR:
        with sessions() as session:
            groups |= centers.doctor_groups(session, getattr(world, who))
    return Actor(getattr(world, who), frozenset({role}), frozenset(groups))


def do(sessions: sessionmaker[Session], connectors: ConnectorRegistry, world: World, who: str, instance_id: int,
       task: str, data: dict[str, Any] | None = None) -> str:
    """Complete the one pending `task` of the instance as `who`; fails if it is not pending."""
    rows = pending(sessions, instance_id, task)
    assert rows, f"{task} is not pending; pending: {[p.task_name for p in pending(sessions, instance_id)]}"
    return complete_task(sessions, actor(world, who, sessions), instance_id, rows[0].task_guid, data or {},
                         connectors=connectors)


def upload(sessions: sessionmaker[Session], tmp_path: Path, patient_id: int, name: str = "mri.pdf") -> int:
    with transaction(sessions) as session:
        return documents.upload(session, FileStore(tmp_path / "files"), patient_id=patient_id, uploader_id=patient_id,
                                filename=name, data=PDF + name.encode()).id


def application(world: World, document_ids: list[int] | None = None, **changes: Any) -> service.Application:
    values: dict[str, Any] = dict(center_id=world.center_id, specialty_id=world.neuro_id, full_name="Иванова Мария Петровна",
                                  age=None, diagnosis_code="G43.0", diagnosis_text="Мигрень без ауры",
                                  complaints="Головные боли по утрам", document_ids=document_ids or [])
    values.update(changes)
    return service.Application(**values)


def consultation(sessions: sessionmaker[Session], consultation_id: int) -> Consultation:
    with sessions() as session:
        found = session.get(Consultation, consultation_id)
        assert found is not None
        return found


def tick(sessions: sessionmaker[Session], connectors: ConnectorRegistry) -> int:
    return fire_due_timers(sessions, connectors=connectors)


def kinds(sessions: sessionmaker[Session], to: str | None = None) -> list[str]:
    with sessions() as session:
        query = select(OutboxMessage.kind).order_by(OutboxMessage.id)
        if to is not None:
            query = query.where(OutboxMessage.recipient == to)
        return list(session.scalars(query))
