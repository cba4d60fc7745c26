"""The `rehab_course` pathway's service tasks. Each runs inside the engine step's transaction.

- `rehab_open_course` (patient_id, doctor_id, instructor_id, title): the course row for this instance.
- `rehab_next_class` (course_id): the next class to remind of, with `remind_at`, or `has_next` false
  with the attendance summary.
- `rehab_class_reminder` (seat_id): the reminder email, once per seat (outbox dedupe key).
- `rehab_complete_course` (course_id): the course is completed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from engine.config import Settings
from engine.rehab import courses
from engine.workflow.connectors import ConnectorRegistry, InstanceContext


def _int(params: Mapping[str, Any], name: str) -> int:
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ValueError(f"{name} must be an id, not {value!r}")
    return int(value)


# The usual result of each operator, offered by the studio's test run (see ConnectorRegistry.register):
# no further class, so a test run goes on to the instructor's decision instead of looping on reminders.
SAMPLES: dict[str, Mapping[str, Any]] = {
    "rehab_open_course": {"id": 1, "status": "active"},
    "rehab_next_class": {"has_next": False, "seat_id": None, "class_id": None, "remind_at": None, "attended": 8,
                         "missed": 1, "unmarked": 0},
    "rehab_class_reminder": {"sent": True},
    "rehab_complete_course": {"status": "completed"},
}


def register(registry: ConnectorRegistry, settings: Settings | None = None) -> None:
    base_url = settings.base_url if settings is not None else ""

    def open_course(session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        course = courses.open_course(
            session, instance_id=context.instance_id, patient_id=_int(params, "patient_id"),
            doctor_id=_int(params, "doctor_id"), instructor_id=_int(params, "instructor_id"),
            title=str(params.get("title") or ""), base_url=base_url,
        )
        return {"id": course.id, "status": course.status}

    def next_class(session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        return courses.next_reminder(session, _int(params, "course_id"))

    def reminder(session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        return {"sent": courses.send_reminder(session, _int(params, "seat_id"), base_url=base_url)}

    def complete(session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
        course = courses.complete_course(session, _int(params, "course_id"), by=params.get("instructor_id"))
        return {"status": course.status}

    registry.register("rehab_open_course", open_course, sample=SAMPLES["rehab_open_course"])
    registry.register("rehab_next_class", next_class, sample=SAMPLES["rehab_next_class"])
    registry.register("rehab_class_reminder", reminder, sample=SAMPLES["rehab_class_reminder"])
    registry.register("rehab_complete_course", complete, sample=SAMPLES["rehab_complete_course"])
