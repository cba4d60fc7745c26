"""Task times on the platform clock. SpiffWorkflow stamps a task's state change with the system time;
every other time the engine records (instance start, task history, timers, events) reads engine.clock.
Where the two differ (a test clock, the demo's weeks of history walked at their past moments), the tasks a
step changed are re-stamped by the difference, so their order stays and the inspector's history reads the
same moments as the rest. With the real clock nothing is read or written. Nothing in SpiffWorkflow is
patched: the step compares the stamps before and after it ran."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from engine import clock

TOLERANCE_SECONDS = 1.0  # the real clock read twice: no re-stamping

# The difference between the clocks when the step began (a test clock stands still meanwhile: the step's
# changes then fall just after its moment, as its events and history rows do), and the task times then.
Stamps = tuple[float, dict[Any, float]]


def _offset() -> float:
    return clock.now().timestamp() - time.time()


def _tasks(workflow: Any) -> Iterator[Any]:
    yield from workflow.tasks.values()
    for sub in workflow.subprocesses.values():
        yield from sub.tasks.values()


def before(workflow: Any) -> Stamps | None:
    """The stamps to compare with after the step, or None when the platform clock is the system's."""
    offset = _offset()
    if abs(offset) < TOLERANCE_SECONDS:
        return None
    return offset, {task.id: task.last_state_change for task in _tasks(workflow)}


def restamp(workflow: Any, previous: Stamps | None) -> Stamps | None:
    """Move the stamps the step changed onto the platform clock; the stamps for the next comparison."""
    if previous is None:
        return None
    offset, times = previous
    for task in _tasks(workflow):
        if times.get(task.id) != task.last_state_change:
            task.last_state_change += offset
    return offset, {task.id: task.last_state_change for task in _tasks(workflow)}
