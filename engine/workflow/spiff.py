"""Everything that touches SpiffWorkflow's classes: the parser, timers on the platform clock, the
sandboxed script engine, and a serializer that keeps the spec out of instance state.

Customisations, and why:
- Timers read `engine.clock.now()` instead of the system time (see timers.py, re-exported here).
- The workflow converter omits `spec`/`subprocess_specs`: a version's spec is serialized once into
  `process_model_version.serialized_spec` and re-attached on load from a per-process LRU cache.
- State is written with orjson (several times faster than json), leaves converted by Spiff's registry.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

import orjson
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_VERSION
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.spiff.parser.process import VALIDATOR
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

from engine.workflow import sandbox

# Timers on the platform clock and the parser that makes them live in timers.py; used through here.
from engine.workflow.timers import ClockDurationEvent, ClockTimeDateEvent, PathwayParser, as_timer_text
from engine.workflow.timers import timer_due_at as timer_due_at

Specs = tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]
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


# ---------------------------------------------------------------- serialization


class _StateOnlyConverter(BpmnWorkflowConverter):
    """Writes the workflow without its specs; reads it back with specs given by the caller."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], specs: Specs | None = None) -> BpmnWorkflow:
        if specs is None:
            raise ValueError("instance state needs the specs of its version")
        # Already restored objects pass through the registry untouched, so the stock loader does the rest.
        return super().from_dict({**dct, "spec": specs[0], "subprocess_specs": specs[1]})


class _LeanTaskConverter(TaskConverter):
    """Writes a task as Spiff's TaskConverter does, key for key, with fewer lookups on the way.

    Every task of an instance is written at every step, so this is the serializer's inner loop. The same
    dict: the parent found once instead of three times through `task.parent`, data changes against the
    parent computed as DeepMerge.get_updated_keys/get_deleted_keys do, internal data cleaned as the
    registry's encoder mode does. Outside encoder mode (never used by this module) Spiff's own method runs."""

    def to_dict(self, task: Any) -> dict[str, Any]:
        if not self.registry._encoder_mode:
            return super().to_dict(task)
        parent = task.workflow.tasks.get(task._parent)
        own = task.data
        if parent is None:
            data, delta = own, {}
        else:
            above = parent.data
            data = {}
            delta = {
                "updates": {k: v for k, v in own.items() if k not in above or v != above[k]},
                "deletions": [k for k in above if k not in own],
            }
        return {
            "id": str(task.id),
            "parent": None if parent is None else str(task._parent),
            "children": [str(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task._state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": {
                k: v for k, v in task.internal_data.items() if not callable(v) and not isinstance(v, ModuleType)
            },
            "data": data,
            "delta": delta,
        }


def _make_serializer(lean: bool = True) -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    if lean:
        config[Task] = _LeanTaskConverter
    config[BpmnWorkflow] = _StateOnlyConverter
    config[ClockTimeDateEvent] = TimerConditionalEventDefinitionConverter
    config[ClockDurationEvent] = TimerConditionalEventDefinitionConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


# The registry flips a flag while encoding, so each thread gets its own serializer.
_local = threading.local()
# Switched on by the test suite: every state written is also built with Spiff's own TaskConverter and
# must come out the same.
CHECK_AGAINST_STOCK = False


def _serializer(lean: bool = True) -> BpmnWorkflowSerializer:
    name = "serializer" if lean else "stock_serializer"
    serializer = getattr(_local, name, None)
    if serializer is None:
        serializer = _make_serializer(lean)
        setattr(_local, name, serializer)
    return serializer


def _to_dict(obj: Any, lean: bool = True) -> Any:
    serializer = _serializer(lean)
    registry = serializer.registry
    registry._encoder_mode = True  # lazy conversion: Spiff's objects become dicts, data values stay as they are
    try:
        return serializer.to_dict(obj)
    finally:
        registry._encoder_mode = False


def _encode(obj: Any, version: bool = False) -> str:
    serializer = _serializer()
    registry = serializer.registry
    dct = _to_dict(obj)
    if CHECK_AGAINST_STOCK and isinstance(obj, BpmnWorkflow):
        stock = _to_dict(obj, lean=False)
        assert dct == stock, (dct, stock)
    if version:
        dct[serializer.VERSION_KEY] = SERIALIZER_VERSION
    # The leaves (datetimes, Spiff's event objects in internal data...) are converted while writing, by
    # the registry, which has to be in encoder mode for that as well.
    registry._encoder_mode = True
    try:
        try:
            return orjson.dumps(dct, default=_leaf_encoder(registry), option=_ORJSON_OPTIONS).decode()
        except orjson.JSONEncodeError:
            # What orjson refuses (ints beyond 64 bits, non-text keys...) the standard encoder may take.
            return json.dumps(dct, cls=serializer._encoder_cls, separators=(",", ":"))
    finally:
        registry._encoder_mode = False


# orjson writes about ten times faster than json. Datetimes and dataclasses go through the registry, as
# with Spiff's own encoder, so they come back as the same types; sets become lists and callables null,
# as there. (One difference: NaN and infinity become null, as JSON itself has no such numbers.)
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _leaf_encoder(registry: Any) -> Callable[[Any], Any]:
    def default(obj: Any) -> Any:
        typename = registry.typenames.get(type(obj))
        if typename is not None:
            return registry.convert_to_dict[typename](obj)
        if callable(obj) or isinstance(obj, ModuleType):
            return None
        if isinstance(obj, set):
            return list(obj)
        raise TypeError(f"{type(obj).__name__} is not JSON serializable")

    return default


def _decode(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)  # states written before orjson may hold NaN, which orjson refuses


def dump_specs(spec: BpmnProcessSpec, subprocess_specs: Mapping[str, BpmnProcessSpec]) -> str:
    return _encode({"spec": spec, "subprocess_specs": dict(subprocess_specs)})


def load_specs(text: str) -> Specs:
    dct = _serializer().from_dict(_decode(text))
    return dct["spec"], dct["subprocess_specs"]


def dump_state(workflow: BpmnWorkflow) -> str:
    return _encode(workflow, version=True)


def load_state(text: str, specs: Specs, script_engine: PythonScriptEngine) -> BpmnWorkflow:
    serializer = _serializer()
    dct = _decode(text)
    serializer.migrate(dct)
    workflow = serializer.from_dict(dct, specs=specs)
    workflow.script_engine = script_engine
    return workflow


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


# What a cached workflow holds between steps instead of a step's engine (which holds the step's session).
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
