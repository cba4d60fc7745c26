"""A patient's monitoring history as the doctor's page and the exports read it: days with their status,
answers joined to their items, measurement series per item, medication adherence."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.documents.models import Document
from engine.monitoring.models import (
    MEASUREMENT,
    MEDICATION,
    QUESTION,
    Answer,
    MonitoringPlan,
    PlanItem,
    Questionnaire,
    QuestionnaireFile,
)


@dataclass
class Series:
    item: PlanItem
    points: list[tuple[date, float, float | None]] = field(default_factory=list)


@dataclass
class History:
    days: list[Questionnaire]
    items: dict[int, PlanItem]
    answers: dict[int, dict[int, Answer]]  # questionnaire id -> item id -> answer
    files: dict[int, list[Document]]

    def series(self) -> list[Series]:
        by_item: dict[int, Series] = {}
        for q in sorted(self.days, key=lambda d: d.day):
            for item_id, answer in self.answers.get(q.id, {}).items():
                item = self.items.get(item_id)
                if item is None or item.kind != MEASUREMENT or answer.value is None:
                    continue
                by_item.setdefault(item_id, Series(item)).points.append((q.day, answer.value, answer.value2))
        return list(by_item.values())

    def adherence(self) -> list[dict[str, Any]]:
        counts: dict[int, dict[str, int]] = defaultdict(lambda: {"taken": 0, "not_taken": 0})
        for q in self.days:
            for item_id, answer in self.answers.get(q.id, {}).items():
                item = self.items.get(item_id)
                if item is not None and item.kind == MEDICATION and answer.taken is not None:
                    counts[item_id]["taken" if answer.taken else "not_taken"] += 1
        return [{"item": self.items[i], **c, "share": c["taken"] / max(c["taken"] + c["not_taken"], 1)}
                for i, c in counts.items()]

    def questions(self) -> list[PlanItem]:
        return [i for i in self.items.values() if i.kind == QUESTION]


def load(session: Session, patient_id: int, since: date | None = None, until: date | None = None,
         doctor_id: int | None = None) -> History:
    """Days of the patient (newest first); with doctor_id, only that doctor's items (and their answers)."""
    query = select(Questionnaire).where(Questionnaire.patient_id == patient_id)
    if since is not None:
        query = query.where(Questionnaire.day >= since)
    if until is not None:
        query = query.where(Questionnaire.day <= until)
    days = list(session.scalars(query.order_by(Questionnaire.day.desc())))
    item_query = select(PlanItem).join(MonitoringPlan).where(MonitoringPlan.patient_id == patient_id)
    if doctor_id is not None:
        item_query = item_query.where(MonitoringPlan.doctor_id == doctor_id)
    items = {i.id: i for i in session.scalars(item_query.order_by(PlanItem.plan_id, PlanItem.position))}
    answers = {q.id: {a.item_id: a for a in q.answers if a.item_id in items} for q in days}
    files: dict[int, list[Document]] = defaultdict(list)
    if days:
        rows = session.execute(
            select(QuestionnaireFile.questionnaire_id, Document)
            .join(Document, Document.id == QuestionnaireFile.document_id)
            .where(QuestionnaireFile.questionnaire_id.in_([q.id for q in days]))
        ).all()  # fmt: skip
        for questionnaire_id, document in rows:
            files[questionnaire_id].append(document)
    return History(days, items, answers, dict(files))
