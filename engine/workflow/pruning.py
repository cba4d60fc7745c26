"""Taking completed loop iterations out of a workflow's live task tree, where SpiffWorkflow cannot tell.

Why: SpiffWorkflow never forgets a task. A loop adds its tasks below the last iteration's, so the tree of a
pathway that loops once per class grows by a few tasks per class, forever, and every walk over it (the
engine's searches, timer refresh, completion checks, loading) grows with it.

What is cut: the tree is re-rooted at a completed task C that is an ancestor of every task not yet
finished (and of the workflow's last task); everything outside C's subtree (C's ancestors and the
branches hanging off them, all finished) leaves the workflow, and C becomes the root, its data written in
full as a root's is. The rows of the tasks cut go to an archive (see persistence.py), not away.

When it is safe, i.e. nothing SpiffWorkflow could still do reads the tasks cut (found by reading its
3.2 sources; tests/engine/test_pruning.py walks the cases):
- a task's own data and its parent's (data inheritance, reset_branch on retry) stay: every unfinished
  task lies strictly below C;
- structured joins (boundary events) look up their split with `find_ancestor`: every unfinished task whose
  spec names a split must find it at or below C;
- parallel-gateway joins look at every task of their spec: those on C's ancestor line they skip
  (`is_descendant_of`), so cutting them changes nothing; one on a side branch would count, so a cut that
  would take such a task is refused. Inclusive gateways walk the tree from the root up to their own
  spec: any task of an inclusive gateway's spec in the cut part refuses the cut;
- catching events still registered with the event manager are never cut;
- a collaboration's start events start subprocesses below the root (`trigger_wf(task_tree)`): a workflow
  whose start knows such triggers is never cut;
- completed subprocesses run by a task cut go with it (nothing reaches them but through that task);
  one not completed refuses the cut.
A cut is tried only when the cuttable part has grown by PRUNE_BATCH tasks since the last try, so the
search and the archive writes are paid once per many steps and never walk the tree on every step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.util.task import TaskState

PRUNE_BATCH = 48  # tasks; a loop of a user task and a script task adds 3 per iteration
_DONE = TaskState.COMPLETED | TaskState.CANCELLED  # ERROR is "finished" to Spiff, but a retry resumes it
_ATTEMPT = "_carepath_prune_size"  # the task count at the last attempt, kept on the workflow object


@dataclass
class Cut:
    """What a prune took out: per workflow key (persistence's TOP or a runner's guid), the tasks cut."""

    tasks: dict[str, list[Any]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.tasks.values())


def prune(workflow: Any, top_key: str = "") -> Cut:
    """Cut the completed iterations of the workflow and its subprocesses where safe; what was cut."""
    cut = Cut()
    if workflow.completed or getattr(workflow.spec.start, "trigger_specs", None):
        return cut
    for key, wf in [(top_key, workflow), *((str(k), sub) for k, sub in list(workflow.subprocesses.items()))]:
        if key != top_key and key not in {str(k) for k in workflow.subprocesses}:
            continue  # removed along with a cut above
        if wf.completed or len(wf.tasks) < getattr(wf, _ATTEMPT, 0) + PRUNE_BATCH:
            continue
        setattr(wf, _ATTEMPT, len(wf.tasks))
        removed = _prune_one(workflow, wf)
        if removed:
            cut.tasks.setdefault(key, []).extend(removed)
            for sub_key, sub_tasks in _drop_subprocesses(workflow, removed).items():
                cut.tasks.setdefault(sub_key, []).extend(sub_tasks)
            setattr(wf, _ATTEMPT, len(wf.tasks))
    return cut


def _prune_one(top: Any, wf: Any) -> list[Any]:
    tasks = wf.tasks
    live = [t for t in tasks.values() if not t._state & _DONE]
    if wf.last_task is not None and wf.last_task.workflow is wf:
        live.append(wf.last_task)
    if not live:
        return []
    candidate = _common_ancestor(live, tasks)
    while candidate is not None:
        if candidate._state == TaskState.COMPLETED and candidate._parent is not None:
            kept = _subtree(candidate, tasks)
            if len(tasks) - len(kept) < PRUNE_BATCH:
                return []  # higher up only less would go
            if _safe(top, wf, candidate, kept, live):
                return _cut(wf, candidate, kept)
        candidate = tasks.get(candidate._parent)
    return []


def _common_ancestor(found: list[Any], tasks: dict[Any, Any]) -> Any:
    """The deepest task that is an ancestor of (or is) every task in `found`."""
    line = _line(found[0], tasks)  # root first
    index = {task.id: i for i, task in enumerate(line)}
    deepest = len(line) - 1
    for task in found[1:]:
        node = task
        while node is not None and node.id not in index:
            node = tasks.get(node._parent)
        if node is None:
            return None
        deepest = min(deepest, index[node.id])
    return line[deepest]


def _line(task: Any, tasks: dict[Any, Any]) -> list[Any]:
    line = []
    node = task
    while node is not None:
        line.append(node)
        node = tasks.get(node._parent)
    line.reverse()
    return line


def _subtree(root: Any, tasks: dict[Any, Any]) -> set[Any]:
    kept, stack = set(), [root.id]
    while stack:
        task_id = stack.pop()
        kept.add(task_id)
        stack.extend(c for c in tasks[task_id]._children if c in tasks)
    return kept


def _safe(top: Any, wf: Any, root: Any, kept: set[Any], live: list[Any]) -> bool:
    ancestors = {t.id for t in _line(root, wf.tasks)[:-1]}
    waiting = top.event_manager.tasks
    for task in wf.tasks.values():
        if task.id in kept:
            continue
        if not task._state & _DONE or task.id in waiting:
            return False
        spec = task.task_spec
        if isinstance(spec, InclusiveGateway):
            return False
        if isinstance(spec, UnstructuredJoin) and not (
            isinstance(spec, ParallelGateway) and task.id in ancestors
        ):
            return False
        if task.id in top.subprocesses and not top.subprocesses[task.id].completed:
            return False
    for task in live:
        split = getattr(task.task_spec, "split_task", None)
        if split and not _finds_below(task, split, root, wf.tasks):
            return False
    return True


def _finds_below(task: Any, spec_name: str, root: Any, tasks: dict[Any, Any]) -> bool:
    """Whether `task.find_ancestor(spec_name)` ends at or below `root`."""
    node = tasks.get(task._parent)
    while node is not None:
        if node.task_spec.name == spec_name:
            return True
        if node is root:
            return False
        node = tasks.get(node._parent)
    return True  # not found in the whole tree: not found in the cut one either


def _cut(wf: Any, root: Any, kept: set[Any]) -> list[Any]:
    removed = [t for t in wf.tasks.values() if t.id not in kept]
    wf.tasks = {task_id: task for task_id, task in wf.tasks.items() if task_id in kept}
    root._parent = None
    wf.task_tree = root
    return removed


def _drop_subprocesses(top: Any, removed: list[Any]) -> dict[str, list[Any]]:
    """Completed subprocesses run by cut tasks (and those nested in them), out of the workflow."""
    dropped: dict[str, list[Any]] = {}
    runners = [t.id for t in removed if t.id in top.subprocesses]
    while runners:
        runner = runners.pop()
        sub = top.subprocesses.pop(runner)
        dropped[str(runner)] = list(sub.tasks.values())
        runners.extend(t.id for t in sub.tasks.values() if t.id in top.subprocesses)
    return dropped
