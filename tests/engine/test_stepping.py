"""The engine's own run of engine steps (engine/workflow/stepping.py) against SpiffWorkflow's
do_engine_steps: the same scripts run in the same order, in parallel branches and called processes.
(Every engine step in the other tests is also checked against SpiffWorkflow's iterator, see conftest.)"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.util.task import TaskState

from engine.workflow import complete_task, spiff, start_instance, stepping, views
from engine.workflow.models import COMPLETED
from tests.engine.helpers import MANAGER, PATIENT, model_files, only_task

MODEL = "parallel_scripts"


class _Recording(spiff.PathwayScriptEngine):
    def __init__(self) -> None:
        super().__init__()
        self.ran: list[str] = []

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        self.ran.append(task.task_spec.bpmn_id)
        return super().execute(task, script, external_context)


def _run(engine_steps) -> tuple[list[str], list[str], dict[str, int]]:
    files = model_files(MODEL)
    parser = spiff.make_parser({path: spiff.parse_xml(text) for path, text in files.items()})
    specs = (parser.get_spec(MODEL), parser.get_subprocess_specs(MODEL))
    engine = _Recording()
    workflow = spiff.new_workflow(specs, engine)
    engine_steps(workflow)
    [waiting] = spiff.tasks_in_state(workflow, TaskState.READY, manual=True)
    states = {t.task_spec.bpmn_id or t.task_spec.name: t.state for t in workflow.tasks.values()}
    return engine.ran, waiting.data["ran"], states


def test_scripts_run_in_the_order_spiffworkflow_runs_them():
    ours = _run(stepping.run_engine_steps)
    stock = _run(lambda workflow: workflow.do_engine_steps())
    assert ours == stock
    ran, _data, states = ours
    assert ran[0] == "init" and sorted(ran[1:]) == ["a", "a2", "c", "x", "y"]  # every script ran once
    assert states["look"] == TaskState.READY


def test_the_same_model_walked_through_the_engine_ends_with_the_same_data(sessions, deploy):
    deploy(MODEL)
    iid = start_instance(sessions, MODEL, PATIENT, {}, patient_id=PATIENT.user_id)
    _ran, expected, _states = _run(lambda workflow: workflow.do_engine_steps())
    with sessions() as session:
        assert views.instance_data(session, MANAGER, iid)["ran"] == expected
    assert complete_task(sessions, PATIENT, iid, only_task(sessions, PATIENT, iid), {}) == COMPLETED
