"""What goes on the page: the clinic (from the doctor's registry entry), names, dates in the patient's
time zone. Returns plain dicts whose keys are the fields of reports.conclusion.ConclusionData and
reports.consent.ConsentData, so the engine needs nothing from reports."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts.models import User
from engine.conclusions.models import Conclusion, ConsentDocument
from engine.conclusions.texts import consent_text
from engine.registry.models import Doctor

PLATFORM = "CarePath"


def _zone(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.timezone or "Europe/Moscow")
    except (KeyError, ValueError):
        return ZoneInfo("Europe/Moscow")


def clinic(session: Session, doctor_user_id: int | None) -> tuple[str, list[str], str]:
    """(clinic name, detail lines, specialty) for the doctor's first active registry entry."""
    if doctor_user_id is None:
        return PLATFORM, [], ""
    entry = session.scalars(
        select(Doctor).where(Doctor.user_id == doctor_user_id, Doctor.active.is_(True)).order_by(Doctor.id).limit(1)
    ).first()
    if entry is None:
        return PLATFORM, [], ""
    institution = entry.institution
    lines = [institution.address, institution.phones, institution.website]
    specialty = entry.posts[0].specialty.name if entry.posts else ""
    return institution.name, [line for line in lines if line], specialty


def _birth(user: User) -> str:
    return f"{user.birth_date:%d.%m.%Y}" if user.birth_date else ""


def conclusion_content(session: Session, row: Conclusion, verify_url: str) -> tuple[dict[str, Any], User]:
    patient, doctor = session.get(User, row.patient_id), session.get(User, row.doctor_id)
    assert patient is not None and doctor is not None
    name, lines, specialty = clinic(session, doctor.id)
    return {
        "number": row.id,
        "locale": row.locale,
        "issued_at": row.created_at.astimezone(_zone(patient)),
        "clinic_name": name,
        "clinic_details": lines,
        "patient_name": patient.full_name,
        "patient_birth_date": _birth(patient),
        "doctor_name": doctor.full_name,
        "doctor_specialty": specialty,
        "diagnosis_code": row.diagnosis_code,
        "diagnosis_text": row.diagnosis_text,
        "findings": row.findings,
        "recommendations": row.recommendations,
        "follow_up": row.follow_up,
        "verify_url": verify_url,
    }, doctor


def consent_content(session: Session, row: ConsentDocument, verify_url: str) -> dict[str, Any]:
    patient = session.get(User, row.patient_id)
    assert patient is not None
    name, lines, _ = clinic(session, row.doctor_id)
    return {
        "number": row.id,
        "locale": row.locale,
        "clinic_name": name,
        "clinic_details": lines,
        "patient_name": patient.full_name,
        "patient_birth_date": _birth(patient),
        "text": consent_text(row.kind, row.version, row.locale, row.text_sha256),
        "version": row.version,
        "text_sha256": row.text_sha256,
        "accepted_at": row.accepted_at.astimezone(_zone(patient)),
        "ip": row.ip,
        "verify_url": verify_url,
    }
