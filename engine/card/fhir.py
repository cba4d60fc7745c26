"""The patient card as a FHIR R4 `collection` Bundle: Patient; a Condition per diagnosis (ICD-10);
DocumentReferences for documents and signed consents; Appointments for tickets and consultations with a
time, and Encounters for those that took place; a DiagnosticReport per conclusion with the signed PDF
attached; the monitoring Questionnaires, QuestionnaireResponses and LOINC Observations
(engine.monitoring.fhir); and a CarePlan per monitoring plan and per rehab course.

Links and file access are the caller's: `url(kind, id)` gives an object's page as an absolute URL, and a
signed PDF is embedded only when `readable(document)` says the person exporting may read it (else its
URL is given)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import icd10
from engine.accounts.models import User
from engine.card import entries as card
from engine.conclusions.models import RENDERED, Conclusion, ConsentDocument
from engine.consultations import models as consultations
from engine.consultations.models import Consultation
from engine.documents.models import Document
from engine.documents.storage import FileStore
from engine.fhir_ids import collection, ref, rid
from engine.monitoring import catalog, history
from engine.monitoring import fhir as monitoring_fhir
from engine.monitoring.models import MEASUREMENT, PLAN_ACTIVE, MonitoringPlan
from engine.registry import models as registry
from engine.registry.models import Ticket
from engine.rehab import courses as rehab
from engine.rehab import models as rehab_models
from engine.rehab.models import RehabCourse

ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = monitoring_fhir.LOINC
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONSULT_NOTE = {"coding": [{"system": LOINC, "code": "11488-4", "display": "Consult note"}]}
CONSENT_DOCUMENT = {"coding": [{"system": LOINC, "code": "59284-0", "display": "Consent Document"}]}
TICKET_STATUS = {registry.T_HELD: "pending", registry.T_CONFIRMED: "booked", registry.T_CANCELLED: "cancelled",
                 registry.T_ANNULLED: "cancelled", registry.T_VISITED: "fulfilled", registry.T_MISSED: "noshow"}
CONSULTATION_STATUS = {
    consultations.AWAITING_DOCUMENTS: "proposed", consultations.UNDER_REVIEW: "proposed",
    consultations.MORE_DOCUMENTS: "proposed", consultations.SCHEDULED: "booked", consultations.DECLINED: "cancelled",
    consultations.CANCELLED: "cancelled", consultations.HELD: "fulfilled", consultations.MISSED: "noshow",
}  # fmt: skip
# FHIR's rule app-3: only these Appointments may lack a time.
UNTIMED_APPOINTMENT = ("proposed", "cancelled")
COURSE_STATUS = {rehab_models.OPEN: "active", rehab_models.COMPLETED: "completed", rehab_models.CANCELLED: "revoked"}
SEAT_STATUS = {rehab_models.ATTENDED: "completed", rehab_models.MISSED: "not-started"}

Url = Callable[[str, int], str]


def _icd10(code: str, text: str, locale: str) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": text or icd10.title(code, locale) or code}
    if code:
        concept["coding"] = [{"system": ICD10, "code": code, **({"display": t} if (t := icd10.title(code, locale)) else {})}]
    return concept


def _when(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _doctor(names: dict[int, str], user_id: int | None) -> dict[str, str]:
    return {"display": names.get(user_id or 0, "")} if names.get(user_id or 0) else {}


def _conditions(session: Session, patient_id: int, locale: str) -> list[dict[str, Any]]:
    return [{"resourceType": "Condition", "id": rid("Condition", f"{patient_id}:{e.code or e.title}"),
             "code": _icd10(e.code, e.detail, locale), "subject": ref("Patient", patient_id),
             "recordedDate": e.at.isoformat()}
            for e in card.diagnoses(session, patient_id, locale)]


def _document_reference(kind: str, document: Document, patient_id: int, url: Url, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "DocumentReference", "id": rid("DocumentReference", document.id), "status": "current",
            "subject": ref("Patient", patient_id), "date": document.created_at.isoformat(),
            "description": document.filename,
            "content": [{"attachment": {"contentType": document.content_type, "title": document.filename,
                                        "size": document.size, "url": url(kind, document.id)}}], **extra}


def _documents(session: Session, patient_id: int, url: Url) -> list[dict[str, Any]]:
    found = [_document_reference(card.DOCUMENT, e.row, patient_id, url)
             for e in card.collect(session, patient_id, kinds={card.DOCUMENT})]
    for consent in session.scalars(select(ConsentDocument).where(
            ConsentDocument.patient_id == patient_id, ConsentDocument.status == RENDERED)):
        document = session.get(Document, consent.document_id)
        if document is not None:
            found.append(_document_reference(card.CONSENT, document, patient_id, url, type=CONSENT_DOCUMENT))
    return found


def _appointment(key: str, status: str, start: datetime | None, end: datetime | None, patient_id: int,
                 doctor: dict[str, str], **extra: Any) -> dict[str, Any] | None:
    if start is None and status not in UNTIMED_APPOINTMENT:
        return None
    participants = [{"actor": ref("Patient", patient_id), "status": "accepted"}]
    if doctor:
        participants.append({"actor": doctor, "status": "accepted"})
    return {"resourceType": "Appointment", "id": rid("Appointment", key), "status": status,
            **({"start": start.isoformat(), "end": (end or start).isoformat()} if start else {}),
            "participant": participants, **extra}


def _encounter(key: str, appointment: dict[str, Any] | None, class_code: str, start: datetime | None,
               end: datetime | None, patient_id: int, doctor: dict[str, str], **extra: Any) -> dict[str, Any]:
    encounter: dict[str, Any] = {
        "resourceType": "Encounter", "id": rid("Encounter", key), "status": "finished",
        "class": {"system": ACT_CODE, "code": class_code}, "subject": ref("Patient", patient_id), **extra}
    if appointment is not None:
        encounter["appointment"] = [{"reference": f"urn:uuid:{appointment['id']}"}]
    if start is not None:
        encounter["period"] = {"start": start.isoformat(), "end": (end or start).isoformat()}
    if doctor:
        encounter["participant"] = [{"individual": doctor}]
    return encounter


def _visits(session: Session, patient_id: int, names: dict[int, str], doctor_users: dict[int, int | None],
            locale: str) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Appointments and Encounters; and the Encounter id of each held consultation (for its conclusion)."""
    found: list[dict[str, Any]] = []
    encounters: dict[int, str] = {}
    for e in card.collect(session, patient_id, kinds={card.VISIT}):
        ticket: Ticket = e.row
        doctor = _doctor(names, doctor_users.get(ticket.doctor_id))
        appointment = _appointment(f"ticket:{ticket.id}", TICKET_STATUS.get(ticket.status, "booked"),
                                   ticket.starts_at, ticket.ends_at, patient_id, doctor)
        if appointment:
            found.append(appointment)
        if ticket.status == registry.T_VISITED:
            found.append(_encounter(f"ticket:{ticket.id}", appointment, "AMB", ticket.starts_at, ticket.ends_at,
                                    patient_id, doctor))
    for e in card.collect(session, patient_id, kinds={card.CONSULTATION}):
        c: Consultation = e.row
        doctor = _doctor(names, c.doctor_user_id)
        reason = {"reasonCode": [_icd10(c.diagnosis_code, c.diagnosis_text, locale)]} if c.diagnosis_code else {}
        appointment = _appointment(f"consultation:{c.id}", CONSULTATION_STATUS.get(c.status, "proposed"),
                                   c.starts_at, c.ends_at, patient_id, doctor, **reason)
        if appointment:
            found.append(appointment)
        if c.status == consultations.HELD:
            encounter = _encounter(f"consultation:{c.id}", appointment, "VR", c.starts_at, c.ends_at, patient_id,
                                   doctor, **reason)
            encounters[c.id] = encounter["id"]
            found.append(encounter)
    return found, encounters


