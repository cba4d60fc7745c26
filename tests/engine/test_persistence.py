"""The state in parts: a step writes the task rows it changed and no others, also right after a load."""

from __future__ import annotations

from typing import Any

from engine.workflow import complete_task, persistence, rawsql, spiff, start_instance
from engine.workflow.cache import WORKFLOWS
from engine.workflow.models import ProcessInstance, ProcessModelVersion
from engine.workflow.serialization import same_json
from tests.engine.helpers import PATIENT, pending


def _loaded(sessions: Any, iid: int) -> tuple[Any, persistence.Stored]:
    with sessions() as session:
        instance = session.get(ProcessInstance, iid)
        version = session.get(ProcessModelVersion, instance.version_id)
        conn = session.connection()
        specs = spiff.load_specs(version.serialized_spec)
        return persistence.load(conn, rawsql.cursor(conn), iid, instance.state, specs, spiff.IDLE_ENGINE)


def test_a_workflow_read_back_and_left_alone_writes_no_task_row(sessions, deploy):
    deploy("loop")
    iid = start_instance(sessions, "loop", PATIENT, {}, patient_id=1)
    complete_task(sessions, PATIENT, iid, pending(sessions, iid)[0].task_guid, {"systolic": 120})
    workflow, stored = _loaded(sessions, iid)
    assert stored.rows and stored.read_back
    found = persistence.prepare(workflow, stored)
    assert (found.inserted, found.changed, found.deleted, found.archived) == ([], [], [], [])
    assert found.stored.head == stored.head


def test_a_step_writes_only_the_task_rows_it_changed(sessions, deploy):
    deploy("loop")
    iid = start_instance(sessions, "loop", PATIENT, {}, patient_id=1)
    complete_task(sessions, PATIENT, iid, pending(sessions, iid)[0].task_guid, {"systolic": 120})
    _workflow, before = _loaded(sessions, iid)
    WORKFLOWS.clear()  # the step loads from the rows, as another process would
    complete_task(sessions, PATIENT, iid, pending(sessions, iid)[0].task_guid, {"systolic": 125})
    _workflow, after = _loaded(sessions, iid)
    changed = {g for g, row in after.rows.items() if g not in before.rows or before.rows[g][2] != row[2]}
    unchanged = set(after.rows) - changed
    assert changed and unchanged  # the tasks of the first round are left as they were
    for guid in unchanged:
        assert after.rows[guid] == before.rows[guid]


def test_texts_that_differ_only_in_key_order_are_the_same_but_not_other_types():
    assert same_json('{"a":1,"b":[1,2]}', '{"b":[1,2],"a":1}')
    assert not same_json('{"a":1}', '{"a":true}')
    assert not same_json('{"a":1}', '{"a":1.0}')
    assert not same_json('{"a":[1,2]}', '{"a":[2,1]}')
