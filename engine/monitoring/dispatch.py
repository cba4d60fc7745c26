"""The evening dispatch: which patients are due an invitation now; opening their days and inviting them.

Run every few minutes (workflows/monitoring.py). For each time zone its patients live in, a patient is
due when an active plan of theirs has reached its invitation time today (local), the day has something
due, and the day has no questionnaire yet.

The dispatch works on sets, not on instances: per chunk of due patients one transaction inserts the
days' questionnaires (unique per patient and day, ON CONFLICT DO NOTHING) and queues one invitation per
newly opened day (dedupe key monitoring:<patient>:<date>). Running it twice, or two dispatchers at once,
opens and sends nothing twice. Starting a `monitoring_cycle` instance per patient-day here cost 25-40 ms
each (minutes for ten thousand patients, most of whom answer later or not at all), so the day's
instance starts when the patient opens the questionnaire (engine.monitoring.answering) and takes the
opened day over; a day never opened is marked missed by `sweep_missed` at its deadline, which the
instance's own deadline timer does for a day that was opened.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, sessionmaker

from engine import outbox
from engine.accounts.models import User
from engine.clock import now
from engine.config import LOCALES
from engine.db import transaction
from engine.monitoring import questionnaires, schedule
from engine.monitoring.models import FROM_SCHEDULE, PLAN_ACTIVE, MonitoringPlan, PlanItem, Questionnaire
from engine.monitoring.plans import DEFAULT_INVITE_TIME
from engine.workflow import ConnectorRegistry, start_instance

MODEL_ID = "monitoring_cycle"
INVITATION_KIND = "monitoring_invitation"
# Patients per transaction: one chunk's plans, days and invitations are written together, so a dispatch
# that stops half-way has opened and invited whole chunks, and the next run carries on with the rest.
CHUNK = 500


@dataclass(frozen=True)
class DueDay:
    patient_id: int
    day: date


@dataclass
class DispatchReport:
    due: int = 0
    started: int = 0  # days opened by this run
    invited: int = 0  # invitations queued by this run
    missed: int = 0  # unopened days marked missed by this run
    errors: list[str] = field(default_factory=list)


def invitation_key(patient_id: int, day: date) -> str:
    """At most one invitation per patient and day, whoever sends it (R-MON-05)."""
    return f"monitoring:{patient_id}:{day.isoformat()}"


def day_link(base_url: str, day: date) -> str:
    return f"{base_url.rstrip('/')}/monitoring/days/{day.isoformat()}"


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


def invitation_context(
    patient: Any, day: date, locale: str, items: Sequence[PlanItem], doctor_names: dict[int, str], base_url: str,
) -> dict[str, Any]:
    """The invitation's template context: one email for the day covering every doctor's plan."""
    sections, survey = questionnaires.sections(list(items))
    doctors = sorted({i.plan.doctor_id for i in items})
    return {
        "name": patient.first_name, "day": _long_date(day, locale), "link": day_link(base_url, day),
        "doctors": [doctor_names[d] for d in doctors if d in doctor_names],
        "sections": [{"title": s.title, "items": [i.title for i in s.items]} for s in sections],
        "questions": len(survey),
    }  # fmt: skip


_DATES: dict[tuple[date, str], str] = {}


def _long_date(day: date, locale: str) -> str:
    # Babel's formatting costs more than everything else per invitation; one day, two locales.
    key = (day, locale)
    if key not in _DATES:
        if len(_DATES) > 1000:
            _DATES.clear()
        _DATES[key] = format_date(day, "long", locale=locale)
    return _DATES[key]


def open_days(session: Session, due: Sequence[DueDay], *, base_url: str) -> tuple[int, int]:
    """Open the days of `due` (patients of one chunk) and queue their invitations, in the caller's
    transaction. Returns (days opened, invitations queued); days opened meanwhile are skipped."""
    ids = sorted({d.patient_id for d in due})
    people = {row.id: row for row in session.execute(
        select(User.id, User.email, User.first_name, User.locale, User.timezone, User.notify_email)
        .where(User.id.in_(ids)))}  # fmt: skip
    plans: dict[int, list[MonitoringPlan]] = defaultdict(list)
    for plan in session.scalars(
        select(MonitoringPlan).where(MonitoringPlan.patient_id.in_(ids), MonitoringPlan.status == PLAN_ACTIVE)
        .order_by(MonitoringPlan.patient_id, MonitoringPlan.id)
    ):  # fmt: skip
        plans[plan.patient_id].append(plan)
    opened_at = now()
    rows, items_of = [], {}
    for entry in due:
        patient = people.get(entry.patient_id)
        active = [p for p in plans.get(entry.patient_id, []) if p.active_on(entry.day)]
        items = schedule.due_items(active, entry.day)
        if patient is None or not items:
            continue
        # Answerable until the next day's invitation time (the earliest of the plans), then missed.
        deadline = schedule.deadline(entry.day, schedule.invite_time(active, DEFAULT_INVITE_TIME), patient.timezone)
        rows.append({"patient_id": entry.patient_id, "day": entry.day, "deadline_at": deadline})
        items_of[(entry.patient_id, entry.day)] = items
    opened = questionnaires.open_days(session, rows, origin=FROM_SCHEDULE, opened_at=opened_at)
    doctors = sorted({i.plan.doctor_id for key in opened for i in items_of[key]})
    names = {row.id: " ".join(p for p in (row.last_name, row.first_name, row.patronymic) if p) for row in
             session.execute(select(User.id, User.last_name, User.first_name, User.patronymic)
                             .where(User.id.in_(doctors)))} if doctors else {}  # fmt: skip
    messages = []
    for patient_id, day in opened:
        patient = people[patient_id]
        if not patient.notify_email or not patient.email:
            continue
        locale = patient.locale if patient.locale in LOCALES else LOCALES[0]
        messages.append({
            "kind": INVITATION_KIND, "to": patient.email, "user_id": patient_id, "locale": locale,
            "dedupe_key": invitation_key(patient_id, day),
            "context": invitation_context(patient, day, locale, items_of[(patient_id, day)], names, base_url),
        })  # fmt: skip
    return len(opened), outbox.enqueue_many(session, messages)


def _chunks(due: Sequence[DueDay], size: int) -> Iterator[Sequence[DueDay]]:
    for start in range(0, len(due), size):
        yield due[start : start + size]


def sweep_missed(session_factory: sessionmaker[Session], moment: datetime | None = None) -> int:
    """Days whose deadline has passed without the patient ever opening them are missed."""
    with transaction(session_factory) as session:
        return questionnaires.mark_unopened_missed(session, moment or now())


def start_day(
    session_factory: sessionmaker[Session], patient_id: int, day: date, *, base_url: str,
    connectors: ConnectorRegistry | None, origin: str = FROM_SCHEDULE,
) -> int:
    """Start the day's pathway: it takes over the day the dispatch opened, or opens it (cabinet)."""
    data: dict[str, Any] = {"day": day.isoformat(), "origin": origin, "base_url": base_url, "answers": None,
                            "comment": "", "document_ids": [], "note": ""}
    return start_instance(session_factory, MODEL_ID, None, data=data, patient_id=patient_id, connectors=connectors)


def dispatch_evening(
    session_factory: sessionmaker[Session], *, base_url: str, connectors: ConnectorRegistry | None = None,
    moment: datetime | None = None,
) -> DispatchReport:
    """Mark yesterday's unopened days missed, then open and invite every day now due. `connectors` is
    unused since the instances start later; kept so callers need not know."""
    moment = moment or now()
    report = DispatchReport(missed=sweep_missed(session_factory, moment))
    with session_factory() as session:
        due = due_days(session, moment)
    report.due = len(due)
    for chunk in _chunks(due, CHUNK):
        try:
            with transaction(session_factory) as session:
                opened, invited = open_days(session, chunk, base_url=base_url)
        except Exception as exc:  # one bad chunk must not keep the other patients from their invitation
            report.errors.append(f"patients {chunk[0].patient_id}..{chunk[-1].patient_id}: {exc!r}")
            continue
        report.started += opened
        report.invited += invited
    return report
