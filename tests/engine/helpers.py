"""Helpers for workflow tests: the cast of actors, model files from tests/data/workflow/<name>/, and
shortcuts to an instance's pending tasks."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.workflow import Actor, inbox
from engine.workflow.deploy import read_model_folder
from engine.workflow.models import PendingTask, ProcessInstance

DATA = Path(__file__).parent.parent / "data" / "workflow"

PATIENT = Actor(1, frozenset({"patient"}))
OTHER_PATIENT = Actor(2, frozenset({"patient"}))
DOCTOR = Actor(10, frozenset({"doctor"}), frozenset({"institution:1:doctor"}))
COLLEAGUE = Actor(11, frozenset({"doctor"}), frozenset({"institution:1:doctor"}))
OUTSIDE_DOCTOR = Actor(12, frozenset({"doctor"}), frozenset({"institution:2:doctor"}))
INSTRUCTOR = Actor(30, frozenset({"instructor"}))
MANAGER = Actor(40, frozenset({"manager"}))


def model_files(name: str, **replace: str) -> dict[str, str]:
    files = read_model_folder(DATA / name)
    for old, new in replace.items():
        files = {path: text.replace(old, new) for path, text in files.items()}
    return files


def pending(sessions: sessionmaker[Session], instance_id: int) -> list[PendingTask]:
    with sessions() as session:
        return list(session.scalars(select(PendingTask).where(PendingTask.instance_id == instance_id).order_by(PendingTask.id)))


def only_task(sessions: sessionmaker[Session], actor: Actor, instance_id: int) -> str:
    """The guid of the one task `actor` has in this instance."""
    with sessions() as session:
        guids = [item.task_guid for item in inbox(session, actor) if item.instance_id == instance_id]
    assert len(guids) == 1, guids
    return guids[0]


def instance(sessions: sessionmaker[Session], instance_id: int) -> ProcessInstance:
    with sessions() as session:
        row = session.get(ProcessInstance, instance_id)
        assert row is not None
        return row


def titles(sessions: sessionmaker[Session], instance_id: int) -> list[str]:
    return sorted(task.title for task in pending(sessions, instance_id))

