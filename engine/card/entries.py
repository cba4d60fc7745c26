"""The entries of a patient card, gathered from each area's own tables and filtered by kind and period.

An entry names its object (`target`, `object_id`) so the web layer can link it to that object's own page;
the card itself never copies an area's rules of who may do what on that page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import icd10
from engine.conclusions.models import FAILED, Conclusion, ConsentDocument
from engine.consultations.models import Consultation
from engine.documents import service as documents
from engine.i18n import N_, UserError
from engine.monitoring.models import (
    ALERT_OPEN,
    ANSWERED,
    MEASUREMENT,
    Alert,
    Answer,
    MonitoringPlan,
    Questionnaire,
)
from engine.referrals.models import ReferralRow
from engine.registry.models import Ticket
from engine.rehab.models import RehabCourse

DIAGNOSIS = "diagnosis"
DOCUMENT = "document"
VISIT = "visit"
CONSULTATION = "consultation"
CONCLUSION = "conclusion"
CONSENT = "consent"
MONITORING = "monitoring"
ALERT = "alert"
REHAB = "rehab"
KINDS: dict[str, str] = {
    DIAGNOSIS: N_("Diagnoses"),
    DOCUMENT: N_("Documents"),
    VISIT: N_("Visits and tickets"),
    CONSULTATION: N_("Consultations"),
    CONCLUSION: N_("Signed conclusions"),
    CONSENT: N_("Consents"),
    MONITORING: N_("Monitoring plans"),
    ALERT: N_("Open alerts"),
    REHAB: N_("Rehabilitation courses"),
}


@dataclass(frozen=True)
class LatestValue:
    title: str
    value: float
    value2: float | None
    unit: str
    day: date


@dataclass
class Entry:
    kind: str
    at: datetime
    title: str
    detail: str = ""
    status: str = ""
    code: str = ""  # an ICD-10 code (diagnoses, conclusions)
    target: str = ""  # what kind of page the entry links to ("" = none)
    object_id: int = 0
    values: list[LatestValue] = field(default_factory=list)  # a monitoring plan's latest measurements
    row: Any = None  # the source row, for exports


def _moment(value: date | datetime | None) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value or date(1970, 1, 1), time(0), tzinfo=UTC)


def diagnoses(session: Session, patient_id: int, locale: str) -> list[Entry]:
    """Every diagnosis named for the patient (applications, referrals, conclusions), first mention of each code."""
    found: dict[str, Entry] = {}

    def add(code: str, text: str, at: Any, target: str, object_id: int, row: Any) -> None:
        try:
            code = icd10.normalize(code) if code else ""
        except UserError:  # a code as typed that is not shaped like one is shown as typed
            code = code.strip()
        if not code and not text:
            return
        key = code or text.strip().lower()
        entry = Entry(DIAGNOSIS, _moment(at), icd10.title(code, locale) or text, detail=text, code=code,
                      target=target, object_id=object_id, row=row)
        if key not in found or entry.at < found[key].at:
            found[key] = entry

    for c in session.scalars(select(Consultation).where(Consultation.patient_id == patient_id)):
        add(c.diagnosis_code, c.diagnosis_text, c.created_at, CONSULTATION, c.id, c)
    for r in session.scalars(select(ReferralRow).where(ReferralRow.patient_id == patient_id)):
        values = r.values or {}
        add(str(values.get("diagnosis_code", "")), str(values.get("diagnosis_text", "")),
            r.start_requested_at, "", 0, r)
    for d in session.scalars(select(Conclusion).where(Conclusion.patient_id == patient_id, Conclusion.status != FAILED)):
        add(d.diagnosis_code, d.diagnosis_text, d.created_at, CONCLUSION, d.id, d)
    return list(found.values())


def _documents(session: Session, patient_id: int) -> list[Entry]:
    # Conclusions and consents are listed as such, with their signing facts, not twice as files.
    return [Entry(DOCUMENT, _moment(d.created_at), d.filename, detail=d.purpose, status=d.status,
                  target=DOCUMENT, object_id=d.id, row=d)
            for d in documents.for_patient(session, patient_id) if d.purpose not in (CONCLUSION, CONSENT)]


def _visits(session: Session, patient_id: int) -> list[Entry]:
    online = set(session.scalars(select(Consultation.ticket_id).where(
        Consultation.patient_id == patient_id, Consultation.ticket_id.is_not(None))))
    rows = session.scalars(select(Ticket).where(Ticket.user_id == patient_id).order_by(Ticket.starts_at))
    return [Entry(VISIT, _moment(t.starts_at), t.number or "", status=t.status, target=VISIT, object_id=t.id, row=t)
            for t in rows if t.id not in online]


def _consultations(session: Session, patient_id: int) -> list[Entry]:
    rows = session.scalars(select(Consultation).where(Consultation.patient_id == patient_id))
    return [Entry(CONSULTATION, _moment(c.starts_at or c.created_at), c.route, detail=c.diagnosis_text,
                  status=c.status, code=c.diagnosis_code, target=CONSULTATION, object_id=c.id, row=c) for c in rows]


def _signed(session: Session, patient_id: int) -> list[Entry]:
    entries = [Entry(CONCLUSION, _moment(c.created_at), c.diagnosis_text, code=c.diagnosis_code, status=c.status,
                     target=CONCLUSION if c.document_id else "", object_id=c.document_id or 0, row=c)
               for c in session.scalars(select(Conclusion).where(Conclusion.patient_id == patient_id,
                                                                 Conclusion.status != FAILED))]
    entries += [Entry(CONSENT, _moment(c.accepted_at), c.kind, detail=c.version, status=c.status,
                      target=CONSENT if c.document_id else "", object_id=c.document_id or 0, row=c)
                for c in session.scalars(select(ConsentDocument).where(ConsentDocument.patient_id == patient_id,
                                                                       ConsentDocument.status != FAILED))]
    return entries


def latest_values(session: Session, plan: MonitoringPlan) -> list[LatestValue]:
    """The newest answered value of each measurement of the plan."""
    measurements = {i.id: i for i in plan.items if i.kind == MEASUREMENT}
    if not measurements:
        return []
    rows = session.execute(
        select(Answer, Questionnaire.day).join(Questionnaire, Questionnaire.id == Answer.questionnaire_id)
        .where(Answer.item_id.in_(measurements), Questionnaire.status == ANSWERED, Answer.value.is_not(None))
        .order_by(Questionnaire.day.desc())
    )  # fmt: skip
    latest: dict[int, LatestValue] = {}
    for answer, day in rows:
        item = measurements[answer.item_id]
        latest.setdefault(item.id, LatestValue(item.title, answer.value, answer.value2, item.unit, day))
    return [latest[i] for i in measurements if i in latest]


def _monitoring(session: Session, patient_id: int) -> list[Entry]:
    entries = [Entry(MONITORING, _moment(p.start_date), p.title, status=p.status, target=MONITORING,
                     object_id=p.id, values=latest_values(session, p), row=p)
               for p in session.scalars(select(MonitoringPlan).where(MonitoringPlan.patient_id == patient_id))]
    entries += [Entry(ALERT, _moment(a.created_at), a.reason, detail=a.level, status=a.status, target=ALERT,
                      object_id=a.id, row=a)
                for a in session.scalars(select(Alert).where(Alert.patient_id == patient_id, Alert.status == ALERT_OPEN))]
    return entries


def _rehab(session: Session, patient_id: int) -> list[Entry]:
    rows = session.scalars(select(RehabCourse).where(RehabCourse.patient_id == patient_id))
    return [Entry(REHAB, _moment(c.created_at), c.title, status=c.status, target=REHAB, object_id=c.id, row=c)
            for c in rows]


def collect(session: Session, patient_id: int, *, locale: str = "ru", kinds: set[str] | None = None,
            since: date | None = None, until: date | None = None) -> list[Entry]:
    """The card's entries of the given kinds (all when None) dated within [since, until], newest first."""
    gatherers = {
        DIAGNOSIS: lambda: diagnoses(session, patient_id, locale), DOCUMENT: lambda: _documents(session, patient_id),
        VISIT: lambda: _visits(session, patient_id), CONSULTATION: lambda: _consultations(session, patient_id),
        CONCLUSION: lambda: _signed(session, patient_id), MONITORING: lambda: _monitoring(session, patient_id),
        REHAB: lambda: _rehab(session, patient_id),
    }  # fmt: skip
    wanted = set(KINDS) if not kinds else kinds
    # Conclusions and consents come from one query, as do plans and alerts.
    needed = {CONCLUSION if k == CONSENT else MONITORING if k == ALERT else k for k in wanted}
    entries = [e for k in needed for e in gatherers[k]() if e.kind in wanted]
    if since is not None:
        entries = [e for e in entries if e.at.date() >= since]
    if until is not None:
        entries = [e for e in entries if e.at.date() <= until]
    return sorted(entries, key=lambda e: (e.at, e.kind, e.object_id), reverse=True)
