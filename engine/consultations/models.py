"""Consultation tables: the consultation itself, the medical centers that take applications, duty doctors.

A consultation books its time through the registry's slots and tickets (engine.registry): the ticket is
what keeps one slot for one person; the consultation keeps what the three routes add (the application,
the review, the video room, consent, cancellation, rating).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import now
from engine.db import Base, UTCDateTime

# Routes (R-CONS-0-02) and the pathway (BPMN model id) of each.
APPLICATION = "application"
DUTY = "duty"
REFERRAL = "referral"
PAID = "paid"  # a duty-like booking of a priced service, paid before it can be joined (engine.payments)
ROUTES = (APPLICATION, DUTY, REFERRAL, PAID)
PATHWAYS = {APPLICATION: "consultation_application", DUTY: "consultation_duty", REFERRAL: "consultation_referral",
            PAID: "consultation_paid"}
SESSION_PATHWAY = "consultation_session"

# Status
AWAITING_DOCUMENTS = "awaiting_documents"  # route 3: the patient has yet to upload documents
UNDER_REVIEW = "under_review"              # a doctor studies the application
MORE_DOCUMENTS = "more_documents"          # the doctor asked for more documents
SCHEDULED = "scheduled"
DECLINED = "declined"
CANCELLED = "cancelled"
HELD = "held"
MISSED = "missed"
STATUSES = (AWAITING_DOCUMENTS, UNDER_REVIEW, MORE_DOCUMENTS, SCHEDULED, DECLINED, CANCELLED, HELD, MISSED)
OPEN = (AWAITING_DOCUMENTS, UNDER_REVIEW, MORE_DOCUMENTS, SCHEDULED)  # the patient may still cancel
FINAL = (DECLINED, CANCELLED, HELD, MISSED)

RATING_RANGE = range(1, 6)


class ConsultationCenter(Base):
    """A registry institution that takes consultation applications (route 1). Its specialty profile is
    the specialties of its doctors in the registry; `description` is what the list shows besides."""

    __tablename__ = "consultation_center"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("registry_institution.id"), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DutyDoctor(Base):
    """A registry doctor on duty for route 2 (general questions, R-CONS-0-07)."""

    __tablename__ = "consultation_duty_doctor"

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("registry_doctor.id"), unique=True)
    topics: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Consultation(Base):
    __tablename__ = "consultation"
    __table_args__ = (
        Index("ix_consultation_patient_starts", "patient_id", "starts_at"),
        Index("ix_consultation_doctor_starts", "doctor_user_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    route: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(20), default=UNDER_REVIEW)
    patient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # The doctor: the reviewer of an application, then the consulting doctor (an account).
    doctor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    registry_doctor_id: Mapped[int | None] = mapped_column(Integer)
    center_id: Mapped[int | None] = mapped_column(ForeignKey("consultation_center.id"))
    institution_id: Mapped[int | None] = mapped_column(Integer)
    specialty_id: Mapped[int | None] = mapped_column(Integer)
    slot_id: Mapped[int | None] = mapped_column(Integer)
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(10), default="video")
    room_url: Mapped[str] = mapped_column(String(300), default="")
    # The application (R-CONS-1-03) or the referral row (route 3).
    full_name: Mapped[str] = mapped_column(String(300), default="")
    age: Mapped[int | None] = mapped_column(SmallInteger)
    diagnosis_code: Mapped[str] = mapped_column(String(10), default="")
    diagnosis_text: Mapped[str] = mapped_column(String(500), default="")
    complaints: Mapped[str] = mapped_column(Text, default="")
    referral_id: Mapped[str] = mapped_column(String(80), default="")
    # The review and its outcome.
    doctor_message: Mapped[str] = mapped_column(Text, default="")  # what more documents are needed
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    process_instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def reference(self) -> str:
        """What documents sent with this consultation carry in `Document.reference`."""
        return f"consultation:{self.id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN
