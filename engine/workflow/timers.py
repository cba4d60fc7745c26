"""Timers on the platform clock: SpiffWorkflow's timer definitions read `engine.clock.now()` instead of
the system time, so a test clock (and an operator who replays a stuck tick) moves them. Done by
subclassing the two timer definitions and the three event parsers that create them; nothing in
SpiffWorkflow is patched. Re-exported by spiff.py, the engine's one door to SpiffWorkflow.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.parser.util import full_tag
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
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine import clock
from engine.workflow import sandbox


def as_timer_text(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


class ClockTimeDateEvent(TimeDateEventDefinition):
    """A timer at a date; the expression may also yield a datetime (e.g. a variable from a form)."""

    def has_fired(self, my_task: Any) -> bool:
        due = my_task._get_internal_data("event_value")
        if due is None:
            due = as_timer_text(my_task.workflow.script_engine.evaluate(my_task, self.expression))
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
