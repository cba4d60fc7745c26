"""The BPMN timer tick: fires the timers that are due (reminders, hold expiry, escalations).

The engine's `fire_due_timers(session_factory, connectors=...)` does the work, with the connector
registry of `engine.composition.build_connectors(settings)`, so service tasks after a timer (a reminder
email) work as in the web app. Until the engine provides it the tick is not served
(see `timer_tick_available`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from prefect import flow

from engine.config import load_settings
from workflows.resources import run_logger, session_factory

FLOW_NAME = "timer-tick"
# Where the engine has kept fire_due_timers (it moved from runtime to events); first found wins.
TIMER_MODULES = ("engine.workflow.events", "engine.workflow.runtime")


def _optional_module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Only the module being absent means "not yet"; a missing dependency inside it is a real error.
        if exc.name is None or not name.startswith(exc.name):
            raise
        return None


def _fire_due_timers() -> Callable[..., Any] | None:
    for name in TIMER_MODULES:
        fire = getattr(_optional_module(name), "fire_due_timers", None)
        if fire is not None:
            return fire
    return None


def timer_tick_available() -> bool:
    return _fire_due_timers() is not None


@flow(name=FLOW_NAME)
def timer_tick() -> Any:
    fire = _fire_due_timers()
    if fire is None:
        run_logger(__name__).warning("the engine has no fire_due_timers yet; no timers fired")
        return None
    settings = load_settings()
    composition = _optional_module("engine.composition")
    extra = {"connectors": composition.build_connectors(settings)} if composition is not None else {}
    return fire(session_factory(settings.database_url), **extra)
