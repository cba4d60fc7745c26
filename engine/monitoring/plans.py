"""The doctor's side of monitoring: plans per doctor and patient, their items, reusable templates, and
the one access rule — a doctor sees only the patients they monitor (has a plan for)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit, roles
from engine.accounts.models import User
from engine.clock import now
from engine.i18n import N_, Forbidden, NotFound, UserError
from engine.monitoring import catalog
from engine.monitoring.models import (
    ANSWER_TYPES,
    DAILY,
    EVERY_N_DAYS,
    KINDS,
    MEASUREMENT,
    MEDICATION,
    OPTIONS,
    PERIODS,
    PLAN_ACTIVE,
    PLAN_ENDED,
    SLIDER,
    SLIDER_MAX,
    TIMES_OF_DAY,
    WEEKDAYS,
    WHOLE_DAY,
    MonitoringPlan,
    PlanItem,
    PlanTemplate,
)

DEFAULT_INVITE_TIME = "19:00"  # the evening invitation (R-MON-05), in the patient's own time zone
HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
MAX_EVERY_N = 31
MAX_OPTIONS = 8


def require_monitors(session: Session, doctor_id: int, patient_id: int) -> None:
    """Forbidden unless this doctor has (or had) a plan for this patient."""
    found = session.scalar(
        select(MonitoringPlan.id).where(MonitoringPlan.doctor_id == doctor_id, MonitoringPlan.patient_id == patient_id)
        .limit(1)
    )
    if found is None:
        raise Forbidden(N_("You do not monitor this patient."))


def get_plan(session: Session, plan_id: int, doctor_id: int) -> MonitoringPlan:
    plan = session.get(MonitoringPlan, plan_id)
    if plan is None:
        raise NotFound(N_("There is no such plan."))
    if plan.doctor_id != doctor_id:
        raise Forbidden(N_("This plan is not yours."))
    return plan


def plans_of_patient(session: Session, patient_id: int, doctor_id: int | None = None) -> list[MonitoringPlan]:
    query = select(MonitoringPlan).where(MonitoringPlan.patient_id == patient_id)
    if doctor_id is not None:
        query = query.where(MonitoringPlan.doctor_id == doctor_id)
    return list(session.scalars(query.order_by(MonitoringPlan.start_date.desc(), MonitoringPlan.id.desc())))


def create_plan(
    session: Session, doctor: User, patient: User | None, *, title: str, start_date: date | None,
    end_date: date | None = None, invite_time: str = DEFAULT_INVITE_TIME, items: Iterable[Mapping[str, Any]] = (),
    ip: str = "",
) -> MonitoringPlan:
    if not doctor.has_role(roles.DOCTOR):
        raise Forbidden(N_("Only a doctor can set up monitoring."))
    if patient is None or not patient.has_role(roles.PATIENT):
        raise UserError(N_("There is no patient with this address."))
    title = (title or "").strip()[:200]
    if not title:
        raise UserError(N_("Give the plan a title."))
    if start_date is None:
        raise UserError(N_("Give the plan a start date."))
    if end_date is not None and end_date < start_date:
        raise UserError(N_("The plan cannot end before it starts."))
    if not HHMM.match(invite_time or ""):
        raise UserError(N_("The invitation time must look like 19:00."))
    plan = MonitoringPlan(doctor_id=doctor.id, patient_id=patient.id, title=title, start_date=start_date,
                          end_date=end_date, invite_time=invite_time, status=PLAN_ACTIVE, created_at=now())
    plan.items = [make_item(fields, position) for position, fields in enumerate(items)]
    session.add(plan)
    session.flush()
    audit.record(session, "monitoring_plan_created", actor_id=doctor.id, subject_id=patient.id, ip=ip,
                 object_type="monitoring_plan", object_id=plan.id, title=title)
    return plan


def add_item(session: Session, plan: MonitoringPlan, fields: Mapping[str, Any], *, actor_id: int, ip: str = "") -> PlanItem:
    item = make_item(fields, len(plan.items))
    plan.items.append(item)
    session.flush()
    audit.record(session, "monitoring_plan_changed", actor_id=actor_id, subject_id=plan.patient_id, ip=ip,
                 object_type="monitoring_plan", object_id=plan.id, added=item.title)
    return item


def remove_item(session: Session, plan: MonitoringPlan, item_id: int, *, actor_id: int, ip: str = "") -> None:
    """An item nobody answered yet is deleted; one with answers stays for the charts and the history
    but is no longer asked (its schedule is emptied: weekdays, with no day chosen)."""
    item = next((i for i in plan.items if i.id == item_id), None)
    if item is None:
        raise NotFound(N_("There is no such item."))
    from engine.monitoring.models import Answer

    if session.scalar(select(Answer.id).where(Answer.item_id == item.id).limit(1)) is None:
        plan.items.remove(item)
    else:
        item.period, item.weekdays = WEEKDAYS, ""
    session.flush()
    audit.record(session, "monitoring_plan_changed", actor_id=actor_id, subject_id=plan.patient_id, ip=ip,
                 object_type="monitoring_plan", object_id=plan.id, removed=item.title)


def change_invite_time(session: Session, plan: MonitoringPlan, invite_time: str, *, actor_id: int, ip: str = "") -> None:
    """The evening invitation moves to another time from the next dispatch on; days already opened keep
    their deadline (the patient was told it)."""
    invite_time = (invite_time or "").strip()
    if not HHMM.match(invite_time):
        raise UserError(N_("The invitation time must look like 19:00."))
    if plan.status != PLAN_ACTIVE:
        raise UserError(N_("This plan has ended and can no longer be changed."))
    if invite_time == plan.invite_time:
        return
    old, plan.invite_time = plan.invite_time, invite_time
    audit.record(session, "monitoring_plan_changed", actor_id=actor_id, subject_id=plan.patient_id, ip=ip,
                 object_type="monitoring_plan", object_id=plan.id, invite_time=f"{old} -> {invite_time}")


def end_plan(session: Session, plan: MonitoringPlan, *, actor_id: int, ip: str = "") -> None:
    plan.status = PLAN_ENDED
    audit.record(session, "monitoring_plan_changed", actor_id=actor_id, subject_id=plan.patient_id, ip=ip,
                 object_type="monitoring_plan", object_id=plan.id, ended=True)


# ---------------------------------------------------------------- items


def _number(fields: Mapping[str, Any], name: str) -> float | None:
    raw = fields.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        return float(str(raw).replace(",", "."))
    except ValueError:
        raise UserError(N_("%(field)s must be a number."), field=name) from None


def make_item(fields: Mapping[str, Any], position: int = 0) -> PlanItem:
    """A validated plan item from form or template fields; UserError says what is wrong."""
    kind = str(fields.get("kind") or "")
    if kind not in KINDS:
        raise UserError(N_("Choose what the item is: a measurement, a medication or a question."))
    time_of_day = str(fields.get("time_of_day") or WHOLE_DAY)
    if time_of_day not in TIMES_OF_DAY:
        raise UserError(N_("Choose a time of day."))
    period = str(fields.get("period") or DAILY)
    if period not in PERIODS:
        raise UserError(N_("Choose how often the item is due."))
    given_n = _number(fields, "every_n")
    every_n = 1 if given_n is None else int(given_n)
    if period == EVERY_N_DAYS and not 1 <= every_n <= MAX_EVERY_N:
        raise UserError(N_("“Every N days” needs N from 1 to %(max)s."), max=MAX_EVERY_N)
    days = fields.get("weekdays") or []
    if isinstance(days, str):
        days = [d for d in days.split(",") if d.strip()]
    try:
        weekdays = sorted({int(d) for d in days})
    except ValueError:
        raise UserError(N_("Choose the days of the week.")) from None
    if period == WEEKDAYS and (not weekdays or not all(0 <= d <= 6 for d in weekdays)):
        raise UserError(N_("Choose the days of the week."))
    item = PlanItem(kind=kind, position=position, time_of_day=time_of_day, period=period,
                    every_n=every_n if period == EVERY_N_DAYS else 1,
                    weekdays=",".join(map(str, weekdays)) if period == WEEKDAYS else "")
    title = str(fields.get("title") or "").strip()[:200]
    if kind == MEASUREMENT:
        _measurement(item, fields, title)
    elif kind == MEDICATION:
        if not title:
            raise UserError(N_("Name the medication."))
        item.title, item.dose = title, str(fields.get("dose") or "").strip()[:100]
    else:
        _question(item, fields, title)
    return item


def _measurement(item: PlanItem, fields: Mapping[str, Any], title: str) -> None:
    measure = catalog.measure(str(fields.get("code") or ""))
    if measure is None:
        raise UserError(N_("Choose a measurement."))
    item.code, item.unit, item.title = measure.code, measure.unit, title or measure.title
    valid_min, valid_max = _number(fields, "valid_min"), _number(fields, "valid_max")
    item.valid_min = measure.valid[0] if valid_min is None else valid_min
    item.valid_max = measure.valid[1] if valid_max is None else valid_max
    if item.valid_min >= item.valid_max:
        raise UserError(N_("The valid range of %(title)s is empty."), title=item.title)
    for low_name, high_name in (("alert_low", "alert_high"), ("alert_low2", "alert_high2")):
        low, high = _number(fields, low_name), _number(fields, high_name)
        if low is not None and high is not None and low >= high:
            raise UserError(N_("The lower alert threshold must be below the upper one."))
        setattr(item, low_name, low)
        setattr(item, high_name, high)
    if measure.code != catalog.BLOOD_PRESSURE:
        item.alert_low2 = item.alert_high2 = None


def _question(item: PlanItem, fields: Mapping[str, Any], title: str) -> None:
    if not title:
        raise UserError(N_("Write the question."))
    answer_type = str(fields.get("answer_type") or OPTIONS)
    if answer_type not in ANSWER_TYPES:
        raise UserError(N_("Choose how the question is answered."))
    options = fields.get("options") or []
    if isinstance(options, str):
        options = options.splitlines()
    options = [str(o).strip()[:100] for o in options if str(o).strip()]
    if answer_type == OPTIONS and not 2 <= len(options) <= MAX_OPTIONS:
        raise UserError(N_("A question with options needs 2 to %(max)s options, the first one meaning “normal”."),
                        max=MAX_OPTIONS)
    alert_from = _number(fields, "alert_from")
    limit = (len(options) - 1) if answer_type == OPTIONS else SLIDER_MAX
    if alert_from is not None and not 1 <= alert_from <= limit:
        raise UserError(N_("The alert level must be from 1 to %(max)s."), max=limit)
    item.title, item.answer_type = title, answer_type
    item.options = options if answer_type == OPTIONS else []
    item.alert_from = int(alert_from) if alert_from is not None else None
    # The question stays in the survey section below the time-of-day sections (R-MON-13); the time the
    # doctor chose ("in the evening, how ...?") is kept and shown with it, never silently replaced.
    if answer_type == SLIDER:
        item.options = []


def item_fields(item: PlanItem) -> dict[str, Any]:
    """The fields of an item as a template stores them (make_item reads them back)."""
    return {
        "kind": item.kind, "code": item.code, "title": item.title, "time_of_day": item.time_of_day,
        "period": item.period, "every_n": item.every_n, "weekdays": item.weekdays, "valid_min": item.valid_min,
        "valid_max": item.valid_max, "alert_low": item.alert_low, "alert_high": item.alert_high,
        "alert_low2": item.alert_low2, "alert_high2": item.alert_high2, "dose": item.dose,
        "answer_type": item.answer_type, "options": list(item.options or []), "alert_from": item.alert_from,
    }  # fmt: skip


# ---------------------------------------------------------------- templates


def save_template(session: Session, doctor_id: int, title: str, plan: MonitoringPlan) -> PlanTemplate:
    title = (title or "").strip()[:200]
    if not title:
        raise UserError(N_("Give the template a title."))
    if not plan.items:
        raise UserError(N_("The plan has no items to keep as a template."))
    template = PlanTemplate(doctor_id=doctor_id, title=title, items=[item_fields(i) for i in plan.items])
    session.add(template)
    session.flush()
    return template


def templates_for(session: Session, doctor_id: int) -> list[PlanTemplate]:
    """The shared templates and this doctor's own."""
    return list(session.scalars(
        select(PlanTemplate)
        .where((PlanTemplate.doctor_id.is_(None)) | (PlanTemplate.doctor_id == doctor_id))
        .order_by(PlanTemplate.doctor_id.is_(None).desc(), PlanTemplate.title)
    ))  # fmt: skip


def get_template(session: Session, template_id: int, doctor_id: int) -> PlanTemplate:
    template = session.get(PlanTemplate, template_id)
    if template is None or template.doctor_id not in (None, doctor_id):
        raise NotFound(N_("There is no such template."))
    return template
