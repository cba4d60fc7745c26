"""The audit journal: who did what, when, from which address (DESIGN, security floor)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.clock import now
from engine.db import Base, UTCDateTime
from engine.i18n import N_

# Action names, with the English label the journal page shows (translated there).
ACTIONS: dict[str, str] = {
    "login": N_("Logged in"),
    "login_failed": N_("Failed login"),
    "login_refused_account": N_("Login refused: too many failed attempts on this account"),
    "login_refused_address": N_("Login refused: too many failed attempts from this address"),
    "logout": N_("Logged out"),
    "register": N_("Registered"),
    "email_confirmed": N_("Email confirmed"),
    "account_created": N_("Account created"),
    "account_activated": N_("Account activated"),
    "profile_changed": N_("Profile changed"),
    "email_change_requested": N_("Email change requested"),
    "email_changed": N_("Email changed"),
    "password_changed": N_("Password changed"),
    "password_reset_requested": N_("Password reset requested"),
    "password_reset": N_("Password reset"),
    "two_factor_on": N_("Second factor switched on"),
    "two_factor_off": N_("Second factor switched off"),
    "login_code_failed": N_("Wrong one-time code"),
    "phone_confirmed": N_("Mobile phone confirmed"),
    "task_completed": N_("Task completed"),
    "group_member_added": N_("Added to a work group"),
    "group_member_removed": N_("Removed from a work group"),
    "process_started": N_("Pathway started"),
    "process_deployed": N_("Pathway deployed"),
    "process_retried": N_("Pathway retried after an error"),
    "process_draft_saved": N_("Pathway draft saved"),
    "process_test_run": N_("Pathway test-run in the sandbox"),
    "process_migrated": N_("Pathway instance moved to a new version"),
    "process_migration_refused": N_("Moving a pathway instance to a new version refused"),
    "process_imported": N_("Pathway imported"),
    "process_exported": N_("Pathway exported"),
    "task_claimed": N_("Task taken"),
    "task_released": N_("Task given back to the queue"),
    "api_token_issued": N_("API token created"),
    "api_token_revoked": N_("API token revoked"),
    "booking": N_("Appointment booked"),
    "cancellation": N_("Appointment cancelled"),
    "booking_refused": N_("Booking refused"),
    "ticket_annulled": N_("Unconfirmed booking annulled"),
    "ticket_cancelled_by_clinic": N_("Appointment cancelled by the clinic"),
    "visit_rated": N_("Visit rated"),
    "ticket_visited": N_("Visit marked as attended"),
    "ticket_missed": N_("Visit marked as missed"),
    "schedule_changed": N_("Schedule changed"),
    "registry_edited": N_("Registry data edited"),
    "document_uploaded": N_("Document uploaded"),
    "document_viewed": N_("Document viewed"),
    "referral_import_previewed": N_("Referral table uploaded for checking"),
    "referral_import_columns_set": N_("Columns of a referral table chosen"),
    "referral_import_started": N_("Referral table import started"),
    "outbox_retried": N_("Message sent again by an administrator"),
    "document_withdrawn": N_("Document withdrawn"),
    "consultation_requested": N_("Consultation requested"),
    "consultation_cancelled": N_("Consultation cancelled"),
    "consultation_escalated": N_("Overdue consultation review escalated"),
    "consultation_taken": N_("Referral review taken from the center's queue"),
    "consultation_consent": N_("Informed consent to a consultation given"),
    "consultation_joined": N_("Joined a video consultation"),
    "consultation_held": N_("Consultation held"),
    "consultation_missed": N_("Consultation missed"),
    "monitoring_plan_created": N_("Monitoring plan created"),
    "monitoring_plan_changed": N_("Monitoring plan changed"),
    "monitoring_data_sent": N_("Monitoring questionnaire sent"),
    "monitoring_data_corrected": N_("Monitoring data corrected"),
    "monitoring_day_reviewed": N_("Monitoring day marked as reviewed"),
    "monitoring_exported": N_("Monitoring data exported"),
    "conclusion_requested": N_("Conclusion written"),
    "conclusion_signed": N_("Conclusion signed and filed"),
    "consent_given": N_("Informed consent given"),
    "consent_signed": N_("Informed consent filed"),
    "rehab_course_opened": N_("Instructor attached for a rehabilitation course"),
    "rehab_class_planned": N_("Rehabilitation classes planned"),
    "rehab_class_cancelled": N_("Rehabilitation class cancelled"),
    "rehab_class_moved": N_("Rehabilitation class moved to another time"),
    "rehab_attendance_marked": N_("Class attendance marked"),
    "rehab_video_recommended": N_("Video recommended"),
    "rehab_course_completed": N_("Rehabilitation course completed"),
    "rehab_enrolment_applied": N_("Applied to an exercise-therapy group"),
    "rehab_enrolment_accepted": N_("Exercise-therapy group application accepted"),
    "rehab_enrolment_declined": N_("Exercise-therapy group application declined"),
    "correspondence_enabled": N_("Correspondence with the doctor switched on"),
    "correspondence_closed": N_("Correspondence with the doctor switched off"),
    "message_sent": N_("Message sent"),
    "relay_refused": N_("Relayed email refused"),
    "patient_card_viewed": N_("Patient card viewed"),
    "patient_card_exported": N_("Patient card exported as a FHIR bundle"),
    "feedback_answered": N_("Feedback answered"),
    "info_page_changed": N_("Information page changed"),
}


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    subject_id: Mapped[int | None] = mapped_column(Integer, index=True)
    ip: Mapped[str] = mapped_column(String(45), default="")
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    @property
    def label(self) -> str:
        return ACTIONS.get(self.action, self.action)


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None,
    ip: str = "",
    subject_id: int | None = None,
    object_type: str = "",
    object_id: str | int = "",
    **details: Any,
) -> AuditEntry:
    """Add an entry in the caller's transaction. `subject_id` is whose journal it shows in, if not the actor's
    (a failed login for an account, an account created by staff)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        at=now(),
        action=action,
        actor_id=actor_id,
        subject_id=subject_id if subject_id is not None else actor_id,
        ip=ip or "",
        object_type=object_type,
        object_id=str(object_id),
        details=details,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class Page:
    entries: list[AuditEntry]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def journal(session: Session, *, subject_id: int | None, page: int = 1, per_page: int = 20) -> Page:
    """Newest first. `subject_id=None` is the whole journal (admins only; the caller checks)."""
    page = max(1, page)
    query = select(AuditEntry)
    count = select(func.count(AuditEntry.id))
    if subject_id is not None:
        query = query.where(AuditEntry.subject_id == subject_id)
        count = count.where(AuditEntry.subject_id == subject_id)
    total = session.scalar(count) or 0
    rows = session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return Page(list(rows), page, per_page, total)
