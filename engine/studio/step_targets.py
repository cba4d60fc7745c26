"""Targets per step, where the BPMN declares them: a user task with an interrupting timer boundary event
(the review's "overdue after 3 days") has that duration as its target. Read from the model's latest version, so the
dashboard follows what the analyst deployed; one fact, one place (the diagram). The processes that the
model's call activities reach (a consultation's session) count too: their steps are the model's steps on
the dashboard."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy.orm import Session

from engine.workflow import spiff
from engine.workflow.deploy import latest_version
from engine.workflow.models import ProcessModelVersion

BPMN_NS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
# An ISO 8601 duration as a pathway writes it in a timer expression: "P3D", "PT4H", "P1DT12H".
DURATION = re.compile(r'^"?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?"?$')


def parse_duration(text: str) -> timedelta | None:
    found = DURATION.match((text or "").strip().strip("'"))
    if not found or not any(found.groups()):
        return None
    weeks, days, hours, minutes = (int(g or 0) for g in found.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)


def step_targets(session: Session, model_id: str) -> dict[str, timedelta]:
    """Task id -> the duration of the timer boundary event attached to it."""
    version = latest_version(session, model_id)
    if version is None:
        return {}
    targets: dict[str, timedelta] = {}
    called = {i for i in (version.process_sources or {}).values() if i is not None and i != version.id}
    versions = [version, *(v for v in (session.get(ProcessModelVersion, i) for i in sorted(called)) if v)]
    for source in versions:
        for path, text in (source.files or {}).items():
            if path.endswith(".bpmn"):
                _add_targets(text, targets)
    return targets


def _add_targets(text: str, targets: dict[str, timedelta]) -> None:
    for event in spiff.parse_xml(text).iter(f"{BPMN_NS}boundaryEvent"):
        if event.get("cancelActivity") == "false":
            continue  # a reminder that lets the step go on is no deadline
        duration = event.find(f"{BPMN_NS}timerEventDefinition/{BPMN_NS}timeDuration")
        attached = event.get("attachedToRef")
        value = parse_duration(duration.text or "") if duration is not None else None
        if attached and value is not None:
            targets[attached] = min(value, targets.get(attached, value))
