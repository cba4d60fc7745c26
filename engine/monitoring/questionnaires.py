"""A patient's day: opening its questionnaire, the form's sections, checking and recording the answers,
the facts the alert rules (DMN) decide on, and marking a day missed.

Answers arrive as plain JSON (`{"answers": {"<item id>": {...}}, "comment": ..., "document_ids": [...]}`),
the same shape the questionnaire page posts through the BPMN user task, so the engine step that
completes the task also records them: a questionnaire is answered exactly when its task is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.clock import now
from engine.i18n import N_, Conflict, NotFound, UserError
from engine.monitoring import catalog, schedule
from engine.monitoring.models import (
    ALERT_CLOSED,
    ALERT_OPEN,
    ANSWERED,
    EVENING,
    MEASUREMENT,
    MEDICATION,
    MIDDAY,
    MISSED,
    MORNING,
    OPTIONS,
    QUESTION,
    SENT,
    SLIDER_MAX,
    WHOLE_DAY,
    Alert,
    Answer,
    AnswerRevision,
    PlanItem,
    Questionnaire,
    QuestionnaireFile,
)

SECTION_TITLES = {
    MORNING: N_("Morning (about 9:00)"),
    MIDDAY: N_("Midday (about 14:00)"),
    EVENING: N_("Evening (about 20:00)"),
    WHOLE_DAY: N_("Whole day"),
}
SURVEY_TITLE = N_("How you felt today")
COMMENT_LIMIT = 4000
SUPERSEDED_NOTE = "superseded by the patient's correction"
MAX_FILES = 5
# An answer from this level (0..10) up counts as "worse than usual" for the rules' combinations.
MODERATE_LEVEL = 5


@dataclass
class Section:
    key: str
    title: str  # N_ msgid
    items: list[PlanItem] = field(default_factory=list)


def open_day(
    session: Session, patient_id: int, day: date, *, origin: str, deadline_at: datetime,
    instance_id: int | None = None,
) -> int | None:
    """Insert the day's questionnaire; None if the day already has one (a second dispatcher, or the
    patient opened it from the cabinet first). The unique (patient, day) settles races in the database."""
    values = dict(patient_id=patient_id, day=day, status=SENT, origin=origin, instance_id=instance_id,
                  opened_at=now(), deadline_at=deadline_at, comment="")
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Questionnaire).values(**values).on_conflict_do_nothing(
        index_elements=[Questionnaire.patient_id, Questionnaire.day]
    )
    return session.scalar(statement.returning(Questionnaire.id))


def open_days(
    session: Session, rows: list[dict[str, Any]], *, origin: str, opened_at: datetime,
) -> list[tuple[int, date]]:
    """Insert many days' questionnaires (patient_id, day, deadline_at each) without an instance yet;
    returns the (patient, day) pairs inserted, leaving out days that already had one."""
    if not rows:
        return []
    table = Questionnaire.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(table).on_conflict_do_nothing(index_elements=[table.c.patient_id, table.c.day])
        .returning(table.c.patient_id, table.c.day)
    )  # fmt: skip
    values = [dict(row, status=SENT, origin=origin, instance_id=None, opened_at=opened_at, comment="")
              for row in rows]  # fmt: skip
    # executemany with RETURNING: SQLAlchemy sends it as multi-row INSERTs ("insertmanyvalues").
    return [(r.patient_id, r.day) for r in session.execute(statement, values)]


def take_over(session: Session, patient_id: int, day: date, instance_id: int) -> tuple[int, datetime] | None:
    """The day's instance claims a day the dispatch opened (still open, no instance): (id, deadline).
    The row's update settles two instances starting at once: the second finds nothing to claim."""
    row = session.execute(
        update(Questionnaire)
        .where(Questionnaire.patient_id == patient_id, Questionnaire.day == day, Questionnaire.status == SENT,
               Questionnaire.instance_id.is_(None))
        .values(instance_id=instance_id)
        .returning(Questionnaire.id, Questionnaire.deadline_at)
        .execution_options(synchronize_session=False)
    ).first()  # fmt: skip
    return (row.id, row.deadline_at) if row is not None else None


