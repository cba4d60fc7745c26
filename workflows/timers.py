"""The BPMN timer tick: fires the timers that are due (reminders, hold expiry, escalations).

The engine's `fire_due_timers` does the work, with the connector registry of
`engine.composition.build_connectors(settings)`, so service tasks after a timer (a reminder email) work
as in the web app.
"""

from __future__ import annotations

from prefect import flow

from engine.composition import build_connectors
from engine.config import load_settings
from engine.workflow import fire_due_timers
from workflows.resources import session_factory

FLOW_NAME = "timer-tick"


@flow(name=FLOW_NAME)
def timer_tick() -> int:
    settings = load_settings()
    return fire_due_timers(session_factory(settings.database_url), connectors=build_connectors(settings))
