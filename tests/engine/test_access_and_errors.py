"""Who may act, races between writers, and failures inside a pathway (error status, retry)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from engine.i18n import Conflict, Forbidden, NotFound
from engine.workflow import (
    cancel_instance,
    claim_task,
    complete_task,
    get_task,
    inbox,
    release_task,
    retry_instance,
    start_instance,
)
from engine.workflow.models import CANCELLED, ERROR, WAITING, InstanceEvent, TaskHistory
from tests.engine.helpers import (
    COLLEAGUE,
    DOCTOR,
    MANAGER,
    OTHER_PATIENT,
    OUTSIDE_DOCTOR,
    PATIENT,
    instance,
    only_task,
    pending,
    titles,
)

GROUP = {"doctor_group": "institution:1:doctor"}


@pytest.fixture
def reviewing(sessions, deploy):
    """An application waiting for the institution-1 doctors."""
    deploy("review")
    iid = start_instance(sessions, "review", PATIENT, GROUP, patient_id=PATIENT.user_id)
    complete_task(sessions, PATIENT, iid, only_task(sessions, PATIENT, iid), {"complaint": "cough"})
    return iid, pending(sessions, iid)[0].task_guid


def test_another_patient_can_neither_see_nor_complete_the_task(sessions, deploy):
    deploy("review")
    iid = start_instance(sessions, "review", PATIENT, GROUP, patient_id=PATIENT.user_id)
    guid = only_task(sessions, PATIENT, iid)
    before = instance(sessions, iid)
    with sessions() as session:
        assert inbox(session, OTHER_PATIENT) == []
        with pytest.raises(NotFound):  # another person's task: not even its existence is told
            get_task(session, OTHER_PATIENT, iid, guid)
    with pytest.raises(NotFound):
        complete_task(sessions, OTHER_PATIENT, iid, guid, {"complaint": "not mine"})
    after = instance(sessions, iid)
    assert (after.revision, after.state) == (before.revision, before.state)


def test_a_doctor_of_another_institution_learns_nothing_of_its_queue_task(sessions, reviewing):
    iid, guid = reviewing
    with pytest.raises(NotFound):  # another institution's queue: a foreign object, 404 (issue 16)
        complete_task(sessions, OUTSIDE_DOCTOR, iid, guid, {"verdict": "accept"})
    assert titles(sessions, iid) == ["Review the application"]


def test_a_patient_form_cannot_reassign_the_pathway(sessions, deploy):
    deploy("review")
    iid = start_instance(sessions, "review", PATIENT, GROUP, patient_id=PATIENT.user_id)
    guid = only_task(sessions, PATIENT, iid)
    for field in ("patient_id", "doctor_id", "doctor_group"):
        with pytest.raises(Forbidden):
            complete_task(sessions, PATIENT, iid, guid, {"complaint": "x", field: 99})
    assert instance(sessions, iid).revision == 1


def test_a_stale_task_gets_a_conflict_and_changes_nothing(sessions, reviewing):
    iid, guid = reviewing
    complete_task(sessions, DOCTOR, iid, guid, {"verdict": "accept"})
    before = instance(sessions, iid)
    with pytest.raises(Conflict):
        complete_task(sessions, DOCTOR, iid, guid, {"verdict": "decline"})
    with pytest.raises(NotFound):
        complete_task(sessions, DOCTOR, iid, "00000000-0000-0000-0000-000000000000", {})
    after = instance(sessions, iid)
    assert (after.revision, after.state) == (before.revision, before.state)
    assert titles(sessions, iid) == ["Schedule the session"]


def test_a_claimed_queue_task_belongs_to_the_claimer_only(sessions, reviewing):
    iid, guid = reviewing
    with sessions.begin() as session:
        claim_task(session, DOCTOR, iid, guid)
    with sessions() as session:
        assert inbox(session, COLLEAGUE) == []
        with pytest.raises(Conflict):
            claim_task(session, COLLEAGUE, iid, guid)
    with pytest.raises(Forbidden):
        complete_task(sessions, COLLEAGUE, iid, guid, {"verdict": "accept"})
    with sessions.begin() as session:
        release_task(session, DOCTOR, iid, guid)
    with sessions() as session:
        assert [item.task_guid for item in inbox(session, COLLEAGUE)] == [guid]


def test_two_doctors_completing_the_same_task_at_once_one_wins(sessions, reviewing):
    iid, guid = reviewing
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def complete(actor, verdict):
        barrier.wait()
        try:
            complete_task(sessions, actor, iid, guid, {"verdict": verdict})
            outcomes.append("done")
        except Conflict:
            outcomes.append("conflict")
        except Exception as exc:  # recorded, so a failure shows what the loser really got
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=complete, args=a) for a in ((DOCTOR, "accept"), (COLLEAGUE, "decline"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "done"]
    assert instance(sessions, iid).revision == 3
    with sessions() as session:
        reviews = session.scalars(select(TaskHistory).where(TaskHistory.task_name == "review_application")).all()
    assert len(reviews) == 1
    assert len(pending(sessions, iid)) == 1


def test_a_failing_script_sets_the_error_and_a_retry_runs_it_again(sessions, deploy, connectors):
    connectors.register("book_slot", lambda _s, _c, _p: {"slot": 7})
    deploy("failing")
    iid = start_instance(sessions, "failing", PATIENT, {"people": 0}, patient_id=PATIENT.user_id, connectors=connectors)
    row = instance(sessions, iid)
    assert (row.status, row.error_element) == (ERROR, "compute")
    assert "ZeroDivisionError" in row.error_message
    assert pending(sessions, iid) == []
    with pytest.raises(Forbidden):
        retry_instance(sessions, PATIENT, iid, connectors=connectors)
    assert retry_instance(sessions, MANAGER, iid, connectors=connectors) == ERROR  # same data, same failure
    with sessions() as session:
        kinds = session.scalars(select(InstanceEvent.kind).where(InstanceEvent.instance_id == iid).order_by(InstanceEvent.id)).all()
    assert kinds == ["start", "error", "retry", "error"]


def test_a_failing_connector_is_retried_by_staff_after_it_recovers(sessions, deploy, connectors):
    attempts = []

    def book_slot(_session, _context, _params):
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("schedule service is down")
        return {"slot": 7}

    connectors.register("book_slot", book_slot)
    deploy("failing")
    iid = start_instance(sessions, "failing", PATIENT, {"people": 2}, patient_id=PATIENT.user_id, connectors=connectors)
    row = instance(sessions, iid)
    assert (row.status, row.error_element) == (ERROR, "book")
    assert "schedule service is down" in row.error_message
    assert retry_instance(sessions, MANAGER, iid, connectors=connectors) == WAITING
    row = instance(sessions, iid)
    assert (row.error_message, row.error_element) == (None, None)
    assert titles(sessions, iid) == ["Confirm the booking"]
    with sessions() as session:
        assert get_task(session, PATIENT, iid, only_task(sessions, PATIENT, iid)).data["share"] == 50


def test_staff_cancel_an_instance_and_its_tasks_disappear(sessions, reviewing):
    iid, _guid = reviewing
    with pytest.raises(Forbidden):
        cancel_instance(sessions, DOCTOR, iid)
    cancel_instance(sessions, MANAGER, iid, reason="duplicate")
    assert instance(sessions, iid).status == CANCELLED
    assert pending(sessions, iid) == []
    with pytest.raises(Conflict):
        cancel_instance(sessions, MANAGER, iid)