def mark_unopened_missed(session: Session, moment: datetime, questionnaire_id: int | None = None) -> int:
    """Days past their deadline that no instance ever took over are missed (one UPDATE for all of them;
    a day with an instance is marked by the instance's deadline timer)."""
    statement = (
        update(Questionnaire)
        .where(Questionnaire.status == SENT, Questionnaire.deadline_at <= moment, Questionnaire.instance_id.is_(None))
        .values(status=MISSED)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    if questionnaire_id is not None:
        statement = statement.where(Questionnaire.id == questionnaire_id)
    return session.execute(statement).rowcount or 0


def get_for_patient(session: Session, patient_id: int, day: date) -> Questionnaire | None:
    return session.scalar(select(Questionnaire).where(Questionnaire.patient_id == patient_id, Questionnaire.day == day))


def get_own(session: Session, questionnaire_id: int, patient_id: int) -> Questionnaire:
    questionnaire = session.get(Questionnaire, questionnaire_id)
    if questionnaire is None or questionnaire.patient_id != patient_id:
        raise NotFound(N_("There is no such questionnaire."))
    return questionnaire


def items_of(session: Session, questionnaire: Questionnaire) -> list[PlanItem]:
    """The items of that day as the plans schedule them, plus any item already answered."""
    items = schedule.due_for_patient(session, questionnaire.patient_id, questionnaire.day)
    known = {i.id for i in items}
    answered = [a.item_id for a in questionnaire.answers if a.item_id not in known]
    if answered:
        items += list(session.scalars(select(PlanItem).where(PlanItem.id.in_(answered))))
    return items


def sections(items: list[PlanItem]) -> tuple[list[Section], list[PlanItem]]:
    """Time-of-day sections with measurements and medications (only those that have items, R-MON-11),
    and the survey questions, which come after them (R-MON-13)."""
    by_key = {key: Section(key, title) for key, title in SECTION_TITLES.items()}
    survey: list[PlanItem] = []
    for item in items:
        if item.kind == QUESTION:
            survey.append(item)
        else:
            by_key[item.time_of_day if item.time_of_day in by_key else WHOLE_DAY].items.append(item)
    return [s for s in by_key.values() if s.items], survey


# ---------------------------------------------------------------- checking answers


def _fmt(value: float | None) -> str:
    if value is None:
        return "…"
    return f"{value:g}"


def _number(raw: Any, item: PlanItem) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise UserError(N_("%(title)s: enter a number."), title=item.title)
    try:
        return float(str(raw).replace(",", ".").strip())
    except ValueError:
        raise UserError(N_("%(title)s: enter a number."), title=item.title) from None


def _in_range(item: PlanItem, value: float | None, bounds: tuple[float | None, float | None], unit: str) -> None:
    low, high = bounds
    if value is None:
        return
    if (low is not None and value < low) or (high is not None and value > high):
        raise UserError(N_("%(title)s: %(value)s is outside the valid range %(low)s–%(high)s %(unit)s."),
                        title=item.title, value=_fmt(value), low=_fmt(low), high=_fmt(high), unit=unit)


def check_answers(items: list[PlanItem], raw: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
    """Clean answers per item id; UserError (with the valid range) for the first impossible value.
    Unanswered measurements and medications are simply absent; survey answers default to "normal" (0)."""
    if not isinstance(raw, Mapping):
        raise UserError(N_("The answers could not be read."))
    clean: dict[int, dict[str, Any]] = {}
    for item in items:
        given = raw.get(str(item.id)) or {}
        if not isinstance(given, Mapping):
            raise UserError(N_("The answers could not be read."))
        if item.kind == MEASUREMENT:
            value, value2 = _number(given.get("value"), item), _number(given.get("value2"), item)
            measure = catalog.measure(item.code)
            _in_range(item, value, (item.valid_min, item.valid_max), item.unit)
            if measure is not None and measure.valid2 is not None:
                _in_range(item, value2, measure.valid2, item.unit)
                if (value is None) != (value2 is None):
                    raise UserError(N_("%(title)s: enter both values, e.g. 120 and 80."), title=item.title)
                if value is not None and value2 is not None and value <= value2:
                    # 80/120 is two numbers swapped, never a pressure: the upper (systolic) is the higher.
                    raise UserError(N_("%(title)s: the upper value (%(upper)s) must be higher than the lower one "
                                       "(%(lower)s), e.g. 120/80."), title=item.title, upper=_fmt(value),
                                    lower=_fmt(value2))
            if value is not None:
                clean[item.id] = {"value": value, "value2": value2}
        elif item.kind == MEDICATION:
            taken = given.get("taken")
            if taken in (True, False):
                clean[item.id] = {"taken": taken}
            elif taken not in (None, ""):
                raise UserError(N_("%(title)s: say whether you took it."), title=item.title)
        else:
            choice = _number(given.get("choice", 0), item) or 0
            limit = (len(item.options) - 1) if item.answer_type == OPTIONS else SLIDER_MAX
            if choice != int(choice) or not 0 <= choice <= limit:
                raise UserError(N_("%(title)s: choose one of the answers."), title=item.title)
            clean[item.id] = {"choice": int(choice)}
    return clean


def beyond_thresholds(item: PlanItem, values: Mapping[str, Any]) -> bool:
    if item.kind == MEASUREMENT:
        pairs = ((values.get("value"), item.alert_low, item.alert_high),
                 (values.get("value2"), item.alert_low2, item.alert_high2))
        return any(v is not None and ((lo is not None and v < lo) or (hi is not None and v > hi)) for v, lo, hi in pairs)
    if item.kind == QUESTION:
        return item.alert_from is not None and (values.get("choice") or 0) >= item.alert_from
    return False


def level(item: PlanItem, choice: int | None) -> int:
    """A survey answer on one 0 (normal) .. 10 scale, whatever its type."""
    if not choice:
        return 0
    if item.answer_type == OPTIONS:
        return round(choice * SLIDER_MAX / max(len(item.options) - 1, 1))
    return int(choice)


# ---------------------------------------------------------------- recording


def record(
    session: Session, questionnaire: Questionnaire, payload: Mapping[str, Any], *, actor_id: int,
) -> dict[int, dict[str, Any]]:
    """Store the answers of a questionnaire still open; a sent questionnaire changes only by `correct`."""
    if questionnaire.status != SENT:
        raise Conflict(N_("This questionnaire was already sent and can no longer be changed."))
    clean = _store(session, questionnaire, payload, actor_id)
    questionnaire.status = ANSWERED
    session.flush()
    return clean


def check_correctable(questionnaire: Questionnaire) -> None:
    """A day's answers may be corrected once sent, until a doctor has reviewed them."""
    if questionnaire.status != ANSWERED:
        raise Conflict(N_("Only a questionnaire already sent can be corrected."))
    if questionnaire.reviewed_at is not None:
        raise Conflict(N_("Your doctor has already reviewed this day; its answers can no longer be changed."))


def correct(
    session: Session, questionnaire: Questionnaire, payload: Mapping[str, Any], *, actor_id: int,
) -> dict[int, dict[str, Any]]:
    """Replace a sent day's answers, keeping the ones they replace (AnswerRevision). The day's alerts
    still open are closed as superseded: the rules run again on the corrected answers."""
    check_correctable(questionnaire)
    session.add(AnswerRevision(
        questionnaire_id=questionnaire.id, answered_at=questionnaire.answered_at, revised_at=now(),
        revised_by=actor_id, comment=questionnaire.comment,
        answers=[{"item_id": a.item_id, "value": a.value, "value2": a.value2, "choice": a.choice, "taken": a.taken}
                 for a in sorted(questionnaire.answers, key=lambda a: a.item_id)],
    ))  # fmt: skip
    for alert in session.scalars(select(Alert).where(Alert.questionnaire_id == questionnaire.id,
                                                     Alert.status == ALERT_OPEN)):
        alert.status, alert.closed_at, alert.note = ALERT_CLOSED, now(), SUPERSEDED_NOTE
    questionnaire.answers.clear()
    session.flush()  # the old answers go before the new ones arrive (unique per questionnaire and item)
    clean = _store(session, questionnaire, payload, actor_id, keep_files=True)
    session.flush()
    return clean


def mark_reviewed(session: Session, questionnaire: Questionnaire, doctor_id: int) -> None:
    if questionnaire.reviewed_at is None:
        questionnaire.reviewed_at, questionnaire.reviewed_by = now(), doctor_id


def _store(session: Session, questionnaire: Questionnaire, payload: Mapping[str, Any], actor_id: int, *,
           keep_files: bool = False) -> dict[int, dict[str, Any]]:
    items = items_of(session, questionnaire)
    clean = check_answers(items, payload.get("answers") or {})
    by_id = {i.id: i for i in items}
    questionnaire.answers = [
        Answer(item_id=item_id, value=v.get("value"), value2=v.get("value2"), choice=v.get("choice"),
               taken=v.get("taken"), beyond=beyond_thresholds(by_id[item_id], v))
        for item_id, v in clean.items()
    ]  # fmt: skip
    questionnaire.comment = str(payload.get("comment") or "").strip()[:COMMENT_LIMIT]
    _attach(session, questionnaire, payload.get("document_ids") or [], actor_id, keep=keep_files)
    questionnaire.answered_at = now()
    return clean


def _attach(session: Session, questionnaire: Questionnaire, document_ids: Any, actor_id: int, *,
            keep: bool = False) -> None:
    from engine.documents import service as documents

    ids = [int(d) for d in document_ids if str(d).isdigit()][:MAX_FILES]
    if not ids:
        return
    # The patient's own drafts only; submitting makes them immutable, and the monitoring doctors may read them.
    docs = documents.submit(session, ids, user_id=actor_id, reference=f"monitoring:{questionnaire.id}")
    doctors = {p.doctor_id for p in schedule.active_plans(session, questionnaire.patient_id, questionnaire.day)}
    for doctor_id in doctors:
        documents.grant(session, [d.id for d in docs], doctor_id, reason="monitoring")
    kept = list(questionnaire.files) if keep else []
    questionnaire.files = kept + [QuestionnaireFile(document_id=d.id) for d in docs]


def mark_missed(session: Session, questionnaire_id: int) -> bool:
    questionnaire = session.get(Questionnaire, questionnaire_id)
    if questionnaire is None or questionnaire.status != SENT:
        return False
    questionnaire.status = MISSED
    return True


# ---------------------------------------------------------------- facts for the rules


def describe(item: PlanItem, answer: Answer) -> dict[str, Any]:
    """One value as the alert task and email show it."""
    if item.kind == MEASUREMENT:
        shown = _fmt(answer.value) + (f"/{_fmt(answer.value2)}" if answer.value2 is not None else "")
        low = "/".join(_fmt(v) for v in (item.alert_low, item.alert_low2) if v is not None)
        high = "/".join(_fmt(v) for v in (item.alert_high, item.alert_high2) if v is not None)
        # "value" keeps the unit for readers of older data; "amount" and "unit" (a msgid) let a page or
        # message show the unit in the reader's language.
        return {"item_id": item.id, "title": item.title, "value": f"{shown} {item.unit}".strip(), "amount": shown,
                "unit": item.unit, "time_of_day": item.time_of_day, "low": low, "high": high,
                "beyond": answer.beyond}
    if item.kind == MEDICATION:
        return {"item_id": item.id, "title": item.title, "value": "taken" if answer.taken else "not taken",
                "time_of_day": item.time_of_day, "low": "", "high": "", "beyond": False}
    choice = answer.choice or 0
    shown = item.options[choice] if item.options and choice < len(item.options) else f"{choice}/{SLIDER_MAX}"
    return {"item_id": item.id, "title": item.title, "value": shown, "time_of_day": WHOLE_DAY, "low": "",
            "high": "", "beyond": answer.beyond}


def assess(session: Session, questionnaire: Questionnaire) -> dict[str, Any]:
    """What the DMN decides on (all plans together), and per doctor the values that concern them."""
    items = {i.id: i for i in items_of(session, questionnaire)}
    facts = {"beyond": 0, "survey_alerts": 0, "survey_max": 0, "survey_moderate": 0, "medications_missed": 0}
    flagged: dict[int, list[dict[str, Any]]] = {}
    for answer in questionnaire.answers:
        item = items.get(answer.item_id)
        if item is None:
            continue
        notable = answer.beyond
        if item.kind == MEASUREMENT:
            facts["beyond"] += answer.beyond
        elif item.kind == MEDICATION:
            missed = answer.taken is False
            facts["medications_missed"] += missed
            notable = missed
        else:
            answer_level = level(item, answer.choice)
            facts["survey_alerts"] += answer.beyond
            facts["survey_max"] = max(facts["survey_max"], answer_level)
            facts["survey_moderate"] += answer_level >= MODERATE_LEVEL
            notable = notable or answer_level >= MODERATE_LEVEL
        if notable:
            flagged.setdefault(item.plan.doctor_id, []).append(describe(item, answer))
    facts["doctors"] = {str(doctor): values for doctor, values in flagged.items()}
    return facts
