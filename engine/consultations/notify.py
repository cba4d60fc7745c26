"""Messages about a consultation, queued in the outbox in the caller's transaction (one per kind and
recipient and stage: a retried engine step never sends twice)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import outbox, roles
from engine.accounts.models import User, UserRole
from engine.config import LOCALES
from engine.consultations.centers import institution_zone
from engine.consultations.models import Consultation
from engine.timezones import appointment_label

KINDS = (
    "consultation_scheduled", "consultation_declined", "more_documents_requested", "consultation_reminder",
    "consultation_cancelled", "consultation_missed", "review_overdue",
)

# The mail that tells a time carries it as a calendar entry too (the link alone was not enough).
CALENDAR_KINDS = frozenset({"consultation_scheduled"})


def context(session: Session, consultation: Consultation, recipient: User, base_url: str) -> dict[str, Any]:
    doctor = session.get(User, consultation.doctor_user_id) if consultation.doctor_user_id else None
    patient = session.get(User, consultation.patient_id)
    base = base_url.rstrip("/")
    return {
        "name": recipient.first_name,
        "number": consultation.id,
        "when": appointment_label(consultation.starts_at, institution_zone(session, consultation.institution_id),
                                  recipient.timezone, recipient.locale) if consultation.starts_at else "",
        "doctor": doctor.full_name if doctor else "",
        "patient": patient.full_name if patient else "",
        "diagnosis": f"{consultation.diagnosis_code} {consultation.diagnosis_text}".strip(),
        "link": f"{base}/consultations/{consultation.id}" if base else "",
        "ics": f"{base}/consultations/{consultation.id}/invite.ics" if base and consultation.starts_at else "",
        "tasks": f"{base}/tasks/" if base else "",
        "message": consultation.doctor_message,
        "reason": consultation.decline_reason if consultation.status == "declined" else consultation.cancel_reason,
    }


def send(session: Session, consultation: Consultation, kind: str, recipient: User, base_url: str,
         stage: str = "", extra: dict[str, Any] | None = None) -> bool:
    if kind not in KINDS:
        raise ValueError(f"unknown consultation message {kind!r}")
    if not recipient.email:
        # A patient imported with only a mobile phone, not activated yet: the activation SMS is what
        # reaches them; once they give an email (at activation) these messages go to it.
        return False
    ctx = context(session, consultation, recipient, base_url)
    if kind in CALENDAR_KINDS and consultation.starts_at and consultation.ends_at:
        ctx["attachments"] = [outbox.calendar_attachment(
            uid=f"consultation-{consultation.id}@carepath", starts_at=consultation.starts_at,
            ends_at=consultation.ends_at, location=ctx["link"], filename=f"consultation-{consultation.id}.ics",
            remind_minutes=10)]
    ctx.update(extra or {})
    key = f"consultation:{consultation.id}:{kind}:{recipient.id}:{stage}"[:255]
    message = outbox.enqueue(session, kind=kind, to=recipient.email, context=ctx,
                             locale=recipient.locale if recipient.locale in LOCALES else LOCALES[0],
                             dedupe_key=key, user_id=recipient.id)
    return message is not None


def managers(session: Session, manager_id: int | None) -> list[User]:
    """The manager named by the pathway (route 3's import), else every manager (the center's queue)."""
    if manager_id:
        user = session.get(User, int(manager_id))
        return [user] if user is not None and user.has_role(roles.MANAGER) else []
    return list(session.scalars(select(User).join(UserRole, UserRole.user_id == User.id)
                                .where(UserRole.role == roles.MANAGER).order_by(User.id)))
