"""The per-process workflow cache and the differential index refresh: a speed-up that must never change
what a step sees or writes."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, event, select, update

from engine.i18n import Conflict, Forbidden
from engine.workflow import claim_task, complete_task, inbox, inbox_counts, overdue_count, start_instance
from engine.workflow.cache import WORKFLOWS
from engine.workflow.models import COMPLETED, InstanceEvent, ProcessInstance, ProcessTask
from tests.engine.helpers import COLLEAGUE, DOCTOR, INSTRUCTOR, PATIENT, instance, only_task, pending, titles

GROUP = {"doctor_group": "institution:1:doctor"}


@pytest.fixture(autouse=True)
def fresh_cache():
    WORKFLOWS.clear()
    yield
    WORKFLOWS.clear()


def _cached(iid: int):
    return WORKFLOWS._items.get(iid)


def test_the_next_step_of_an_instance_reuses_the_workflow_this_process_committed(sessions, deploy):
    deploy("review")
    iid = start_instance(sessions, "review", PATIENT, GROUP, patient_id=PATIENT.user_id)
    assert _cached(iid).revision == instance(sessions, iid).revision == 1
    complete_task(sessions, PATIENT, iid, only_task(sessions, PATIENT, iid), {"complaint": "cough"})
    assert (WORKFLOWS.hits, WORKFLOWS.misses) == (1, 0)
    assert _cached(iid).state == instance(sessions, iid).state


def test_a_workflow_cached_before_another_process_stepped_the_instance_is_not_used(sessions, deploy):
    deploy("review")
    iid = start_instance(sessions, "review", PATIENT, GROUP, patient_id=PATIENT.user_id)
    ours = _cached(iid)  # this process's copy at revision 1
    WORKFLOWS.discard(iid)  # the next writer is "another process": it has no copy of ours
    complete_task(sessions, PATIENT, iid, only_task(sessions, PATIENT, iid), {"complaint": "cough"})
    WORKFLOWS.put(iid, ours)  # back in our process, still holding revision 1
    hits = WORKFLOWS.hits
    # The review task exists only in the state of revision 2: the stale copy would refuse it.
    complete_task(sessions, DOCTOR, iid, only_task(sessions, DOCTOR, iid), {"verdict": "decline"})
    assert WORKFLOWS.hits == hits
    assert titles(sessions, iid) == ["Read why the application was declined"]


def test_a_revision_bumped_behind_the_engines_back_drops_the_cached_copy(sessions, deploy):
    deploy("review")
    iid = start_instance(sessions, "review", PATIENT, GROUP, patient_id=PATIENT.user_id)
    with sessions.begin() as session:
        session.execute(update(ProcessInstance).where(ProcessInstance.id == iid).values(revision=7))
    complete_task(sessions, PATIENT, iid, only_task(sessions, PATIENT, iid), {"complaint": "cough"})
    assert (WORKFLOWS.hits, WORKFLOWS.misses) == (0, 1)
    assert instance(sessions, iid).revision == 8


def test_the_same_revision_with_another_state_is_not_taken_for_the_cached_one(sessions, deploy):
    # As after restoring a backup, or in another database that reuses the ids.
    deploy("review")
    first = start_instance(sessions, "review", PATIENT, GROUP, patient_id=PATIENT.user_id)
    second = start_instance(sessions, "review", PATIENT, {**GROUP, "name": "Bo"}, patient_id=PATIENT.user_id)
    complete_task(sessions, PATIENT, second, only_task(sessions, PATIENT, second), {"complaint": "knee"})
    with sessions.begin() as session:  # second's whole state (head and task rows) copied onto first
        state = session.get(ProcessInstance, second).state
        session.execute(update(ProcessInstance).where(ProcessInstance.id == first).values(state=state))
        session.execute(delete(ProcessTask).where(ProcessTask.instance_id == first))
        rows = session.execute(select(ProcessTask).where(ProcessTask.instance_id == second)).scalars().all()
        session.add_all(
            ProcessTask(instance_id=first, task_guid=r.task_guid, workflow_guid=r.workflow_guid, seq=r.seq, body=r.body)
            for r in rows
        )
    # first's index still names its apply task, which the copied state has already completed
    with pytest.raises(Conflict):
        complete_task(sessions, PATIENT, first, only_task(sessions, PATIENT, first), {"complaint": "cough"})
    assert WORKFLOWS.hits == 1  # only second's own step used the cache


def test_a_step_that_fails_leaves_no_cached_workflow_behind(sessions, deploy):
    deploy("review")
    iid = start_instance(sessions, "review", PATIENT, GROUP, patient_id=PATIENT.user_id)
    guid = only_task(sessions, PATIENT, iid)
    with pytest.raises(Forbidden):
        complete_task(sessions, DOCTOR, iid, guid, {"complaint": "not mine"})
    assert _cached(iid) is None
    assert complete_task(sessions, PATIENT, iid, guid, {"complaint": "cough"}) != COMPLETED
    assert _cached(iid).revision == instance(sessions, iid).revision == 2


def test_a_pending_task_untouched_by_a_step_keeps_its_row_and_its_claim(sessions, deploy):
    deploy("parallel")
    iid = start_instance(sessions, "parallel", DOCTOR, {**GROUP, "instructor_id": INSTRUCTOR.user_id})
    plan = next(task for task in pending(sessions, iid) if task.role == "doctor")
    with sessions.begin() as session:
        claim_task(session, DOCTOR, iid, plan.task_guid)
    complete_task(sessions, INSTRUCTOR, iid, only_task(sessions, INSTRUCTOR, iid), {"classes": 8})
    [after] = pending(sessions, iid)
    assert (after.id, after.task_guid, after.claimed_by, after.created_at) == (
        plan.id, plan.task_guid, DOCTOR.user_id, plan.created_at
    )
    with sessions() as session:
        assert inbox(session, COLLEAGUE) == []


def test_counts_and_overdue_follow_the_same_branches_as_the_inbox(sessions, deploy, clock):
    deploy("review")
    deploy("escalation")
    queued = start_instance(sessions, "review", PATIENT, GROUP, patient_id=PATIENT.user_id)
    complete_task(sessions, PATIENT, queued, only_task(sessions, PATIENT, queued), {"complaint": "cough"})
    start_instance(sessions, "escalation", PATIENT, {"doctor_id": DOCTOR.user_id})
    with sessions() as session:
        assert inbox_counts(session, DOCTOR) == {"review": 1, "escalation": 1}
        assert inbox_counts(session, DOCTOR, patient_id=PATIENT.user_id) == {"review": 1}
        assert overdue_count(session, DOCTOR) == 0
    clock.advance(days=1, seconds=1)
    with sessions() as session:
        assert overdue_count(session, DOCTOR) == 1
        assert [item.process_model_id for item in inbox(session, DOCTOR)] == ["escalation", "review"]


def test_a_connector_writes_in_the_steps_transaction_and_after_commit_hooks_see_it_committed(
    sessions, deploy, connectors, db_engine
):
    used, committed = [], []

    def after_commit(session):
        # What a hook such as "wake the mail deliverer" relies on: the step's rows are visible to others.
        with db_engine.connect() as other:
            committed.append((session, other.execute(select(ProcessInstance.id)).all() != []))

    event.listen(sessions, "after_commit", after_commit)

    def meeting_link(session, context, params):
        used.append(session)
        session.add(InstanceEvent(instance_id=context.instance_id, kind="connector", detail=params["room"]))
        return {"url": "https://meet.example/x"}

    connectors._connectors["meeting_link"] = meeting_link
    deploy("service")
    committed.clear()
    iid = start_instance(sessions, "service", PATIENT, {"ticket": 42}, patient_id=PATIENT.user_id, connectors=connectors)
    assert committed[-1] == (used[0], True)
    with sessions() as session:
        kinds = session.scalars(select(InstanceEvent.kind).where(InstanceEvent.instance_id == iid)).all()
    assert sorted(kinds) == ["connector", "start"]


@pytest.mark.parametrize(("model", "data"), [
    ("escalation", {"doctor_id": DOCTOR.user_id}),  # a pending task with a due date (datetimes read back)
    ("timer", {"doctor_id": DOCTOR.user_id}),
    ("event_gateway", {"doctor_id": DOCTOR.user_id}),  # a message and a timer on one waiting task
])  # fmt: skip
def test_index_rows_read_back_equal_the_rows_the_step_wrote(sessions, deploy, db_engine, model, data):
    # A step without a cached copy reads the rows back and writes only the difference: read back, they
    # must compare equal to what the state implies, or every such step would rewrite them.
    from engine.workflow import indexes

    deploy(model)
    iid = start_instance(sessions, model, PATIENT, data, patient_id=PATIENT.user_id)
    written = _cached(iid).indexed
    assert written.pending or written.timers or written.messages
    with db_engine.connect() as conn:
        assert indexes.current(conn, iid) == written
