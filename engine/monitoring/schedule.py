"""Which items are due on a date for a patient, across all plans of all their doctors."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.monitoring.models import (
    DAILY,
    EVERY_N_DAYS,
    PLAN_ACTIVE,
    TIMES_OF_DAY,
    WEEKDAYS,
    MonitoringPlan,
    PlanItem,
)

DEFAULT_TIMEZONE = "Europe/Moscow"


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_day(moment: datetime, timezone: str | None) -> date:
    return moment.astimezone(zone(timezone)).date()


def local_moment(day: date, hhmm: str, timezone: str | None) -> datetime:
    """The aware instant of `HH:MM` on `day` in the patient's zone (DST-safe through zoneinfo)."""
    hours, minutes = (int(p) for p in hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=zone(timezone))


def is_due(item: PlanItem, plan: MonitoringPlan, day: date) -> bool:
    if not plan.active_on(day):
        return False
    if item.period == DAILY:
        return True
    if item.period == EVERY_N_DAYS:
        # Counted from the plan's first day, so "every 2 days" means days 1, 3, 5... of the plan.
        return (day - plan.start_date).days % max(item.every_n, 1) == 0
    if item.period == WEEKDAYS:
        return str(day.weekday()) in (item.weekdays or "").split(",")
    return False


def active_plans(session: Session, patient_id: int, day: date) -> list[MonitoringPlan]:
    plans = session.scalars(
        select(MonitoringPlan).where(MonitoringPlan.patient_id == patient_id, MonitoringPlan.status == PLAN_ACTIVE)
        .order_by(MonitoringPlan.id)
    )  # fmt: skip
    return [p for p in plans if p.active_on(day)]


def due_items(plans: Iterable[MonitoringPlan], day: date) -> list[PlanItem]:
    """Due items in questionnaire order: morning, midday, evening, whole day; within a section by plan
    and position."""
    items = [item for plan in plans for item in plan.items if is_due(item, plan, day)]
    order = {name: n for n, name in enumerate(TIMES_OF_DAY)}
    return sorted(items, key=lambda i: (order.get(i.time_of_day, 9), i.plan_id, i.position, i.id))


def due_for_patient(session: Session, patient_id: int, day: date) -> list[PlanItem]:
    return due_items(active_plans(session, patient_id, day), day)


def invite_time(plans: Iterable[MonitoringPlan], default: str) -> str:
    """With several doctors' plans, the earliest invitation time of them: one email a day covers all."""
    times = [p.invite_time for p in plans if p.invite_time]
    return min(times) if times else default


def deadline(day: date, hhmm: str, timezone: str | None) -> datetime:
    """A day's questionnaire can be answered until the next day's invitation time; then it is missed."""
    return local_moment(day + timedelta(days=1), hhmm, timezone)
