"""Starting many instances in one transaction (imports): same result as one by one, all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.i18n import NotFound
from engine.workflow import complete_task, instance_data, start_instance, start_instances
from engine.workflow.models import COMPLETED, WAITING, InstanceEvent, PendingTask, ProcessInstance
from tests.engine.helpers import DOCTOR, MANAGER, OTHER_PATIENT, PATIENT, instance, only_task, pending


def count(sessions, model) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_bulk_start_gives_each_item_its_instance_in_order(sessions, deploy):
    deploy("review")
    people = [PATIENT, OTHER_PATIENT, PATIENT]
    ids = start_instances(
        sessions, "review", MANAGER, [({"doctor_id": DOCTOR.user_id, "n": n}, p.user_id) for n, p in enumerate(people)]
    )
    assert len(ids) == 3 and ids == sorted(ids)
    for iid, person in zip(ids, people, strict=True):
        row = instance(sessions, iid)
        assert (row.status, row.patient_id, row.started_by, row.revision) == (WAITING, person.user_id, MANAGER.user_id, 1)
        [task] = pending(sessions, iid)
        assert (task.task_name, task.assignee_user_id) == ("apply", person.user_id)
    assert count(sessions, InstanceEvent) == 3  # one "start" each
    # The instances go on as any other (the first step after a bulk start comes from the workflow cache).
    iid = ids[1]
    complete_task(sessions, OTHER_PATIENT, iid, only_task(sessions, OTHER_PATIENT, iid), {"complaint": "cough"})
    complete_task(sessions, DOCTOR, iid, only_task(sessions, DOCTOR, iid), {"verdict": "decline"})
    assert complete_task(sessions, OTHER_PATIENT, iid, only_task(sessions, OTHER_PATIENT, iid), {}) == COMPLETED


def test_each_bulk_started_instance_calls_its_connectors_with_its_own_id(sessions, deploy, connectors):
    seen = []
    connectors._connectors["meeting_link"] = lambda _s, ctx, p: seen.append((ctx.instance_id, p["room"])) or {"url": "x"}
    deploy("service")
    ids = start_instances(sessions, "service", None, [({"ticket": 7}, None), ({"ticket": 8}, None)], connectors)
    assert seen == [(ids[0], "consult-7"), (ids[1], "consult-8")]
    assert [instance(sessions, i).status for i in ids] == [COMPLETED, COMPLETED]


def test_one_item_the_state_cannot_hold_fails_the_whole_batch_and_leaves_nothing(sessions, deploy):
    deploy("review")
    good = ({"doctor_id": DOCTOR.user_id}, PATIENT.user_id)
    bad = ({"doctor_id": DOCTOR.user_id, "note": object()}, PATIENT.user_id)  # not JSON: the save fails
    with pytest.raises(TypeError):
        start_instances(sessions, "review", MANAGER, [good, bad, good])
    assert count(sessions, ProcessInstance) == 0
    assert count(sessions, PendingTask) == 0
    assert count(sessions, InstanceEvent) == 0
    assert len(start_instances(sessions, "review", MANAGER, [good, good])) == 2  # the engine is fine after it


def test_a_bulk_start_of_an_unknown_model_is_not_found_and_an_empty_one_does_nothing(sessions, deploy):
    with pytest.raises(NotFound):
        start_instances(sessions, "nothing_here", MANAGER, [({}, None)])
    assert start_instances(sessions, "nothing_here", MANAGER, []) == []
    assert count(sessions, ProcessInstance) == 0


def test_a_script_of_the_first_run_sees_its_own_instance_id_alone_and_in_a_batch(sessions, deploy):
    deploy("own_id")
    ids = [*start_instances(sessions, "own_id", MANAGER, [({}, None), ({}, None)]),
           start_instance(sessions, "own_id", MANAGER, {})]
    with sessions() as session:
        seen = [instance_data(session, MANAGER, iid)["info"] for iid in ids]
    assert seen == [{"process_instance_id": iid, "process_model_identifier": "own_id"} for iid in ids]
