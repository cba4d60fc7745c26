"""Alerts for doctors, and the doctor's list of monitored patients sorted by them (one SQL query)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Integer, Select, bindparam, case, func, select
from sqlalchemy.orm import Session

from engine import outbox
from engine.accounts.models import User
from engine.clock import as_utc, now
from engine.config import LOCALES
from engine.i18n import N_, NotFound
from engine.monitoring import schedule
from engine.monitoring.models import (
    ALERT_CLOSED,
    ALERT_OPEN,
    ANSWERED,
    PLAN_ACTIVE,
    Alert,
    MonitoringPlan,
    Questionnaire,
)

ALERT_KIND = "monitoring_alert"


def raise_alerts(
    session: Session, questionnaire: Questionnaire, *, level: str, reason: str, facts: Mapping[str, Any],
    link_base: str = "",
) -> list[int]:
    """One open alert per concerned doctor (those whose items gave the notable values; every doctor of
    the day's plans when the rule looked at the whole picture), each emailed once. Returns doctor ids."""
    per_doctor: Mapping[str, list[dict[str, Any]]] = facts.get("doctors") or {}
    doctors = sorted(int(d) for d in per_doctor)
    if not doctors:
        doctors = sorted({p.doctor_id for p in schedule.active_plans(session, questionnaire.patient_id, questionnaire.day)})
    patient = session.get(User, questionnaire.patient_id)
    for doctor_id in doctors:
        values = list(per_doctor.get(str(doctor_id)) or [])
        alert = Alert(doctor_id=doctor_id, patient_id=questionnaire.patient_id, questionnaire_id=questionnaire.id,
                      day=questionnaire.day, level=level[:10], reason=reason[:200], values=values,
                      status=ALERT_OPEN, created_at=now())
        session.add(alert)
        doctor = session.get(User, doctor_id)
        if doctor is not None and doctor.notify_email and doctor.email and patient is not None:
            outbox.enqueue(
                session, kind=ALERT_KIND, to=doctor.email, user_id=doctor.id,
                locale=doctor.locale if doctor.locale in LOCALES else LOCALES[0],
                dedupe_key=f"monitoring-alert:{questionnaire.id}:{doctor_id}",
                context={"name": doctor.first_name, "patient": patient.full_name, "day": questionnaire.day.isoformat(),
                         "reason": reason, "values": [_mailed(v) for v in values],
                         "link": f"{link_base}/monitoring/patients/{patient.id}" if link_base else ""},
            )  # fmt: skip
    session.flush()
    return doctors


def _mailed(value: Mapping[str, Any]) -> dict[str, Any]:
    """A value as the alert mail shows it: the amount as text ("71.6", written «71,6» for a Russian
    reader) and the unit as a msgid ("mmHg"), both rendered in the doctor's language by the mail."""
    shown = {"title": value["title"], "value": value["value"]}
    if value.get("unit"):
        shown.update(amount=value.get("amount") or "", unit=value["unit"])
    return shown


def close_alerts(session: Session, questionnaire_id: int, doctor_id: int, note: str = "") -> int:
    """The doctor reviewed the alert task: their alerts of that questionnaire are closed."""
    alerts = session.scalars(
        select(Alert).where(Alert.questionnaire_id == questionnaire_id, Alert.doctor_id == doctor_id,
                            Alert.status == ALERT_OPEN)
    ).all()
    for alert in alerts:
        alert.status, alert.closed_at, alert.closed_by, alert.note = ALERT_CLOSED, now(), doctor_id, note[:2000]
    questionnaire = session.get(Questionnaire, questionnaire_id)
    if questionnaire is not None and questionnaire.reviewed_at is None:
        # Reviewed: from now on the patient can no longer correct the day's answers.
        questionnaire.reviewed_at, questionnaire.reviewed_by = now(), doctor_id
    return len(alerts)


def alerts_for(session: Session, doctor_id: int, patient_id: int, limit: int = 50) -> list[Alert]:
    return list(session.scalars(
        select(Alert).where(Alert.doctor_id == doctor_id, Alert.patient_id == patient_id)
        .order_by((Alert.status == ALERT_OPEN).desc(), Alert.created_at.desc()).limit(limit)
    ))  # fmt: skip


def get_alert(session: Session, alert_id: int, doctor_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None or alert.doctor_id != doctor_id:
        raise NotFound(N_("There is no such alert."))
    return alert


class MonitoredPatient(NamedTuple):
    # A tuple, not a dataclass: the full list of a busy doctor is thousands of rows.
    patient_id: int
    name: str
    email: str
    open_alerts: int
    last_alert_at: datetime | None
    last_answered: date | None
    active: bool


@cache
def _monitored_query(paged: bool) -> Select[Any]:
    """Built once per shape, with the doctor (and page) as bound parameters: building and caching the
    statement on every call allocated more than the query returned for a small list."""
    doctor_id = bindparam("doctor_id", type_=Integer)
    plans = (
        select(MonitoringPlan.patient_id.label("patient_id"),
               func.max(case((MonitoringPlan.status == PLAN_ACTIVE, 1), else_=0)).label("active"))
        .where(MonitoringPlan.doctor_id == doctor_id).group_by(MonitoringPlan.patient_id).subquery()
    )  # fmt: skip
    alerts = (
        select(Alert.patient_id.label("patient_id"), func.count().label("open_alerts"),
               func.max(Alert.created_at).label("last_alert_at"))
        .where(Alert.doctor_id == doctor_id, Alert.status == ALERT_OPEN).group_by(Alert.patient_id).subquery()
    )  # fmt: skip
    last_answered = (
        select(func.max(Questionnaire.day))
        .where(Questionnaire.patient_id == plans.c.patient_id, Questionnaire.status == ANSWERED)
        .correlate(plans).scalar_subquery()
    )  # fmt: skip
    open_count = func.coalesce(alerts.c.open_alerts, 0)
    query = (
        select(User.id, User.last_name, User.first_name, User.patronymic, User.email, open_count.label("open_alerts"),
               alerts.c.last_alert_at, last_answered.label("last_answered"), plans.c.active)
        .select_from(plans).join(User, User.id == plans.c.patient_id)
        .outerjoin(alerts, alerts.c.patient_id == plans.c.patient_id)
        .order_by(open_count.desc(), alerts.c.last_alert_at.desc(), User.last_name, User.first_name, User.id)
    )  # fmt: skip
    if paged:
        query = query.limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))
    return query


