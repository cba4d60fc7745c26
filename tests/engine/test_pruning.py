"""Completed loop iterations cut out of the live tree (pruning.py) change nothing a pathway does: the same
walk with and without cutting gives the same tasks, data, timers, messages and statuses at every step,
while the live rows stay bounded. (Every state written or read is also checked against SpiffWorkflow's
own serializer, see tests/conftest.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from engine.workflow import (
    Actor,
    complete_task,
    correlate_message,
    fire_due_timers,
    instance_data,
    pruning,
    retry_instance,
    start_instance,
    sync_folder,
)
from engine.workflow.cache import WORKFLOWS
from engine.workflow.models import (
    COMPLETED,
    ERROR,
    DueTimer,
    ProcessInstance,
    ProcessTask,
    ProcessTaskArchive,
    WaitingMessage,
)
from tests.engine.helpers import DOCTOR, PATIENT, pending
from tests.engine.shipped import START_DATA, registry
from tests.engine.test_state_migration import BPMN

STAFF = Actor(90, frozenset({"manager"}))
ROUNDS = 14


def _trace(sessions: Any, iid: int) -> tuple[Any, ...]:
    """What the outside world sees of an instance (names, not guids: the two runs have other guids)."""
    with sessions() as session:
        status = session.get(ProcessInstance, iid).status
        timers = sorted(
            (t.task_name, t.due_at) for t in session.scalars(select(DueTimer).where(DueTimer.instance_id == iid))
        )
        messages = sorted(
            m.message_name for m in session.scalars(select(WaitingMessage).where(WaitingMessage.instance_id == iid))
        )
        data = instance_data(session, STAFF, iid)
    tasks = sorted((t.task_name, t.role, t.assignee_user_id, t.due_at) for t in pending(sessions, iid))
    return status, tasks, timers, messages, {k: data.get(k) for k in ("rounds", "late", "values", "systolic")}


def _live_rows(sessions: Any, iid: int, table: Any) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(table).where(table.instance_id == iid))


def _walk(sessions: Any, clock: Any, iid: int, uncached_every: int = 3) -> list[tuple[Any, ...]]:
    # The patient's task is completed first in every round: with parallel branches, a later round's join
    # in SpiffWorkflow 3.2 also counts the branches of earlier rounds (see pruning.py), which a walk that
    # completes the doctor's task first runs into with or without cutting.
    """Walk the long loop to its end: the doctor's check times out every fourth round, the pause after
    the subprocess ends by a message on even rounds, by its timer on odd ones."""
    trace = [_trace(sessions, iid)]
    step = 0

    def after() -> None:
        nonlocal step
        step += 1
        if step % uncached_every == 0:
            WORKFLOWS.clear()  # the next step loads the instance from its rows, as another process would
        trace.append(_trace(sessions, iid))

    for round_ in range(ROUNDS):
        [measure] = [t.task_guid for t in pending(sessions, iid) if t.task_name == "measure"]
        complete_task(sessions, PATIENT, iid, measure, {"systolic": 120 + round_})
        after()
        [check] = [t.task_guid for t in pending(sessions, iid) if t.task_name == "check"]
        if round_ % 4 == 3:
            clock.advance(days=3, seconds=1)
            assert fire_due_timers(sessions) >= 1
        else:
            complete_task(sessions, DOCTOR, iid, check, {"ok": True})
        after()
        if round_ % 2 == 0:
            assert correlate_message(sessions, "report", instance_id=iid) == 1
        else:
            clock.advance(hours=1, seconds=1)
            assert fire_due_timers(sessions) >= 1
        after()
    return trace


def _run(sessions: Any, deploy: Any, clock: Any, model: str, batch: int, monkeypatch: Any) -> tuple[list[Any], int]:
    monkeypatch.setattr(pruning, "PRUNE_BATCH", batch)
    deploy(model)
    iid = start_instance(sessions, model, PATIENT, {"total": ROUNDS, "doctor_id": DOCTOR.user_id}, patient_id=1)
    return _walk(sessions, clock, iid), iid


@pytest.mark.parametrize(("model", "cuts"), [("long_loop_serial", True), ("long_loop", False)])
def test_cutting_completed_rounds_changes_nothing_a_pathway_does(sessions, deploy, clock, monkeypatch, model, cuts):
    """A round of a boundary timer, an embedded subprocess and an event-based gateway is cut; one with
    parallel branches is not (the join of a later round reads the branches of the earlier ones)."""
    start = clock()
    kept, kept_id = _run(sessions, deploy, clock, model, 10**9, monkeypatch)
    assert _live_rows(sessions, kept_id, ProcessTaskArchive) == 0
    clock.advance(start - clock())  # the second walk at the same clock times, for the same due dates
    cut, cut_id = _run(sessions, deploy, clock, model, 12, monkeypatch)
    assert cut == kept
    assert cut[-1][0] == COMPLETED and cut[-1][4]["rounds"] == ROUNDS and cut[-1][4]["late"] == ROUNDS // 4
    assert (_live_rows(sessions, cut_id, ProcessTaskArchive) > 0) == cuts
    if cuts:
        assert _live_rows(sessions, cut_id, ProcessTask) < _live_rows(sessions, kept_id, ProcessTask) / 3


def test_the_live_tree_stays_bounded_while_a_loop_runs(sessions, deploy, clock, monkeypatch):
    monkeypatch.setattr(pruning, "PRUNE_BATCH", 12)
    deploy("loop")
    iid = start_instance(sessions, "loop", PATIENT, {}, patient_id=1)
    # loop.bpmn ends after three rounds; its condition is widened to go on.
    sizes = []
    for round_ in range(40):
        [task] = pending(sessions, iid)
        complete_task(sessions, PATIENT, iid, task.task_guid, {"systolic": 100 + round_, "rounds": 0})
        if round_ % 5 == 0:
            WORKFLOWS.clear()
        sizes.append(_live_rows(sessions, iid, ProcessTask))
    assert max(sizes[10:]) <= 2 * 12  # the live rounds plus at most one batch of finished tasks
    assert _live_rows(sessions, iid, ProcessTaskArchive) >= 40 * 3 - 2 * 12


def _fail_in_round_twelve(sessions: Any, deploy: Any, batch: int, monkeypatch: Any) -> tuple[Any, ...]:
    monkeypatch.setattr(pruning, "PRUNE_BATCH", batch)
    deploy("loop")
    iid = start_instance(sessions, "loop", PATIENT, {}, patient_id=1)
    for round_ in range(12):
        [task] = pending(sessions, iid)
        data = {"systolic": 100 + round_, "rounds": 0}
        if round_ == 11:
            data["values"] = 5  # the count script's `values + [systolic]` fails
        complete_task(sessions, PATIENT, iid, task.task_guid, data)
        WORKFLOWS.clear()
    before = _failure(sessions, iid)
    retry_instance(sessions, STAFF, iid)  # runs the failed script again on the data it had: fails again
    archived = _live_rows(sessions, iid, ProcessTaskArchive)
    return before, _failure(sessions, iid), archived > 0


def _failure(sessions: Any, iid: int) -> tuple[Any, ...]:
    with sessions() as session:
        row = session.get(ProcessInstance, iid)
        data = instance_data(session, STAFF, iid)
        return row.status, row.error_element, data.get("values")


def test_a_retry_in_a_later_round_resumes_the_failed_task_as_without_cutting(sessions, deploy, monkeypatch):
    *kept, kept_archived = _fail_in_round_twelve(sessions, deploy, 10**9, monkeypatch)
    *cut, cut_archived = _fail_in_round_twelve(sessions, deploy, 6, monkeypatch)
    assert cut == kept
    assert kept[0][:2] == (ERROR, "count") and kept[1][:2] == (ERROR, "count")
    assert (kept_archived, cut_archived) == (False, True)


COURSE_ANSWERS = {"attended": True, "plan": "x", "classes": 100, "total": 100, "comment": ""}


def _walk_course(sessions: Any, clock: Any, connectors: Any, steps: int) -> tuple[list[Any], int]:
    iid = start_instance(sessions, "rehab_course", None, dict(START_DATA), patient_id=1, connectors=connectors)
    trace = []
    for step in range(steps):
        tasks = pending(sessions, iid)
        if tasks:
            task = tasks[0]
            groups = frozenset({task.candidate_group} if task.candidate_group else ())
            actor = Actor(task.assignee_user_id or 9, frozenset({task.role}), groups)
            complete_task(sessions, actor, iid, task.task_guid, COURSE_ANSWERS, connectors)
        else:
            clock.advance(days=1)
            fire_due_timers(sessions, connectors=connectors)
        if step % 7 == 0:
            WORKFLOWS.clear()
        with sessions() as session:
            status = session.get(ProcessInstance, iid).status
            data = instance_data(session, STAFF, iid)
            timers = sorted((t.task_name, t.due_at) for t in session.scalars(select(DueTimer).where(DueTimer.instance_id == iid)))
        trace.append((status, sorted(t.task_name for t in pending(sessions, iid)), timers, data))
    return trace, iid


def test_the_shipped_rehabilitation_course_walks_the_same_with_its_rounds_cut(sessions, clock, monkeypatch):
    connectors = registry(BPMN)
    assert not sync_folder(sessions, BPMN, connectors=connectors).failed
    start = clock()
    monkeypatch.setattr(pruning, "PRUNE_BATCH", 10**9)
    kept, _kept_id = _walk_course(sessions, clock, connectors, 60)
    clock.advance(start - clock())
    monkeypatch.setattr(pruning, "PRUNE_BATCH", 24)
    cut, cut_id = _walk_course(sessions, clock, connectors, 60)
    assert cut == kept
    assert {status for status, *_rest in cut} == {"waiting"}  # the course goes on class after class
    assert _live_rows(sessions, cut_id, ProcessTaskArchive) > 2 * _live_rows(sessions, cut_id, ProcessTask)
