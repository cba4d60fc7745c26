"""The Alembic migration of issue 20 moves instances of every shipped pathway, caught mid-walk, between the
one-blob state and the state in parts, both ways, on SQLite and PostgreSQL; the instances walk on after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from alembic import command
from sqlalchemy import Engine, select, text

from engine.db import make_engine, make_session_factory
from engine.schema import alembic_config, upgrade
from engine.workflow import complete_task, start_instance, sync_folder
from engine.workflow.access import Actor
from engine.workflow.cache import WORKFLOWS
from engine.workflow.models import (
    ERROR,
    FINISHED_STATUSES,
    WAITING,
    PendingTask,
    ProcessInstance,
    ProcessTask,
)
from engine.workflow.persistence import load_outside_step
from engine.workflow.serialization import TOP, assemble, stock_state
from engine.workflow.spiff import IDLE_ENGINE, SPECS, load_specs
from tests.conftest import POSTGRES_URL, _postgres_answers
from tests.engine.shipped import START_DATA, registry

BPMN = Path(__file__).resolve().parents[2] / "workflows" / "bpmn"
BEFORE = "48a52586d62d"  # the revision before the state was cut in parts


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    reason = _postgres_answers()
    if reason:
        pytest.skip(reason)
    schema = f"carepath_state_{uuid.uuid4().hex[:8]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield POSTGRES_URL + ("&" if "?" in POSTGRES_URL else "?") + f"options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _actor(task: PendingTask) -> Actor:
    groups = frozenset({task.candidate_group}) if task.candidate_group else frozenset()
    return Actor(task.assignee_user_id or 99, frozenset({task.role}), groups)


def _walk_one(sessions: Any, connectors: Any, instance_id: int) -> bool:
    """Complete the instance's first pending task; False when it has none."""
    with sessions() as session:
        task = session.scalars(
            select(PendingTask).where(PendingTask.instance_id == instance_id).order_by(PendingTask.id)
        ).first()
    if task is None:
        return False
    complete_task(sessions, _actor(task), instance_id, task.task_guid, {"note": "mid-walk"}, connectors)
    return True


def _states(engine: Engine) -> dict[int, dict[str, Any]]:
    """Every instance's whole state as the parts in the database give it."""
    found = {}
    with engine.connect() as conn:
        for iid, head in conn.execute(select(ProcessInstance.id, ProcessInstance.state)).all():
            tasks: dict[str, dict[str, str]] = {}
            rows = conn.execute(
                select(ProcessTask.workflow_guid, ProcessTask.task_guid, ProcessTask.body)
                .where(ProcessTask.instance_id == iid)
                .order_by(ProcessTask.seq)
            ).all()
            for key, guid, body in rows:
                tasks.setdefault(key, {})[guid] = body
            found[iid] = assemble(head, tasks)
    return found


def test_instances_of_every_shipped_pathway_move_to_the_parts_and_back(url):
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    connectors = registry(BPMN)
    result = sync_folder(sessions, BPMN, connectors=connectors)
    assert not result.failed, result.failed
    models = sorted(result.deployed)
    assert len(models) == len([p for p in BPMN.iterdir() if p.is_dir()])
    ids = {}
    for model in models:
        # One instance just started, one a task further on (where the pathway has one).
        ids[model] = [
            start_instance(sessions, model, None, dict(START_DATA), patient_id=1, connectors=connectors)
            for _ in range(2)
        ]
        _walk_one(sessions, connectors, ids[model][1])
    with sessions() as session:
        statuses = {
            i.process_model_id: i.status
            for i in session.scalars(select(ProcessInstance).order_by(ProcessInstance.id.desc()))
        }
    assert set(statuses.values()) <= {WAITING, ERROR}, statuses  # mid-walk, none finished
    expected = _states(engine)
    assert len(expected) == 2 * len(models)
    engine.dispose()

    command.downgrade(alembic_config(url), BEFORE)
    engine = make_engine(url)
    with engine.connect() as conn:
        blobs = dict(conn.execute(text("SELECT id, state FROM process_instance")).all())
    engine.dispose()
    # The one-blob state is Spiff's own serialization: every task back in its workflow.
    assert {iid: orjson.loads(state) for iid, state in blobs.items()} == expected

    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    assert _states(engine) == expected
    WORKFLOWS.clear()
    SPECS.clear()
    walked = 0
    with sessions() as session:
        for instance in session.scalars(select(ProcessInstance)):
            spec = session.scalar(
                text("SELECT serialized_spec FROM process_model_version WHERE id = :v"),
                {"v": instance.version_id},
            )
            workflow = load_outside_step(
                session.connection(), instance.id, instance.state, load_specs(spec), IDLE_ENGINE
            )
            assert stock_state(workflow) == expected[instance.id]  # read back: Spiff's own serialization
    for model_ids in ids.values():
        for iid in model_ids:
            with sessions() as session:
                status = session.get(ProcessInstance, iid).status
            if status not in FINISHED_STATUSES and status != ERROR and _walk_one(sessions, connectors, iid):
                walked += 1
    assert walked >= len(models)  # most pathways walk on after the round trip
    with engine.connect() as conn:
        keys = set(conn.execute(select(ProcessTask.workflow_guid)).scalars())
    assert TOP in keys
    engine.dispose()
