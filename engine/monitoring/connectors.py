"""Service-task operators of the `monitoring_cycle` pathway (workflows/bpmn/monitoring_cycle/).

Each runs inside the engine step's transaction and only writes rows (questionnaire, answers, alerts,
outbox): the step that completes the patient's questionnaire task also records the answers, so the
two can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import outbox
from engine.accounts.models import User
from engine.clock import as_utc
from engine.config import LOCALES
from engine.monitoring import alerts, dispatch, questionnaires, schedule
from engine.monitoring.models import CORRECTION, FROM_SCHEDULE, Questionnaire
from engine.monitoring.plans import DEFAULT_INVITE_TIME
from engine.workflow.connectors import ConnectorRegistry, InstanceContext, Sample


def _patient(session: Session, context: InstanceContext) -> Any:
    # Plain columns, not the ORM account with its roles: every day of every patient starts with this.
    row = session.execute(
        select(User.id, User.email, User.first_name, User.locale, User.timezone, User.notify_email)
        .where(User.id == int(context.patient_id or context.data.get("patient_id") or 0))
    ).first()
    if row is None:
        raise LookupError("monitoring: the instance has no patient")
    return row


def _questionnaire(session: Session, params: Mapping[str, Any]) -> Questionnaire:
    questionnaire = session.get(Questionnaire, int(params["questionnaire_id"]))
    if questionnaire is None:
        raise LookupError(f"monitoring: no questionnaire {params['questionnaire_id']}")
    return questionnaire


def open_day(session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
    """Take over the day the evening dispatch opened, or open it (the patient's cabinet before the
    evening); `opened` False when another instance holds the day or it is over."""
    patient = _patient(session, context)
    day = date.fromisoformat(str(params["day"]))
    if params.get("origin") == CORRECTION:
        # A correction of a day already sent: this instance records the new answers and runs the rules.
        found = questionnaires.get_for_patient(session, patient.id, day)
        if found is None:
            raise LookupError(f"monitoring: no questionnaire on {day} to correct")
        questionnaires.check_correctable(found)
        return {"opened": False, "correction": True, "questionnaire_id": found.id, "day": day.isoformat(),
                "deadline": as_utc(found.deadline_at).isoformat()}
    taken = questionnaires.take_over(session, patient.id, day, context.instance_id)
    if taken is not None:
        questionnaire_id, deadline = taken
        return {"opened": True, "questionnaire_id": questionnaire_id, "day": day.isoformat(),
                "deadline": as_utc(deadline).isoformat()}
    plans = schedule.active_plans(session, patient.id, day)
    deadline = schedule.deadline(day, schedule.invite_time(plans, DEFAULT_INVITE_TIME), patient.timezone)
    new_id = questionnaires.open_day(session, patient.id, day, origin=str(params.get("origin") or FROM_SCHEDULE),
                                     deadline_at=deadline, instance_id=context.instance_id)
    return {"opened": new_id is not None, "questionnaire_id": new_id, "day": day.isoformat(),
            "deadline": deadline.isoformat()}


def invite(session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
    """The invitation from inside an instance: only versions of the pathway deployed before the dispatch
    invited in bulk have this step; kept so their instances can still be retried."""
    patient = _patient(session, context)
    if not patient.notify_email:
        return {"queued": False}
    day = date.fromisoformat(str(params["day"]))
    locale = patient.locale if patient.locale in LOCALES else LOCALES[0]
    items = schedule.due_for_patient(session, patient.id, day)  # a new day has no answers yet
    doctors = sorted({i.plan.doctor_id for i in items})
    names = {row.id: " ".join(p for p in (row.last_name, row.first_name, row.patronymic) if p) for row in
             session.execute(select(User.id, User.last_name, User.first_name, User.patronymic)
                             .where(User.id.in_(doctors)))}  # fmt: skip
    message = outbox.enqueue(
        session, kind=dispatch.INVITATION_KIND, to=patient.email, user_id=patient.id, locale=locale,
        dedupe_key=dispatch.invitation_key(patient.id, day),
        context=dispatch.invitation_context(patient, day, locale, items, names, str(params.get("base_url") or "")),
    )  # fmt: skip
    return {"queued": message is not None}


def record(session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
    questionnaire = _questionnaire(session, params)
    if params.get("answers") is None:
        return {"recorded": False}  # completed elsewhere than on the questionnaire page: ask again
    payload = {"answers": params.get("answers") or {}, "comment": params.get("comment") or "",
               "document_ids": params.get("document_ids") or []}
    if params.get("correction"):
        questionnaires.correct(session, questionnaire, payload, actor_id=questionnaire.patient_id)
    else:
        questionnaires.record(session, questionnaire, payload, actor_id=questionnaire.patient_id)
    return {"recorded": True, **questionnaires.assess(session, questionnaire)}


def raise_alert(session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
    questionnaire = _questionnaire(session, params)
    facts = params.get("facts") or {}
    doctors = alerts.raise_alerts(session, questionnaire, level=str(params.get("level") or "warning"),
                                  reason=str(params.get("reason") or ""), facts=facts,
                                  link_base=str(params.get("base_url") or ""))
    patient = session.get(User, questionnaire.patient_id)
    return {"doctor_ids": doctors, "patient": patient.full_name if patient else "",
            "day": questionnaire.day.isoformat(), "values": dict(facts.get("doctors") or {}),
            "comment": questionnaire.comment or ""}  # what the patient wrote reaches the reviewing doctor


def close_alert(session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
    closed = alerts.close_alerts(session, int(params["questionnaire_id"]), int(params["doctor_id"]),
                                 str(params.get("note") or ""))
    return {"closed": closed}


def mark_missed(session: Session, context: InstanceContext, params: dict[str, Any]) -> Mapping[str, Any]:
    return {"missed": questionnaires.mark_missed(session, int(params["questionnaire_id"]))}


OPERATORS = {
    "monitoring_open_day": open_day,
    "monitoring_invite": invite,
    "monitoring_record": record,
    "monitoring_raise_alert": raise_alert,
    "monitoring_close_alert": close_alert,
    "monitoring_mark_missed": mark_missed,
}


# The usual result of each operator, offered by the studio's test run (see ConnectorRegistry.register):
# a day opened and answered within the targets, so no alert (the analyst may edit the facts to see one).
SAMPLES: dict[str, Sample] = {
    "monitoring_open_day": lambda at: {"opened": True, "questionnaire_id": 1, "day": at.date().isoformat(),
                                       "deadline": (at + timedelta(hours=12)).isoformat()},
    "monitoring_invite": {"queued": True},
    "monitoring_record": {"recorded": True, "beyond": 0, "survey_alerts": 0, "survey_max": 0, "survey_moderate": 0,
                          "medications_missed": 0, "doctors": {}},
    "monitoring_raise_alert": lambda at: {"doctor_ids": [2], "patient": "Sample Patient", "day": at.date().isoformat(),
                                          "values": {}},
    "monitoring_close_alert": {"closed": 1},
    "monitoring_mark_missed": {"missed": True},
}


def register(registry: ConnectorRegistry) -> None:
    for name, operator in OPERATORS.items():
        registry.register(name, operator, sample=SAMPLES[name])
