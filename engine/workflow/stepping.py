"""Running a workflow's automatic tasks: what `BpmnWorkflow.do_engine_steps` does, with a cheaper search.

Why: do_engine_steps finds the READY tasks with SpiffWorkflow's tree iterator, a few µs per task in the
tree, and searches at least twice per call (the last search finds nothing); for an instance of a dozen
tasks that is most of an engine step's Spiff time. Here the READY tasks come from one pass over the task
dicts and are put in the iterator's order (depth first; a subprocess's tasks before the children of the
task that runs it), so the same tasks run in the same order. The rounds are do_engine_steps' own: the
deepest active subprocesses first, each until nothing more runs, then the workflow, again while anything
ran or a subprocess started, then the timers are refreshed.

`CHECK_AGAINST_ITERATOR` (switched on by the test suite) compares every search with the iterator's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from SpiffWorkflow.util.task import TaskState

CHECK_AGAINST_ITERATOR = False
_READY = TaskState.READY
_FUTURE = TaskState.FUTURE


class Paused(Exception):
    """`pause(task)` asked to stop before this task (a service task whose connector must run in the
    step's write transaction, see steps.py); everything before it has run."""

    def __init__(self, task: Any) -> None:
        super().__init__(task)
        self.task = task


Pause = Callable[[Any], bool]


def run_engine_steps(workflow: Any, pause: Pause | None = None) -> None:
    """The equivalent of `workflow.do_engine_steps()` (no callbacks); raises Paused before a task for
    which `pause(task)` is true."""
    while _engine_round(workflow, pause):
        pass
    workflow.refresh_timers()


def _engine_round(workflow: Any, pause: Pause | None) -> bool:
    active = workflow.get_active_subprocesses()
    for sub in sorted(active, key=lambda s: s.depth, reverse=True):
        while _run_ready(sub, pause):
            pass
        if sub.parent_task_id is not None:
            runner = workflow.get_task_from_id(sub.parent_task_id)
            runner.task_spec._update(runner)
    ran = _run_ready(workflow, pause)
    return ran > 0 or len(workflow.get_active_subprocesses()) > len(active)


def _run_ready(wf: Any, pause: Pause | None) -> int:
    tasks = ready_automatic(wf)
    for task in tasks:
        if pause is not None and pause(task):
            raise Paused(task)
        task.run()
    return len(tasks)


def ready_automatic(wf: Any) -> list[Any]:
    """The READY tasks that are not manual in `wf` (a workflow or subprocess) and the subprocesses below
    it, in the order `wf.get_tasks(state=READY)` lists them."""
    candidates = _ready_automatic_in(wf)
    for sub in wf.top_workflow.subprocesses.values():
        if sub is not wf and _inside(sub, wf):
            candidates.extend(_ready_automatic_in(sub))
    keyed = [(path, task) for task in candidates if (path := _tree_path(task, wf)) is not None]
    if len(keyed) > 1:
        keyed.sort(key=lambda pair: pair[0])
    found = [task for _path, task in keyed]
    if CHECK_AGAINST_ITERATOR:
        expected = [t for t in wf.get_tasks(state=_READY) if not t.task_spec.manual]
        assert found == expected, (found, expected)
    return found


def _ready_automatic_in(wf: Any) -> list[Any]:
    return [t for t in wf.tasks.values() if t._state == _READY and not t.task_spec.manual]


def _inside(sub: Any, wf: Any) -> bool:
    """Whether subprocess `sub` runs (at any depth) under a task of `wf`."""
    top = sub.top_workflow
    current = sub
    while current is not top:
        runner = top.get_task_from_id(current.parent_task_id)
        if runner is None:  # a subprocess whose task is gone is not reached from any root
            return False
        if runner.workflow is wf:
            return True
        current = runner.workflow
    return False


def _tree_path(task: Any, wf: Any) -> tuple[int, ...] | None:
    """Child positions from `wf`'s root down to `task`; -1 steps into a subprocess, which the iterator
    visits before the children of the task running it. None when the iterator would not reach the task:
    it does not descend below predicted tasks (MAYBE, LIKELY) other than a subprocess's runner."""
    steps: list[int] = []
    node = task
    runners = wf.top_workflow.subprocesses
    while True:
        tasks = node.workflow.tasks
        while node._parent is not None:
            parent = tasks[node._parent]
            if parent._state < _FUTURE and parent.id not in runners:
                return None
            steps.append(parent._children.index(node.id))
            node = parent
        if node.workflow is wf:
            break
        sub = node.workflow  # node is a subprocess's root: continue from the task that runs it
        steps.append(-1)
        node = sub.top_workflow.get_task_from_id(sub.parent_task_id)
        if node is None:
            return None
    steps.reverse()
    return tuple(steps)
