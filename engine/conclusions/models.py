"""Signed documents of a consultation: the doctor's conclusion and the patient's informed consent (ИДС).

A row is written at once (in the engine step or request that decides it) with status `pending`; the
conclusions flow renders, signs and stores the PDF later and sets `rendered` with the document id.
The verification code is random and unique: it is what the QR code and /verify/<code> carry, so the
public page never takes a guessable id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import now
from engine.db import Base, UTCDateTime

PENDING = "pending"
RENDERED = "rendered"
FAILED = "failed"  # gave up after MAX_ATTEMPTS; an admin sees last_error
STATUSES = (PENDING, RENDERED, FAILED)
MAX_ATTEMPTS = 5


class _Produced:
    """Columns every produced document shares: who it is about, its state and its verification code."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    reference: Mapped[str] = mapped_column(String(80), default="", index=True)  # e.g. "instance:12"
    locale: Mapped[str] = mapped_column(String(5), default="ru")
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    verification_code: Mapped[str] = mapped_column(String(43), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Conclusion(_Produced, Base):
    __tablename__ = "conclusion"
    __table_args__ = (Index("ix_conclusion_status", "status"),)

    doctor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    diagnosis_code: Mapped[str] = mapped_column(String(16))
    diagnosis_text: Mapped[str] = mapped_column(Text, default="")
    findings: Mapped[str] = mapped_column(Text, default="")
    recommendations: Mapped[str] = mapped_column(Text, default="")
    follow_up: Mapped[str] = mapped_column(Text, default="")


class ConsentDocument(_Produced, Base):
    """The record of an accepted consent: which text (version and hash), in which language, when, from where."""

    __tablename__ = "consent_document"
    __table_args__ = (Index("ix_consent_document_status", "status"),)

    kind: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(20))
    text_sha256: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    ip: Mapped[str] = mapped_column(String(45), default="")
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # may read the PDF too
