"""SpiffArena's assignment beside CarePath's roles (engine.workflow.access.lane_assignment, may_act)."""

from __future__ import annotations

from engine.workflow.access import ANY_ROLE, Actor, Assignment, lane_assignment, may_act

STARTER = Actor(5, frozenset({"patient"}), frozenset(), "anna@example.org")
FINANCE = Actor(6, frozenset({"manager"}), frozenset({"role:manager", "group:Finance Team"}), "fin@example.org")
OTHER = Actor(7, frozenset({"doctor"}), frozenset({"role:doctor"}), "doc@example.org")


def _may(actor: Actor, a: Assignment) -> bool:
    return may_act(actor, a.role, a.assignee_user_id, a.candidate_group, None)


def test_a_task_in_no_lane_or_the_initiator_lane_is_the_starters():
    for lane in (None, "", "Process Initiator", "process_initiator", "processinitiator"):
        a = lane_assignment(lane, {}, 5)
        assert a == Assignment(ANY_ROLE, 5, None), lane
        assert _may(STARTER, a) and not _may(FINANCE, a)


def test_a_role_lane_keeps_the_role_rule():
    assert lane_assignment("doctor", {"doctor_id": 7}, 5) == Assignment("doctor", 7, None)
    assert lane_assignment("manager", {}, 5) == Assignment("manager", None, None)


def test_any_other_lane_is_a_work_group_whose_members_act():
    a = lane_assignment("Finance Team", {}, 5)
    assert a == Assignment(ANY_ROLE, None, "group:Finance Team")
    assert _may(FINANCE, a) and not _may(OTHER, a) and not _may(STARTER, a)


def test_lane_owners_name_the_people_of_a_lane_by_email_id_or_group():
    one = lane_assignment("Reviewers", {"lane_owners": {"Reviewers": ["Doc@Example.org"]}}, 5)
    assert _may(OTHER, one) and not _may(FINANCE, one)
    several = lane_assignment("Reviewers", {"lane_owners": {"Reviewers": ["doc@example.org", "6"]}}, 5)
    assert _may(OTHER, several) and _may(FINANCE, several) and not _may(STARTER, several)
    by_id = lane_assignment("Reviewers", {"lane_owners": {"Reviewers": [7]}}, 5)
    assert by_id == Assignment(ANY_ROLE, 7, None)
    group = lane_assignment("Reviewers", {"lane_owners": {"Reviewers": ["group:Finance Team"]}}, 5)
    assert _may(FINANCE, group) and not _may(OTHER, group)
    # Another lane's owners say nothing about this one: its group rule stays.
    assert lane_assignment("Finance Team", {"lane_owners": {"Reviewers": ["x"]}}, 5).candidate_group == "group:Finance Team"


def test_a_claimed_group_task_is_only_the_claimers():
    a = lane_assignment("Finance Team", {}, 5)
    colleague = Actor(8, frozenset({"manager"}), frozenset({"group:Finance Team"}))
    assert may_act(colleague, a.role, None, a.candidate_group, None)
    assert not may_act(colleague, a.role, None, a.candidate_group, FINANCE.user_id)


EMBEDDED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="embedded" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l_doctor" name="doctor"><bpmn:flowNodeRef>s</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>sub</bpmn:flowNodeRef><bpmn:flowNodeRef>e</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub" />
    <bpmn:subProcess id="sub"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:startEvent id="ss"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>
      <bpmn:sequenceFlow id="g1" sourceRef="ss" targetRef="inner" />
      <bpmn:userTask id="inner" name="Inner"><bpmn:incoming>g1</bpmn:incoming><bpmn:outgoing>g2</bpmn:outgoing></bpmn:userTask>
      <bpmn:sequenceFlow id="g2" sourceRef="inner" targetRef="se" />
      <bpmn:endEvent id="se"><bpmn:incoming>g2</bpmn:incoming></bpmn:endEvent>
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="e" />
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_task_inside_an_embedded_subprocess_takes_the_lane_of_the_subprocess(sessions):
    from engine.db import transaction
    from engine.workflow import complete_task, deploy_model, start_instance
    from tests.engine.helpers import DOCTOR, instance, only_task, pending

    with transaction(sessions) as session:
        deploy_model(session, "embedded", {"embedded.bpmn": EMBEDDED})
    iid = start_instance(sessions, "embedded", STARTER, {"doctor_id": DOCTOR.user_id})
    [row] = pending(sessions, iid)
    assert (row.role, row.assignee_user_id) == ("doctor", DOCTOR.user_id)
    complete_task(sessions, DOCTOR, iid, only_task(sessions, DOCTOR, iid), {})
    assert instance(sessions, iid).status == "completed"
