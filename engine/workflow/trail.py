"""The way an instance went: the elements it completed (automatic steps included) and where it stands,
with the called process each lies in, for the instance inspector. Reading runs no script.

An element inside a called process (a consultation waiting at the informed consent of
`consultation_session`) carries its `call_path`: the call activities leading to it from the main process,
so the inspector can mark the call activity on the main diagram and the element on the called one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from engine.workflow import persistence, spiff
from engine.workflow.models import ProcessInstance, ProcessModelVersion

# Engine-made helper specs (the start and end of a workflow, not drawn in the diagram).
_HIDDEN = {"Start", "End", "Root"}
# A spec's class name -> a kind the inspector names ("automatic" steps: script, service, business rule).
KINDS = {
    "UserTask": "user", "ManualTask": "user", "ScriptTask": "script", "ServiceTask": "service",
    "BusinessRuleTask": "rule", "CallActivity": "call", "SubWorkflowTask": "call", "StartEvent": "start",
    "EndEvent": "end", "ExclusiveGateway": "gateway", "ParallelGateway": "gateway", "InclusiveGateway": "gateway",
    "EventBasedGateway": "gateway", "IntermediateCatchEvent": "event", "IntermediateThrowEvent": "event",
    "BoundaryEvent": "event", "SendTask": "event", "ReceiveTask": "event", "NoneTask": "task",
}


@dataclass(frozen=True)
class Step:
    element: str  # the BPMN id
    name: str
    kind: str  # KINDS' values, or "other"
    process: str  # the id of the process the element is drawn in
    call_path: tuple[str, ...]  # call activity ids from the main process down to that process
    at: datetime | None  # when it completed (or became current)
    current: bool  # waiting here now (a user task, a timer, a message)


def _call_path(workflow: Any, task: Any) -> tuple[str, ...]:
    path: list[str] = []
    sub = task.workflow
    while sub is not workflow and getattr(sub, "parent_task_id", None) is not None:
        parent = workflow.get_task_from_id(sub.parent_task_id)
        if parent is None:
            break
        path.append(parent.task_spec.bpmn_id or parent.task_spec.name)
        sub = parent.workflow
    return tuple(reversed(path))


def trail(session: Session, instance: ProcessInstance) -> list[Step]:
    """Completed and current elements, in the order they happened."""
    version = session.get(ProcessModelVersion, instance.version_id)
    if version is None or not instance.state:
        return []
    specs = spiff.SPECS.get(version.id, version.sha256, lambda: version.serialized_spec)
    workflow = persistence.load_outside_step(session.connection(), instance.id, instance.state, specs, spiff.IDLE_ENGINE)
    steps = []
    for task in workflow.get_tasks():
        spec = task.task_spec
        if spec.name in _HIDDEN or not getattr(spec, "bpmn_id", None):
            continue
        done = task.state == TaskState.COMPLETED
        current = task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED, TaskState.ERROR)
        if not (done or current):
            continue
        kind = KINDS.get(type(spec).__name__.replace("Spiff", "").replace("Bpmn", ""), "other")
        steps.append(Step(
            element=spec.bpmn_id, name=spec.bpmn_name or "", kind=kind, process=task.workflow.spec.name,
            call_path=_call_path(workflow, task), current=current,
            at=datetime.fromtimestamp(task.last_state_change, UTC) if task.last_state_change else None,
        ))  # fmt: skip
    return sorted(steps, key=lambda s: (s.at or datetime.max.replace(tzinfo=UTC)))