def monitored_patients(session: Session, doctor_id: int, limit: int | None = None, offset: int = 0) -> list[MonitoredPatient]:
    """The doctor's patients: open alerts first (most, then newest), then by name. One query, driven by
    the doctor's plans: covering indexes for plans (doctor, patient, status) and open alerts (doctor,
    status, patient, created_at), and each patient's last answered day is an index lookup on (patient,
    status, day) rather than a pass over every questionnaire."""
    paged = limit is not None or offset > 0
    params = {"doctor_id": doctor_id, "limit": 2**31 - 1 if limit is None else limit, "offset": offset}
    # Core rather than ORM execution, rows unpacked as they come: for two thousand rows the per-row
    # Python work costs more than the query. Not .all(): a list of every Row outlives several young
    # garbage collections, gets promoted, and soon pays for a full collection of the whole heap.
    rows = session.connection().execute(_monitored_query(paged), params if paged else {"doctor_id": doctor_id})
    return [
        MonitoredPatient(pid, " ".join(filter(None, (last, first, patronymic))), email, open_alerts or 0,
                         as_utc(last_alert_at) if last_alert_at else None, last_answered, bool(active))
        for pid, last, first, patronymic, email, open_alerts, last_alert_at, last_answered, active in rows
    ]  # fmt: skip


def monitored_count(session: Session, doctor_id: int) -> int:
    return session.scalar(
        select(func.count(func.distinct(MonitoringPlan.patient_id))).where(MonitoringPlan.doctor_id == doctor_id)
    ) or 0
