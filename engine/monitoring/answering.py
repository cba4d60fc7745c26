"""The patient's side: opening a day (the one the evening dispatch opened, whose `monitoring_cycle`
instance starts now, or today outside the schedule, R-MON-07) and sending the answers, which completes
the day's `answer` user task through the engine (the step records them, see connectors.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import now
from engine.db import transaction
from engine.i18n import N_, Conflict, NotFound, UserError
from engine.monitoring import dispatch, questionnaires, schedule
from engine.monitoring.models import CORRECTION, FROM_CABINET, SENT, Questionnaire
from engine.workflow import Actor, ConnectorRegistry, complete_task, correlate_message, start_instance
from engine.workflow.models import PendingTask

ANSWER_TASK = "answer"  # the BPMN element id of the questionnaire user task
CORRECTED_MESSAGE = "monitoring_day_corrected"  # ends the reviews of the answers a correction replaces


def answerable_today(session: Session, patient_id: int, timezone: str | None) -> date | None:
    """Today (patient's zone), when something is due today."""
    today = schedule.local_day(now(), timezone)
    return today if schedule.due_for_patient(session, patient_id, today) else None


def open_from_cabinet(
    session_factory: sessionmaker[Session], patient_id: int, timezone: str | None, day: date, *,
    base_url: str, connectors: ConnectorRegistry | None,
) -> Questionnaire:
    """The day's questionnaire, ready to answer: a day the dispatch opened gets its instance now, and
    today is opened now if it has items (no invitation then)."""
    with session_factory() as session:
        existing = questionnaires.get_for_patient(session, patient_id, day)
        if existing is not None and not _needs_instance(existing):
            session.expunge(existing)
            return existing
        if existing is None:
            if day != schedule.local_day(now(), timezone):
                raise NotFound(N_("There is no questionnaire for this day."))
            if not schedule.due_for_patient(session, patient_id, day):
                raise NotFound(N_("Nothing is assigned for this day."))
    if existing is not None and existing.deadline_at <= now():
        # Over, but the dispatch has not swept it yet: missed now rather than opened for a moment.
        with transaction(session_factory) as session:
            questionnaires.mark_unopened_missed(session, now(), existing.id)
    else:
        origin = existing.origin if existing is not None else FROM_CABINET
        dispatch.start_day(session_factory, patient_id, day, base_url=base_url, connectors=connectors, origin=origin)
    with session_factory() as session:
        opened = questionnaires.get_for_patient(session, patient_id, day)
        if opened is None:  # pragma: no cover - the instance failed before opening the day
            raise NotFound(N_("There is no questionnaire for this day."))
        session.expunge(opened)
        return opened


def _needs_instance(questionnaire: Questionnaire) -> bool:
    return questionnaire.status == SENT and questionnaire.instance_id is None


def pending_answer(session: Session, questionnaire: Questionnaire) -> PendingTask | None:
    if questionnaire.instance_id is None:
        return None
    return session.scalar(
        select(PendingTask).where(PendingTask.instance_id == questionnaire.instance_id,
                                  PendingTask.task_name == ANSWER_TASK)
    )  # fmt: skip


def send(
    session_factory: sessionmaker[Session], actor: Actor, questionnaire_id: int, payload: Mapping[str, Any], *,
    connectors: ConnectorRegistry | None, base_url: str = "",
) -> str:
    """Check the answers (UserError with the valid range), then complete the task. Returns the status."""
    with session_factory() as session:
        questionnaire = questionnaires.get_own(session, questionnaire_id, actor.user_id)
        unstarted = _needs_instance(questionnaire)
    if unstarted:  # answered without the page having been opened (the page starts the instance)
        open_from_cabinet(session_factory, questionnaire.patient_id, None, questionnaire.day, base_url=base_url,
                          connectors=connectors)
    with session_factory() as session:
        questionnaire = questionnaires.get_own(session, questionnaire_id, actor.user_id)
        if questionnaire.status != SENT:
            raise Conflict(N_("This questionnaire was already sent and can no longer be changed."))
        items = questionnaires.items_of(session, questionnaire)
        clean = questionnaires.check_answers(items, payload.get("answers") or {})
        comment = str(payload.get("comment") or "")
        if len(comment) > questionnaires.COMMENT_LIMIT:
            raise UserError(N_("The comment is longer than %(max)s characters."), max=questionnaires.COMMENT_LIMIT)
        pending = pending_answer(session, questionnaire)
        if pending is None:
            raise Conflict(N_("This questionnaire can no longer be answered."))
        instance_id, task_guid = pending.instance_id, pending.task_guid
    data = {"answers": {str(k): v for k, v in clean.items()}, "comment": comment,
            "document_ids": [int(d) for d in payload.get("document_ids") or []]}
    return complete_task(session_factory, actor, instance_id, task_guid, data, connectors=connectors)


def correct(
    session_factory: sessionmaker[Session], actor: Actor, questionnaire_id: int, payload: Mapping[str, Any], *,
    connectors: ConnectorRegistry | None, base_url: str = "",
) -> int:
    """Correct a sent day's answers until a doctor has reviewed them: the reviews still waiting on the
    old answers end (message), and a day's instance of origin "correction" records the new answers,
    keeping the old ones, and runs the alert rules on them. Returns that instance's id."""
    with session_factory() as session:
        questionnaire = questionnaires.get_own(session, questionnaire_id, actor.user_id)
        questionnaires.check_correctable(questionnaire)
        items = questionnaires.items_of(session, questionnaire)
        clean = questionnaires.check_answers(items, payload.get("answers") or {})
        comment = str(payload.get("comment") or "")
        if len(comment) > questionnaires.COMMENT_LIMIT:
            raise UserError(N_("The comment is longer than %(max)s characters."), max=questionnaires.COMMENT_LIMIT)
        day, patient_id = questionnaire.day, questionnaire.patient_id
    # The BPMN reads the correlation as day_opened["questionnaire_id"], from the waiting task's data and
    # from the message alike, so the message carries it in that shape too.
    correlate_message(session_factory, CORRECTED_MESSAGE, {"questionnaire_id": questionnaire_id},
                      payload={"day_opened": {"questionnaire_id": questionnaire_id}}, connectors=connectors)
    data = {"day": day.isoformat(), "origin": CORRECTION, "base_url": base_url, "note": "",
            "answers": {str(k): v for k, v in clean.items()}, "comment": comment,
            "document_ids": [int(d) for d in payload.get("document_ids") or []]}
    # Started by the platform, as the evening dispatch starts a day: the patient acts through this function.
    return start_instance(session_factory, dispatch.MODEL_ID, None, data=data, patient_id=patient_id,
                          connectors=connectors)
