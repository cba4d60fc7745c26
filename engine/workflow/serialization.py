"""Instance state as text: SpiffWorkflow's serializer, set up to keep the spec out of it, and made faster.

Customisations, and why:
- The workflow converter omits `spec`/`subprocess_specs`: a version's spec is serialized once into
  `process_model_version.serialized_spec` and re-attached on load from a per-process LRU cache (spiff.py).
- Every task of an instance is written at every step and read at every uncached one, so tasks are
  written and read by lean converters that give exactly what Spiff's own TaskConverter gives (the test
  suite checks every state written and read against it, see CHECK_AGAINST_STOCK).
- State is written with orjson (several times faster than json), leaves converted by Spiff's registry.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_VERSION
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from engine.workflow.timers import ClockDurationEvent, ClockTimeDateEvent

Specs = tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]


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


class _LeanWorkflowConverter(_StateOnlyConverter):
    """The same dict as _StateOnlyConverter with the tasks written straight by _LeanTaskConverter, not
    dispatched one by one through the registry (in encoder mode; see _LeanTaskConverter)."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        if not self.registry._encoder_mode:
            return super().to_dict(workflow)
        registry = self.registry
        task_dict = _LeanTaskConverter.task_dict
        return {
            "data": registry.convert(registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": {str(k): task_dict(v) for k, v in workflow.tasks.items()},
            "root": str(workflow.task_tree.id),
            "subprocesses": self.mapping_to_dict(workflow.subprocesses),
            "bpmn_events": registry.convert(workflow.bpmn_events),
        }

    def from_dict(self, dct: dict[str, Any], specs: Specs | None = None) -> BpmnWorkflow:
        # Every task id appears four times in a state (key, id, its parent's children, its children's
        # parent); parsing each text once also gives a task and its mentions one UUID object, as at run time.
        _local.uuids = {}
        try:
            return super().from_dict(dct, specs)
        finally:
            _local.uuids = None

    def mapping_from_dict(self, mapping: dict[str, Any], key_class: Any = None, **kwargs: Any) -> dict[Any, Any]:
        uuids = getattr(_local, "uuids", None)
        if key_class is not UUID or uuids is None:
            return super().mapping_from_dict(mapping, key_class, **kwargs)
        restore = self.registry.restore
        return {_uuid(uuids, k): restore(v, **kwargs) for k, v in mapping.items()}


class _LeanTaskConverter(TaskConverter):
    """Writes a task as Spiff's TaskConverter does, key for key, with fewer lookups on the way.

    Every task of an instance is written at every step, so this is the serializer's inner loop. The same
    dict: the parent found once instead of three times through `task.parent`, data changes against the
    parent computed as DeepMerge.get_updated_keys/get_deleted_keys do, internal data cleaned as the
    registry's encoder mode does. Outside encoder mode (never used by this module) Spiff's own method runs."""

    def to_dict(self, task: Any) -> dict[str, Any]:
        if not self.registry._encoder_mode:
            return super().to_dict(task)
        dct = self.task_dict(task)
        del dct["typename"]  # the registry adds it back
        return dct

    def from_dict(self, dct: dict[str, Any], workflow: Any) -> Any:
        """Spiff's TaskConverter.from_dict step for step, with the ids parsed once per load (see
        _LeanWorkflowConverter.from_dict) and empty values not walked by the registry."""
        uuids = getattr(_local, "uuids", None)
        if uuids is None:
            return super().from_dict(dct, workflow)
        restore = self.registry.restore
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, task_spec, state=dct["state"], id=_uuid(uuids, dct["id"]))
        parent = dct["parent"]
        task._parent = _uuid(uuids, parent) if parent is not None else None
        task._children = [_uuid(uuids, child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        internal = dct["internal_data"]
        task.internal_data = restore(internal) if internal else {}
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            task.workflow.top_workflow.event_manager.add_task(task)
        delta = dct.get("delta")
        above = task.parent
        if delta and above is not None:
            data = DeepMerge.merge({}, above.data)
            updates = delta.get("updates", {})
            data.update(restore(updates) if updates else {})
            for key in delta.get("deletions", {}):
                if key in data:
                    del data[key]
        else:
            data = restore(dct["data"])
        task.data = data
        return task

    @staticmethod
    def task_dict(task: Any) -> dict[str, Any]:
        """The task's dict including its typename, as the registry writes it."""
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
            "typename": "Task",
        }


def _make_serializer(lean: bool = True) -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _LeanWorkflowConverter if lean else _StateOnlyConverter
    if lean:
        config[Task] = _LeanTaskConverter
    config[ClockTimeDateEvent] = TimerConditionalEventDefinitionConverter
    config[ClockDurationEvent] = TimerConditionalEventDefinitionConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


# The registry flips a flag while encoding, so each thread gets its own serializer.
_local = threading.local()
# Switched on by the test suite: every state written or read is also built or loaded by Spiff's own
# converters, and must come out the same.
CHECK_AGAINST_STOCK = False


def _serializer(lean: bool = True) -> BpmnWorkflowSerializer:
    name = "serializer" if lean else "stock_serializer"
    serializer = getattr(_local, name, None)
    if serializer is None:
        serializer = _make_serializer(lean)
        setattr(_local, name, serializer)
    return serializer


def _uuid(uuids: dict[str, UUID], text: str) -> UUID:
    found = uuids.get(text)
    if found is None:
        found = uuids[text] = UUID(text)
    return found


def registry() -> Any:
    """The engine's serializer registry (this thread's): it knows the clock timers' converters."""
    return _serializer().registry


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
    workflow = _load(text, specs, lean=True)
    if CHECK_AGAINST_STOCK:
        stock = _load(text, specs, lean=False)
        assert _to_dict(workflow, lean=False) == _to_dict(stock, lean=False)
        waiting = [{t.id for t in w.event_manager.tasks.values()} for w in (workflow, stock)]
        assert waiting[0] == waiting[1], waiting
    workflow.script_engine = script_engine
    return workflow


def _load(text: str, specs: Specs, lean: bool) -> BpmnWorkflow:
    serializer = _serializer(lean)
    dct = _decode(text)
    serializer.migrate(dct)
    return serializer.from_dict(dct, specs=specs)


# ---------------------------------------------------------------- the state in parts (persistence.py)
#
# The same dict as dump_state's, cut in two kinds of parts: the head (the workflow-level keys of the
# workflow and of each subprocess, without their "tasks") and one text per task, each exactly what Spiff's
# converters write for it. Joined back, the parts are a state of the serializer's format and version, so
# Spiff's migrations apply to it as to a state written whole.

TOP = ""  # the key of the top workflow's tasks among the parts; a subprocess's is its runner task's guid


def _part_json(dct: Any, registry: Any, default: Callable[[Any], Any]) -> str:
    try:
        return orjson.dumps(dct, default=default, option=_ORJSON_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(dct, cls=_serializer()._encoder_cls, separators=(",", ":"))


def _head_dict(workflow: BpmnWorkflow, registry: Any) -> dict[str, Any]:
    def common(wf: Any) -> dict[str, Any]:
        return {
            "data": registry.convert(registry.clean(wf.data)),
            "correlations": wf.correlations,
            "last_task": str(wf.last_task.id) if wf.last_task is not None else None,
            "success": wf.success,
            "completed": wf.completed,
            "root": str(wf.task_tree.id),
            "typename": registry.typenames[type(wf)],
        }

    subprocesses = {}
    for key, sub in workflow.subprocesses.items():
        dct = common(sub)
        dct["parent_task_id"] = str(sub.parent_task_id)
        dct["spec"] = sub.spec.name
        subprocesses[str(key)] = dct
    head = common(workflow)
    head["subprocesses"] = subprocesses
    head["bpmn_events"] = registry.convert(workflow.bpmn_events)
    head[_serializer().VERSION_KEY] = SERIALIZER_VERSION
    return head


def dump_head(workflow: BpmnWorkflow) -> str:
    """The workflow-level part of the state, with the serializer version."""
    registry = registry_in_encoder_mode()
    try:
        return _part_json(_head_dict(workflow, registry), registry, _leaf_encoder(registry))
    finally:
        registry._encoder_mode = False


def dump_tasks(tasks: Any) -> dict[str, str]:
    """guid -> the task's text, for the given tasks."""
    registry = registry_in_encoder_mode()
    default = _leaf_encoder(registry)
    task_dict = _LeanTaskConverter.task_dict
    try:
        return {str(task.id): _part_json(task_dict(task), registry, default) for task in tasks}
    finally:
        registry._encoder_mode = False


def registry_in_encoder_mode() -> Any:
    registry = _serializer().registry
    registry._encoder_mode = True  # lazy conversion, as in _to_dict; the caller switches it back off
    return registry


def assemble(head: str, tasks: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """The whole state dict from the head and the task texts per workflow key (TOP or a runner's guid)."""
    dct = _decode(head)
    dct["tasks"] = _decode_tasks(tasks.get(TOP, {}))
    for key, sub in dct["subprocesses"].items():
        sub["tasks"] = _decode_tasks(tasks.get(key, {}))
    return dct


def same_json(first: str, second: str) -> bool:
    """Whether two texts are one JSON value but for the order of keys. Compared as sorted-key text, not as
    decoded values: in Python 1 == 1.0 == True, and such a change must still be written."""
    try:
        canonical = [orjson.dumps(_decode(text), option=orjson.OPT_SORT_KEYS) for text in (first, second)]
    except (orjson.JSONEncodeError, ValueError):  # what orjson cannot write back (NaN...): call it changed
        return False
    return canonical[0] == canonical[1]


def _decode_tasks(texts: Mapping[str, str]) -> dict[str, Any]:
    # One document for all the tasks of a workflow: one parser call instead of one per task.
    return _decode("{" + ",".join(f'"{guid}":{text}' for guid, text in texts.items()) + "}")


def load_parts(
    head: str, tasks: Mapping[str, Mapping[str, str]], specs: Specs, script_engine: PythonScriptEngine
) -> BpmnWorkflow:
    """The workflow from its parts; the same checks against Spiff's own loader as load_state."""
    workflow = _from_dict(assemble(head, tasks), specs, lean=True)
    if CHECK_AGAINST_STOCK:
        stock = _from_dict(assemble(head, tasks), specs, lean=False)
        # Compared as JSON, leaves converted: event objects in internal data compare by identity.
        ours, theirs = stock_state(workflow), stock_state(stock)
        assert ours == theirs, _difference(ours, theirs)
        stored = assemble(head, tasks)
        if stored.get(_serializer().VERSION_KEY) == SERIALIZER_VERSION:  # else Spiff's migrations changed it
            assert ours == stored, _difference(ours, stored)  # read back: what Spiff itself would write
        waiting = [{t.id for t in w.event_manager.tasks.values()} for w in (workflow, stock)]
        assert waiting[0] == waiting[1], waiting
    workflow.script_engine = script_engine
    return workflow


def _from_dict(dct: dict[str, Any], specs: Specs, lean: bool) -> BpmnWorkflow:
    serializer = _serializer(lean)
    serializer.migrate(dct)
    return serializer.from_dict(dct, specs=specs)


def stock_state(workflow: BpmnWorkflow) -> dict[str, Any]:
    """What Spiff's own converters write for the workflow (with the version), read back from JSON: the
    reference the stored parts must equal when CHECK_AGAINST_STOCK is on."""
    serializer = _serializer(lean=False)
    dct = _to_dict(workflow, lean=False)
    dct[serializer.VERSION_KEY] = SERIALIZER_VERSION
    registry = serializer.registry
    registry._encoder_mode = True
    try:
        return _decode(_part_json(dct, registry, _leaf_encoder(registry)))
    finally:
        registry._encoder_mode = False


def _difference(ours: Any, theirs: Any, path: str = "") -> str:
    """Where two state dicts first differ, for the CHECK_AGAINST_STOCK failure message."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in sorted(set(ours) | set(theirs), key=str):
            if ours.get(key) != theirs.get(key):
                return _difference(ours.get(key), theirs.get(key), f"{path}/{key}")
    return f"{path}: {ours!r} != {theirs!r}"
