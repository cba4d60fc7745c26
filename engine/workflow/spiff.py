"""SpiffWorkflow as the engine uses it: the parser, timers on the platform clock, the sandboxed script
engine, the cache of deserialized specs; instance state is written and read by serialization.py
(re-exported here).

Customisations, and why:
- Timers read `engine.clock.now()` instead of the system time (see timers.py, re-exported here).
- A version's spec is serialized once into `process_model_version.serialized_spec` and kept deserialized
  in a per-process LRU cache (SpecCache), shared by the instances of that version.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

# SpiffWorkflow's spec diff and migration, for the studio's migration of running instances
# (engine/studio/migrate.py): SpiffWorkflow is imported only inside engine.workflow.
from SpiffWorkflow.bpmn.util.diff import SpecDiff as SpecDiff
from SpiffWorkflow.bpmn.util.diff import WorkflowDiff as WorkflowDiff
from SpiffWorkflow.bpmn.util.diff import migrate_workflow as migrate_workflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR
from SpiffWorkflow.util.task import TaskState as TaskState

from engine.workflow import sandbox, spiffarena_helpers

# Instance state and specs as text; used through here.
from engine.workflow.serialization import Specs as Specs
from engine.workflow.serialization import dump_specs as dump_specs
from engine.workflow.serialization import dump_state as dump_state
from engine.workflow.serialization import load_specs as load_specs
from engine.workflow.serialization import load_state as load_state

# Timers on the platform clock and the parser that makes them live in timers.py; used through here.
from engine.workflow.timers import ClockDurationEvent as ClockDurationEvent
from engine.workflow.timers import ClockTimeDateEvent as ClockTimeDateEvent
from engine.workflow.timers import PathwayParser, as_timer_text
from engine.workflow.timers import timer_due_at as timer_due_at

ServiceCall = Callable[[str, dict[str, Any], Any], Mapping[str, Any]]

# Uploaded XML is untrusted: no entity expansion, no network, no giant trees.
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=False)


def parse_xml(text: str) -> Any:
    return etree.fromstring(text.encode("utf-8"), XML_PARSER)


def make_parser(documents: Mapping[str, Any]) -> PathwayParser:
    """A parser fed with already parsed XML documents (path -> root element), BPMN and DMN."""
    parser = PathwayParser(validator=VALIDATOR)
    for path, root in documents.items():
        if path.endswith(".dmn"):
            parser.add_dmn_xml(root, filename=path)
        else:
            parser.add_bpmn_xml(root, filename=path)
    return parser


# ---------------------------------------------------------------- script engine


class _SandboxEnvironment(BasePythonScriptEngineEnvironment):
    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        return sandbox.evaluate(expression, context, external_context)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        sandbox.execute(script, context, external_context)
        return True


class PathwayScriptEngine(PythonScriptEngine):
    """Sandboxed scripts and expressions; service tasks go to `call_service(operator, params, task)`."""

    def __init__(self, call_service: ServiceCall | None = None) -> None:
        super().__init__(environment=_SandboxEnvironment())
        self._call_service = call_service

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        with spiffarena_helpers.running(task):
            return super().evaluate(task, expression, external_context)

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        with spiffarena_helpers.running(task):
            return super().execute(task, script, external_context)

    def call_service(self, task: Any, operation_name: str = "", operation_params: Any = None, **_: Any) -> str:
        params = {name: param["value"] for name, param in (operation_params or {}).items()}
        if self._call_service is None:
            raise WorkflowTaskException(f"No connectors for service {operation_name}", task=task)
        try:
            result = self._call_service(operation_name, params, task)
        except Exception as exc:  # the connector's own failure becomes the instance's error
            raise WorkflowTaskException(f"Service {operation_name} failed: {exc}", task=task, exception=exc) from exc
        # ServiceTask parses the result as JSON; dates in a result arrive as ISO text.
        return json.dumps(dict(result or {}), default=as_timer_text)


def tasks_in_state(workflow: BpmnWorkflow, state: int, manual: bool | None = None) -> list[Any]:
    """The tasks of a workflow and its subprocesses in `state`, in no particular order.

    The same tasks as `workflow.get_tasks(state=..., manual=...)` (checked against it over the engine's and
    the pathways' tests for READY and ERROR), from a plain walk over the task dicts: get_tasks' tree
    iterator costs several times more, and an engine step asks after every run of engine steps."""
    found = [t for t in workflow.tasks.values() if t.state == state]
    for sub in workflow.subprocesses.values():
        found.extend(t for t in sub.tasks.values() if t.state == state)
    if manual is not None:
        found = [t for t in found if t.task_spec.manual == manual]
    return found


# End events whose id starts so mean "the pathway was cancelled" (by the patient, by the clinic): an instance
# that ends at one is listed as cancelled, not completed. A convention of the shipped pathways' ids.
CANCELLED_END_PREFIX = "end_cancelled"


def ended_cancelled(workflow: BpmnWorkflow) -> bool:
    """Whether the finished workflow (or one of its subprocesses) reached a "cancelled" end event."""
    return any(str(getattr(t.task_spec, "bpmn_id", "") or "").startswith(CANCELLED_END_PREFIX)
               for t in tasks_in_state(workflow, TaskState.COMPLETED))


# What a workflow loaded outside a step holds (views, migration): no connector results to hand over.
IDLE_ENGINE = PathwayScriptEngine()


def new_workflow(specs: Specs, script_engine: PythonScriptEngine) -> BpmnWorkflow:
    return BpmnWorkflow(specs[0], specs[1], script_engine=script_engine)


class SpecCache:
    """Deserialized specs per version. Specs are read-only at run time, so instances share them.

    Keyed by (version id, sha256): ids alone repeat across databases (tests, a restored backup)."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._items: OrderedDict[tuple[int, str], Specs] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version_id: int, sha256: str, load: Callable[[], str]) -> Specs:
        """`load` returns the version's serialized spec; it is called only on a miss."""
        key = (version_id, sha256)
        with self._lock:
            specs = self._items.get(key)
            if specs is not None:
                self._items.move_to_end(key)
                return specs
        specs = load_specs(load())
        with self._lock:
            self._items[key] = specs
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return specs

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


SPECS = SpecCache()
