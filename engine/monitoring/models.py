"""Monitoring tables: plan templates, a doctor's plan for a patient and its items, the patient's daily
questionnaires with their answers and files, and the alerts the rules raise for doctors."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.clock import now
from engine.db import Base, UTCDateTime

# Item kinds (R-MON-03): measurements, medications, survey questions.
MEASUREMENT = "measurement"
MEDICATION = "medication"
QUESTION = "question"
KINDS = (MEASUREMENT, MEDICATION, QUESTION)

# Sections of the questionnaire in the order the patient fills them (R-MON-10, R-MON-12); the survey
# always concerns the whole day (R-MON-13), so questions are always in WHOLE_DAY.
MORNING = "morning"
MIDDAY = "midday"
EVENING = "evening"
WHOLE_DAY = "day"
TIMES_OF_DAY = (MORNING, MIDDAY, EVENING, WHOLE_DAY)
# The patient's local clock time a section's measurements are taken at (the questionnaire's section titles
# say the same: "Morning (about 9:00)"); whole-day items have no time, only their day.
SECTION_CLOCK = {MORNING: "09:00", MIDDAY: "14:00", EVENING: "20:00"}

# How often an item is due.
DAILY = "daily"
EVERY_N_DAYS = "every_n"
WEEKDAYS = "weekdays"
PERIODS = (DAILY, EVERY_N_DAYS, WEEKDAYS)

# Survey answer types (R-MON-14): one of the options, or an intensity slider 0 (normal) .. 10.
OPTIONS = "options"
SLIDER = "slider"
ANSWER_TYPES = (OPTIONS, SLIDER)
SLIDER_MAX = 10

PLAN_ACTIVE = "active"
PLAN_ENDED = "ended"

# A day's questionnaire: sent (open for answers), answered (final), missed (not answered in time).
SENT = "sent"
ANSWERED = "answered"
MISSED = "missed"
QUESTIONNAIRE_STATUSES = (SENT, ANSWERED, MISSED)
FROM_SCHEDULE = "schedule"  # opened by the evening dispatch, with an invitation
FROM_CABINET = "cabinet"  # opened by the patient outside the schedule (R-MON-07)
CORRECTION = "correction"  # the origin of a day's instance that records corrected answers

ALERT_OPEN = "open"
ALERT_CLOSED = "closed"


class PlanTemplate(Base):
    """A reusable set of items ("after chemotherapy", "hypertension"); doctor_id NULL = shared by all."""

    __tablename__ = "monitoring_template"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # plan item fields
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class MonitoringPlan(Base):
    __tablename__ = "monitoring_plan"
    __table_args__ = (
        # Covering for the doctor's list (alerts.monitored_patients): no table lookups per patient.
        Index("ix_monitoring_plan_doctor", "doctor_id", "patient_id", "status"),
        Index("ix_monitoring_plan_patient", "patient_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    title: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    # Local time of the evening invitation in the patient's time zone, "HH:MM" (sorts as text).
    invite_time: Mapped[str] = mapped_column(String(5), default="19:00")
    status: Mapped[str] = mapped_column(String(10), default=PLAN_ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    items: Mapped[list[PlanItem]] = relationship(
        back_populates="plan", order_by="PlanItem.position", cascade="all, delete-orphan", lazy="selectin"
    )

    def active_on(self, day: date) -> bool:
        return self.status == PLAN_ACTIVE and self.start_date <= day and (self.end_date is None or day <= self.end_date)


class PlanItem(Base):
    __tablename__ = "monitoring_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("monitoring_plan.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(12))
    code: Mapped[str] = mapped_column(String(30), default="")  # measurement code (catalog.py)
    title: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20), default="")
    time_of_day: Mapped[str] = mapped_column(String(8), default=WHOLE_DAY)
    period: Mapped[str] = mapped_column(String(10), default=DAILY)
    every_n: Mapped[int] = mapped_column(Integer, default=1)
    weekdays: Mapped[str] = mapped_column(String(13), default="")  # "0,2,4": Monday=0
    # Measurements: the valid range (outside it a value is refused) and the doctor's alert thresholds.
    valid_min: Mapped[float | None] = mapped_column(Float)
    valid_max: Mapped[float | None] = mapped_column(Float)
    alert_low: Mapped[float | None] = mapped_column(Float)
    alert_high: Mapped[float | None] = mapped_column(Float)
    # The second component of a two-value measurement (diastolic blood pressure).
    alert_low2: Mapped[float | None] = mapped_column(Float)
    alert_high2: Mapped[float | None] = mapped_column(Float)
    dose: Mapped[str] = mapped_column(String(100), default="")  # medications
    answer_type: Mapped[str] = mapped_column(String(8), default=OPTIONS)  # questions
    options: Mapped[list[str]] = mapped_column(JSON, default=list)  # options[0] is "normal"
    alert_from: Mapped[int | None] = mapped_column(Integer)  # option index / slider level that alerts

    plan: Mapped[MonitoringPlan] = relationship(back_populates="items")


class Questionnaire(Base):
    """One patient-day, covering every plan of every doctor (one invitation a day, R-MON-05)."""

    __tablename__ = "monitoring_questionnaire"
    __table_args__ = (
        UniqueConstraint("patient_id", "day"),
        Index("ix_monitoring_questionnaire_status", "status", "deadline_at"),
        # A patient's last answered day (the doctor's list) as one index lookup.
        Index("ix_monitoring_questionnaire_patient_status", "patient_id", "status", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=SENT)
    origin: Mapped[str] = mapped_column(String(10), default=FROM_SCHEDULE)
    instance_id: Mapped[int | None] = mapped_column(Integer)
    task_guid: Mapped[str | None] = mapped_column(String(36))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str] = mapped_column(Text, default="")
    # A doctor looked at the day (closed its alert, or marked it reviewed): from then on the patient can
    # no longer correct the answers.
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[int | None] = mapped_column(Integer)

    answers: Mapped[list[Answer]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    files: Mapped[list[QuestionnaireFile]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class Answer(Base):
    __tablename__ = "monitoring_answer"
    __table_args__ = (UniqueConstraint("questionnaire_id", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("monitoring_questionnaire.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("monitoring_item.id", ondelete="CASCADE"), index=True)
    value: Mapped[float | None] = mapped_column(Float)
    value2: Mapped[float | None] = mapped_column(Float)
    choice: Mapped[int | None] = mapped_column(Integer)  # option index or slider level
    taken: Mapped[bool | None] = mapped_column(Boolean)
    beyond: Mapped[bool] = mapped_column(Boolean, default=False)  # beyond the doctor's thresholds


class AnswerRevision(Base):
    """The answers of a day as they were before the patient corrected them: kept, never changed, so the
    doctor sees what was sent first and when it was corrected."""

    __tablename__ = "monitoring_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("monitoring_questionnaire.id", ondelete="CASCADE"), index=True
    )
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when these answers were sent
    revised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)  # when they were replaced
    revised_by: Mapped[int] = mapped_column(Integer)
    answers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")


class QuestionnaireFile(Base):
    __tablename__ = "monitoring_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("monitoring_questionnaire.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))


class Alert(Base):
    """Raised for a doctor by the rules (DMN) on a questionnaire; open until the doctor reviews it."""

    __tablename__ = "monitoring_alert"
    # Covering for the doctor's list: open alerts counted and dated per patient from the index alone.
    __table_args__ = (Index("ix_monitoring_alert_doctor", "doctor_id", "status", "patient_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("monitoring_questionnaire.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    level: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(200))
    values: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default=ALERT_OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
