"""Demo monitoring: a plan by doctor@example.org for patient@example.org with a few answered days (one
with blood pressure beyond the thresholds and its alert), and two shared templates.

Days are written directly (not through the pathway), as history; today's day is left to the dispatch. So
the past alert is a reviewed one: an open alert needs the doctor's review task, which only the pathway
creates, and the list's "Open alerts" counts what the doctor can act on."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts import service
from engine.clock import now
from engine.i18n import N_
from engine.monitoring import plans, questionnaires, schedule
from engine.monitoring.models import (
    ALERT_CLOSED,
    ANSWERED,
    MISSED,
    Alert,
    Answer,
    MonitoringPlan,
    PlanTemplate,
)

# Shared templates are stored in English and shown through the catalog (N_ puts them there).
TEMPLATES = {
    N_("Hypertension"): [
        {"kind": "measurement", "code": "bp", "time_of_day": "morning", "alert_high": 140, "alert_high2": 90},
        {"kind": "measurement", "code": "bp", "time_of_day": "evening", "alert_high": 140, "alert_high2": 90},
        {"kind": "measurement", "code": "pulse", "time_of_day": "morning", "alert_low": 50, "alert_high": 100},
        {"kind": "measurement", "code": "weight", "time_of_day": "day", "period": "every_n", "every_n": 2},
        {"kind": "question", "title": N_("Headache"), "answer_type": "slider", "alert_from": 7},
    ],
    N_("After chemotherapy"): [
        {"kind": "measurement", "code": "temperature", "time_of_day": "morning", "alert_high": 37.5},
        {"kind": "measurement", "code": "temperature", "time_of_day": "evening", "alert_high": 37.5},
        {"kind": "measurement", "code": "weight", "time_of_day": "day", "period": "every_n", "every_n": 2},
        {"kind": "question", "title": N_("Nausea"), "answer_type": "options",
         "options": [N_("No nausea"), N_("Mild nausea"), N_("Nausea with vomiting")], "alert_from": 2},
        {"kind": "question", "title": N_("Weakness"), "answer_type": "slider", "alert_from": 8},
    ],
}
DEMO_DAYS = 5


def ensure_templates(session: Session) -> None:
    existing = set(session.scalars(select(PlanTemplate.title).where(PlanTemplate.doctor_id.is_(None))))
    for title, items in TEMPLATES.items():
        if title not in existing:
            session.add(PlanTemplate(doctor_id=None, title=title, items=items))


def load_monitoring_demo(session: Session) -> MonitoringPlan | None:
    """Idempotent: does nothing when the demo doctor already monitors the demo patient. The caller commits."""
    ensure_templates(session)
    doctor = service.find_by_email(session, "doctor@example.org")
    patient = service.find_by_email(session, "patient@example.org")
    if doctor is None or patient is None:
        return None
    if session.scalar(select(MonitoringPlan.id).where(MonitoringPlan.doctor_id == doctor.id,
                                                      MonitoringPlan.patient_id == patient.id)):
        return None
    today = schedule.local_day(now(), patient.timezone)
    start = today - timedelta(days=DEMO_DAYS)
    items = [*TEMPLATES["Hypertension"][:1], *TEMPLATES["Hypertension"][3:],
             {"kind": "medication", "title": "Бисопролол", "dose": "5 мг", "time_of_day": "midday"}]
    plan = plans.create_plan(session, doctor, patient, title="Контроль давления", start_date=start, items=items)
    readings = [(128, 82, 1), (135, 86, 2), (0, 0, 0), (152, 94, 4), (131, 84, 1)]
    for offset, (systolic, diastolic, headache) in enumerate(readings):
        day = start + timedelta(days=offset)
        deadline = schedule.deadline(day, plan.invite_time, patient.timezone)
        q_id = questionnaires.open_day(session, patient.id, day, origin="schedule", deadline_at=deadline)
        q = session.get(questionnaires.Questionnaire, q_id)
        if not systolic:
            q.status = MISSED
            continue
        due = {i.code or i.title: i for i in schedule.due_items([plan], day)}
        bp, pain, pill = due["bp"], due["Headache"], due["Бисопролол"]
        beyond = systolic > 140 or diastolic > 90
        q.answers = [Answer(item_id=bp.id, value=systolic, value2=diastolic, beyond=beyond),
                     Answer(item_id=pain.id, choice=headache), Answer(item_id=pill.id, taken=offset != 3)]
        if "weight" in due:
            q.answers.append(Answer(item_id=due["weight"].id, value=72.4 - offset * 0.2))
        q.status, q.answered_at, q.comment = ANSWERED, now() - timedelta(days=DEMO_DAYS - offset), ""
        if beyond:
            q.comment = "Утром кружилась голова"
            session.add(Alert(doctor_id=doctor.id, patient_id=patient.id, questionnaire_id=q.id, day=day,
                              level="warning", reason="A value beyond your thresholds", status=ALERT_CLOSED,
                              closed_at=now(), closed_by=doctor.id, note="Reviewed",
                              values=[{"title": bp.title, "value": f"{systolic}/{diastolic} mmHg", "amount": f"{systolic}/{diastolic}",
                                       "unit": bp.unit, "low": "",
                                       "high": "140/90", "time_of_day": "morning", "beyond": True}]))
    session.flush()
    return plan
