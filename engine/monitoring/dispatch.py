"""The evening dispatch: which patients are due an invitation now, and starting their day.

Run every few minutes (workflows/monitoring.py). For each time zone its patients live in, a patient is
due when an active plan of theirs has reached its invitation time today (local), the day has something
due, and the day has no questionnaire yet. Each due day starts one `monitoring_cycle` instance, whose
first step opens the questionnaire (unique per patient and day) and queues the invitation (unique
dedupe key): running the dispatch twice, or two dispatchers at once, sends nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, sessionmaker

from engine.accounts.models import User
from engine.clock import now
from engine.i18n import Conflict
from engine.monitoring import schedule
from engine.monitoring.models import FROM_CABINET, FROM_SCHEDULE, PLAN_ACTIVE, MonitoringPlan, Questionnaire
from engine.workflow import ConnectorRegistry, start_instance

MODEL_ID = "monitoring_cycle"


@dataclass(frozen=True)
class DueDay:
    patient_id: int
    day: date


@dataclass
class DispatchReport:
    due: int = 0
    started: int = 0
    errors: list[str] = field(default_factory=list)


def due_days(session: Session, moment: datetime | None = None) -> list[DueDay]:
    moment = moment or now()
    zones = session.scalars(
        select(User.timezone).join(MonitoringPlan, MonitoringPlan.patient_id == User.id)
        .where(MonitoringPlan.status == PLAN_ACTIVE).distinct()
    ).all()  # fmt: skip
    due: list[DueDay] = []
    for zone_name in zones:
        local = moment.astimezone(schedule.zone(zone_name))
        day, hhmm = local.date(), local.strftime("%H:%M")
        answered_or_open = exists().where(Questionnaire.patient_id == MonitoringPlan.patient_id, Questionnaire.day == day)
        plans = session.scalars(
            select(MonitoringPlan).join(User, User.id == MonitoringPlan.patient_id)
            .where(User.timezone == zone_name, MonitoringPlan.status == PLAN_ACTIVE,
                   MonitoringPlan.start_date <= day,
                   or_(MonitoringPlan.end_date.is_(None), MonitoringPlan.end_date >= day),
                   MonitoringPlan.invite_time <= hhmm, ~answered_or_open)
            .order_by(MonitoringPlan.patient_id, MonitoringPlan.id)
        ).all()  # fmt: skip
        by_patient: dict[int, list[MonitoringPlan]] = defaultdict(list)
        for plan in plans:
            by_patient[plan.patient_id].append(plan)
        due += [DueDay(pid, day) for pid, mine in by_patient.items() if schedule.due_items(mine, day)]
    return due


def start_day(
    session_factory: sessionmaker[Session], patient_id: int, day: date, *, base_url: str,
    connectors: ConnectorRegistry | None, origin: str = FROM_SCHEDULE,
) -> int:
    """Start the day's pathway; the patient's own start (from the cabinet) sends no invitation."""
    data: dict[str, Any] = {"day": day.isoformat(), "origin": origin, "invite": origin != FROM_CABINET,
                            "base_url": base_url, "answers": None, "comment": "", "document_ids": [], "note": ""}
    return start_instance(session_factory, MODEL_ID, None, data=data, patient_id=patient_id, connectors=connectors)


def dispatch_evening(
    session_factory: sessionmaker[Session], *, base_url: str, connectors: ConnectorRegistry | None = None,
    moment: datetime | None = None,
) -> DispatchReport:
    with session_factory() as session:
        due = due_days(session, moment)
    report = DispatchReport(due=len(due))
    for entry in due:
        try:
            start_day(session_factory, entry.patient_id, entry.day, base_url=base_url, connectors=connectors)
            report.started += 1
        except Conflict as exc:  # pragma: no cover - a start has no revision to lose; kept for safety
            report.errors.append(f"patient {entry.patient_id}: {exc}")
    return report
