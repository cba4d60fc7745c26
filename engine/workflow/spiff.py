"""Everything that touches SpiffWorkflow's classes: the parser, timers on the platform clock, the
sandboxed script engine, and a serializer that keeps the spec out of instance state.

Customisations, and why:
- Timers read `engine.clock.now()` instead of the system time, so a test clock (and an operator who
  replays a stuck tick) moves them. Done by subclassing the two timer definitions and the three event
  parsers that create them; nothing in SpiffWorkflow is patched.
- The workflow converter omits `spec`/`subprocess_specs`: a version's spec is serialized once into
  `process_model_version.serialized_spec` and re-attached on load from a per-process LRU cache.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_VERSION
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, IntermediateCatchEvent, StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffBoundaryEventParser,
    SpiffIntermediateCatchEventParser,
    SpiffStartEventParser,
)
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine import clock
from engine.workflow import sandbox

Specs = tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]
ServiceCall = Callable[[str, dict[str, Any], Any], Mapping[str, Any]]

# ---------------------------------------------------------------- timers on the platform clock


def _as_timer_text(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


class ClockTimeDateEvent(TimeDateEventDefinition):
    """A timer at a date; the expression may also yield a datetime (e.g. a variable from a form)."""

    def has_fired(self, my_task: Any) -> bool:
        due = my_task._get_internal_data("event_value")
        if due is None:
            due = _as_timer_text(my_task.workflow.script_engine.evaluate(my_task, self.expression))
            my_task._set_internal_data(event_value=due)
        if TimerEventDefinition.parse_time_or_duration(due) <= clock.now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockDurationEvent(DurationTimerEventDefinition):
    """A timer a duration after the moment the event was reached."""

    def has_fired(self, my_task: Any) -> bool:
        due = my_task._get_internal_data("event_value")
        if due is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            due = (clock.now() + sandbox.parse_duration(str(value), clock.now())).isoformat()
            my_task._set_internal_data(event_value=due)
        if TimerEventDefinition.get_datetime(due) <= clock.now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


def timer_due_at(task: Any) -> datetime | None:
    """When a waiting timer task fires, from the value the timer stored when it was reached."""
    value = task._get_internal_data("event_value")
    if value is None:
        return None
    return TimerEventDefinition.get_datetime(value)


_CLOCK_TIMERS: dict[type, type] = {
    TimeDateEventDefinition: ClockTimeDateEvent,
    DurationTimerEventDefinition: ClockDurationEvent,
}


class _ClockTimerParsing:
    def parse_timer_event(self, event: Any) -> Any:
        definition = super().parse_timer_event(event)  # type: ignore[misc]
        replacement = _CLOCK_TIMERS.get(type(definition))
        if replacement is None:
            return definition  # cycle timers are refused by validation, see validation.py
        return replacement(definition.name, definition.expression, description=definition.description)


class _StartEventParser(_ClockTimerParsing, SpiffStartEventParser):
    pass


class _BoundaryEventParser(_ClockTimerParsing, SpiffBoundaryEventParser):
    pass


class _CatchEventParser(_ClockTimerParsing, SpiffIntermediateCatchEventParser):
    pass


class PathwayParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("startEvent"): (_StartEventParser, StartEvent),
        full_tag("boundaryEvent"): (_BoundaryEventParser, BoundaryEvent),
        full_tag("intermediateCatchEvent"): (_CatchEventParser, IntermediateCatchEvent),
    }


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
        return json.dumps(dict(result or {}), default=_as_timer_text)


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


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _StateOnlyConverter
    config[ClockTimeDateEvent] = TimerConditionalEventDefinitionConverter
    config[ClockDurationEvent] = TimerConditionalEventDefinitionConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


# The registry flips a flag while encoding, so each thread gets its own serializer.
_local = threading.local()


def _serializer() -> BpmnWorkflowSerializer:
    serializer = getattr(_local, "serializer", None)
    if serializer is None:
        serializer = _local.serializer = _make_serializer()
    return serializer


def _encode(obj: Any) -> str:
    serializer = _serializer()
    serializer.registry._encoder_mode = True  # lazy conversion; the JSON encoder converts leaves
    try:
        return json.dumps(serializer.to_dict(obj), cls=serializer._encoder_cls, separators=(",", ":"))
    finally:
        serializer.registry._encoder_mode = False


def dump_specs(spec: BpmnProcessSpec, subprocess_specs: Mapping[str, BpmnProcessSpec]) -> str:
    return _encode({"spec": spec, "subprocess_specs": dict(subprocess_specs)})


def load_specs(text: str) -> Specs:
    dct = _serializer().from_dict(json.loads(text))
    return dct["spec"], dct["subprocess_specs"]


def dump_state(workflow: BpmnWorkflow) -> str:
    serializer = _serializer()
    serializer.registry._encoder_mode = True
    try:
        dct = serializer.to_dict(workflow)
        dct[serializer.VERSION_KEY] = SERIALIZER_VERSION
        return json.dumps(dct, cls=serializer._encoder_cls, separators=(",", ":"))
    finally:
        serializer.registry._encoder_mode = False


def load_state(text: str, specs: Specs, script_engine: PythonScriptEngine) -> BpmnWorkflow:
    serializer = _serializer()
    dct = json.loads(text)
    serializer.migrate(dct)
    workflow = serializer.from_dict(dct, specs=specs)
    workflow.script_engine = script_engine
    return workflow


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
