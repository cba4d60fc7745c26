"""Issue 16: a patient corrects a day's answers until the doctor has reviewed them, and the answers they
replace are kept. Through the engine: the correction ends the reviews waiting on the old answers and
runs the alert rules on the new ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.i18n import Conflict, UserError
from engine.monitoring import answering, questionnaires
from engine.monitoring.models import ALERT_CLOSED, ALERT_OPEN, Alert, AnswerRevision, Questionnaire
from engine.workflow import Actor, complete_task, inbox
from tests.monitoring.conftest import BASE_URL, BP_MORNING, START, make_plan


def _bp(sessions, q_id: int, upper, lower) -> dict:
    with sessions() as session:
        [item] = questionnaires.items_of(session, session.get(Questionnaire, q_id))
        return {"answers": {str(item.id): {"value": upper, "value2": lower}}, "comment": f"{upper}/{lower}"}


def _alerts(sessions) -> list[tuple[str, str]]:
    with sessions() as session:
        return [(a.status, a.values[0]["value"]) for a in session.scalars(select(Alert).order_by(Alert.id))]


def _reviews(sessions, doctor: Actor) -> list:
    with sessions() as session:
        return [t for t in inbox(session, doctor) if t.title == "Review the monitoring alert"]


def test_a_patient_corrects_a_day_until_the_doctor_reviews_it_and_every_version_is_kept(
        world, sessions, connectors, clock):
    make_plan(sessions, world.doctor.id, world.patient.id, [BP_MORNING])
    patient = Actor(world.patient.id, frozenset({"patient"}))
    doctor = Actor(world.doctor.id, frozenset({"doctor"}))
    q = answering.open_from_cabinet(sessions, world.patient.id, "Europe/Moscow", START, base_url=BASE_URL,
                                    connectors=connectors)
    # Swapped values are refused, in the patient's words, and nothing is recorded.
    with pytest.raises(UserError, match=r"upper value \(80\) must be higher than the lower one \(120\)"):
        answering.send(sessions, patient, q.id, _bp(sessions, q.id, 80, 120), connectors=connectors)
    answering.send(sessions, patient, q.id, _bp(sessions, q.id, 150, 95), connectors=connectors)
    assert _alerts(sessions) == [(ALERT_OPEN, "150/95 mmHg")]
    assert len(_reviews(sessions, doctor)) == 1

    # 1. Corrected to normal values: the alert and its review task are gone, the first answers kept.
    clock.advance(minutes=20)
    with pytest.raises(UserError, match="upper value"):
        answering.correct(sessions, patient, q.id, _bp(sessions, q.id, 85, 130), connectors=connectors)
    answering.correct(sessions, patient, q.id, _bp(sessions, q.id, 130, 85), connectors=connectors)
    assert _alerts(sessions) == [(ALERT_CLOSED, "150/95 mmHg")]
    assert _reviews(sessions, doctor) == []
    # 2. Corrected again, now beyond the thresholds: the rules raise a new alert for the doctor.
    clock.advance(minutes=20)
    answering.correct(sessions, patient, q.id, _bp(sessions, q.id, 165, 100), connectors=connectors)
    assert _alerts(sessions) == [(ALERT_CLOSED, "150/95 mmHg"), (ALERT_OPEN, "165/100 mmHg")]
    [review] = _reviews(sessions, doctor)

    with sessions() as session:
        day = session.get(Questionnaire, q.id)
        assert [(a.value, a.value2) for a in day.answers] == [(165, 100)] and day.comment == "165/100"
        revisions = session.scalars(select(AnswerRevision).where(AnswerRevision.questionnaire_id == q.id)
                                    .order_by(AnswerRevision.id)).all()
        assert [(r.answers[0]["value"], r.answers[0]["value2"], r.comment) for r in revisions] == [
            (150, 95, "150/95"), (130, 85, "130/85")]
        # Each version says when it was sent and when it was replaced (20 minutes apart on the test clock).
        sent_first = revisions[0].answered_at
        assert [(r.answered_at - sent_first, r.revised_at - sent_first) for r in revisions] == [
            (timedelta(0), timedelta(minutes=20)), (timedelta(minutes=20), timedelta(minutes=40))]
        superseded = session.scalars(select(Alert).where(Alert.status == ALERT_CLOSED)).one()
        assert superseded.closed_by is None and "superseded" in superseded.note

    # 3. The doctor reviews it: from now on the day can no longer be corrected, and nothing changes.
    complete_task(sessions, doctor, review.instance_id, review.task_guid, {"action": "contacted", "note": "called"},
                  connectors=connectors)
    with pytest.raises(Conflict, match="already reviewed"):
        answering.correct(sessions, patient, q.id, _bp(sessions, q.id, 120, 80), connectors=connectors)
    with sessions() as session:
        assert [(a.value, a.value2) for a in session.get(Questionnaire, q.id).answers] == [(165, 100)]
        assert len(session.scalars(select(AnswerRevision)).all()) == 2
    # Another patient cannot touch the day at all.
    with pytest.raises(UserError):
        answering.correct(sessions, Actor(world.other_patient.id, frozenset({"patient"})), q.id,
                          _bp(sessions, q.id, 120, 80), connectors=connectors)