def _reports(session: Session, patient_id: int, names: dict[int, str], encounters: dict[int, str], url: Url,
             store: Callable[[str], FileStore], readable: Callable[[Document], bool], locale: str) -> list[dict[str, Any]]:
    found = []
    for e in card.collect(session, patient_id, kinds={card.CONCLUSION}):
        c: Conclusion = e.row
        report: dict[str, Any] = {
            "resourceType": "DiagnosticReport", "id": rid("DiagnosticReport", c.id),
            "status": "final" if c.status == RENDERED else "preliminary", "code": CONSULT_NOTE,
            "subject": ref("Patient", patient_id), "effectiveDateTime": c.created_at.isoformat(),
            "issued": (c.rendered_at or c.created_at).isoformat(),
            "conclusion": "\n\n".join(p for p in (c.findings, c.recommendations, c.follow_up) if p),
            "conclusionCode": [_icd10(c.diagnosis_code, c.diagnosis_text, locale)],
            **({"performer": [_doctor(names, c.doctor_id)]} if _doctor(names, c.doctor_id) else {}),
        }  # fmt: skip
        consultation_id = c.reference.removeprefix("consultation:")
        if consultation_id.isdigit() and int(consultation_id) in encounters:
            report["encounter"] = {"reference": f"urn:uuid:{encounters[int(consultation_id)]}"}
        document = session.get(Document, c.document_id) if c.document_id else None
        if document is not None:
            attachment: dict[str, Any] = {"contentType": "application/pdf", "title": document.filename,
                                          "url": url(card.CONCLUSION, document.id)}
            if readable(document):
                attachment["data"] = base64.b64encode(store(document.purpose).read(document.storage_key)).decode()
            report["presentedForm"] = [attachment]
        found.append(report)
    return found


