"""Stand-in connectors for walking the shipped pathways without their domains' tables: each operator the
pathways call answers with the keys the pathways read from its result (for tests whose subject is the
engine's storage, not the domain)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from engine.clock import now
from engine.workflow import ConnectorRegistry


def _at(days: float) -> str:
    return (now() + timedelta(days=days)).isoformat()


RESULTS = {
    "consultation_open": lambda: {"booked": True, "consultation_id": 1, "doctor_id": 2},
    "consultation_meeting": lambda: {
        "starts_at": _at(3),
        "ends_at": _at(3.1),
        "opens_at": _at(2.9),
        "remind_at": _at(2),
        "rate_until": _at(10),
        "consent_locale": "ru",
        "consent_version": "1",
    },
    "monitoring_open_day": lambda: {"opened": True, "deadline": _at(1), "questionnaire_id": 1},
    "registry_hold_slot": lambda: {"held": True, "needs_code": True, "expires_at": _at(1), "ticket_id": 1},
    "consultation_review": lambda: {"result": "ok"},
    "registry_check_code": lambda: {"result": "ok"},
    "rehab_open_course": lambda: {"id": 1},
    "rehab_next_class": lambda: {"has_next": True, "remind_at": _at(1), "seat_id": 1},
    "monitoring_record": lambda: {
        "recorded": True, "beyond": 0, "medications_missed": 0, "survey_alerts": 0, "survey_max": 0, "survey_moderate": 0,
    },
    "monitoring_raise_alert": lambda: {"doctor_ids": [2]},
    "consultation_reassign": lambda: {"doctor_id": 2, "problem": ""},
    "consultation_submit_documents": lambda: {"count": 1},
}


def registry(bpmn: Path) -> ConnectorRegistry:
    ops = set(
        re.findall(
            r'serviceTaskOperator id="([a-z_]*)"', "".join(p.read_text() for p in bpmn.glob("*/*.bpmn"))
        )
    )
    found = ConnectorRegistry()
    for op in ops:
        make = RESULTS.get(op, lambda: {"ok": True})
        found.register(op, lambda _s, _ctx, _params, make=make: make())
    return found


# Start data that every shipped pathway's first steps can read.
START_DATA = {
    "doctor_id": 2, "instructor_id": 3, "referral_id": 1, "consultation_id": 1, "day": 1, "origin": {},
    "title": "Course", "diagnosis_code": "G40", "diagnosis_text": "x", "target": "neuro",
    "application": {"age": 40, "diagnosis_code": "G40", "diagnosis_text": "x", "full_name": "Ann"},
    "booking": {"full_name": "Ann", "base_url": "https://c.example", "ip": "127.0.0.1", "ticket_url": "https://c.example/t"},
}  # fmt: skip
