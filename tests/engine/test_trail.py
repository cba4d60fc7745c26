"""The trail of an instance: completed elements (automatic ones too), the current one inside a called
process with the call activity that leads to it, and the end of a completed instance."""

from __future__ import annotations

from engine.workflow import complete_task, start_instance
from engine.workflow.models import ProcessInstance
from engine.workflow.trail import trail
from tests.engine.test_routes import DOCTOR, PATIENT, pending


def steps(sessions, iid):
    with sessions() as session:
        return trail(session, session.get(ProcessInstance, iid))


def test_a_task_inside_a_called_process_is_current_with_its_call_activity(sessions, deploy):
    deploy("session_tail")
    deploy("with_session")
    iid = start_instance(sessions, "with_session", DOCTOR, {"doctor_id": DOCTOR.user_id}, patient_id=PATIENT.user_id)

    found = steps(sessions, iid)

    current = {(s.element, s.process, s.call_path) for s in found if s.current}
    assert current == {("consent", "session_tail", ("session",)), ("session", "with_session", ())}
    done = [(s.element, s.kind) for s in found if not s.current]
    assert ("p_note", "script") in done and ("prepare", "call") in done and ("start", "start") in done


def test_a_completed_instance_shows_the_path_and_its_end(sessions, deploy):
    deploy("session_tail")
    deploy("with_session")
    iid = start_instance(sessions, "with_session", DOCTOR, {"doctor_id": DOCTOR.user_id}, patient_id=PATIENT.user_id)
    [consent] = pending(sessions, iid)
    complete_task(sessions, PATIENT, iid, consent.task_guid, {"agree": True})
    [conclude] = pending(sessions, iid)
    complete_task(sessions, DOCTOR, iid, conclude.task_guid, {})

    found = steps(sessions, iid)

    assert not [s for s in found if s.current]
    main = [s.element for s in found if not s.call_path]
    assert main[0] == "start" and main[-1] == "end" and {"prepare", "session", "conclude"} <= set(main)


def test_the_steps_are_timed_by_the_platform_clock_like_the_rest_of_the_history(sessions, deploy, clock):
    """SpiffWorkflow stamps with the system time; a moved platform clock (a test's, the demo's past weeks)
    is what the trail shows, in the order things happened."""
    from datetime import timedelta

    deploy("session_tail")
    deploy("with_session")
    started = clock.current  # the TestClock stands in March 2026, far from the system time
    iid = start_instance(sessions, "with_session", DOCTOR, {"doctor_id": DOCTOR.user_id}, patient_id=PATIENT.user_id)
    [consent] = pending(sessions, iid)
    clock.advance(hours=5)
    complete_task(sessions, PATIENT, iid, consent.task_guid, {"agree": True})

    found = steps(sessions, iid)

    assert all(abs(s.at - started) < timedelta(hours=5, minutes=1) for s in found if s.at), found
    at = {s.element: s.at for s in found}
    assert at["p_note"] - started < timedelta(minutes=1)  # an automatic step at the start
    assert at["consent"] - started > timedelta(hours=4, minutes=59)  # the patient's step five hours later
    assert [s.at for s in found] == sorted(s.at for s in found)