def _monitoring(session: Session, patient: User, names: dict[int, str]) -> list[dict[str, Any]]:
    plans = list(session.scalars(select(MonitoringPlan).where(MonitoringPlan.patient_id == patient.id)
                                 .order_by(MonitoringPlan.id)))
    found = monitoring_fhir.resources(patient, history.load(session, patient.id), plans)
    for plan in plans:
        activities = []
        for item in plan.items:
            measure = catalog.measure(item.code) if item.kind == MEASUREMENT else None
            code = ({"coding": [{"system": LOINC, "code": measure.loinc, "display": measure.loinc_display}],
                     "text": item.title} if measure else {"text": item.title})
            activities.append({"detail": {"code": code, "description": item.title,
                                          "status": "in-progress" if plan.status == PLAN_ACTIVE else "completed"}})
        found.append({
            "resourceType": "CarePlan", "id": rid("CarePlan", f"monitoring:{plan.id}"),
            "status": "active" if plan.status == PLAN_ACTIVE else "completed", "intent": "plan",
            "category": [{"text": "Remote monitoring"}], "title": plan.title, "subject": ref("Patient", patient.id),
            "period": {"start": plan.start_date.isoformat(), **({"end": plan.end_date.isoformat()} if plan.end_date else {})},
            **({"author": _doctor(names, plan.doctor_id)} if _doctor(names, plan.doctor_id) else {}),
            "supportingInfo": [ref("Questionnaire", plan.id)], "activity": activities,
        })  # fmt: skip
    return found


def _rehab(session: Session, patient_id: int, names: dict[int, str]) -> list[dict[str, Any]]:
    found = []
    for course in session.scalars(select(RehabCourse).where(RehabCourse.patient_id == patient_id).order_by(RehabCourse.id)):
        activities = []
        for view in rehab.seats(session, course_ids=[course.id]):
            status = SEAT_STATUS.get(view.seat.attendance or "", "scheduled" if view.window != "over" else "unknown")
            end = view.item.starts_at + timedelta(minutes=view.item.duration_minutes)
            activities.append({"detail": {"kind": "Appointment", "status": status, "description": view.item.title or course.title,
                                          "scheduledPeriod": {"start": view.item.starts_at.isoformat(), "end": end.isoformat()}}})
        found.append({
            "resourceType": "CarePlan", "id": rid("CarePlan", f"rehab:{course.id}"),
            "status": COURSE_STATUS.get(course.status, "unknown"), "intent": "plan",
            "category": [{"text": "Rehabilitation"}], "title": course.title or "Rehabilitation",
            "subject": ref("Patient", patient_id),
            "period": {"start": course.created_at.isoformat(),
                       **({"end": course.completed_at.isoformat()} if course.completed_at else {})},
            **({"author": _doctor(names, course.doctor_id)} if _doctor(names, course.doctor_id) else {}),
            **({"contributor": [_doctor(names, course.instructor_id)]} if _doctor(names, course.instructor_id) else {}),
            **({"activity": activities} if activities else {}),
        })  # fmt: skip
    return found


def _people(session: Session, patient_id: int) -> tuple[dict[int, str], dict[int, int | None]]:
    """Names of the staff accounts the card mentions, and the account of each registry doctor."""
    doctor_users: dict[int, int | None] = {
        row.id: row.user_id for row in session.execute(select(registry.Doctor.id, registry.Doctor.user_id).where(
            registry.Doctor.id.in_(select(Ticket.doctor_id).where(Ticket.user_id == patient_id))))}
    ids: set[int | None] = set(doctor_users.values())
    for column, owner in ((Consultation.doctor_user_id, Consultation.patient_id), (Conclusion.doctor_id, Conclusion.patient_id),
                          (MonitoringPlan.doctor_id, MonitoringPlan.patient_id), (RehabCourse.doctor_id, RehabCourse.patient_id),
                          (RehabCourse.instructor_id, RehabCourse.patient_id)):
        ids.update(session.scalars(select(column).where(owner == patient_id)))
    ids.discard(None)
    names = {u.id: u.full_name for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return names, doctor_users


def bundle(session: Session, patient: User, *, url: Url, store: Callable[[str], FileStore],
           readable: Callable[[Document], bool], locale: str = "ru") -> dict[str, Any]:
    names, doctor_users = _people(session, patient.id)
    visits, encounters = _visits(session, patient.id, names, doctor_users, locale)
    return collection([
        monitoring_fhir.patient_resource(patient),
        *_conditions(session, patient.id, locale),
        *_documents(session, patient.id, url),
        *visits,
        *_reports(session, patient.id, names, encounters, url, store, readable, locale),
        *_monitoring(session, patient, names),
        *_rehab(session, patient.id, names),
    ])
