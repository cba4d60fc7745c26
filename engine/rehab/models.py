"""Rehabilitation tables: courses (an instructor attached to a patient by a doctor), classes and who
sits in them with their attendance, recommended videos, and self-enrolment applications."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.clock import now
from engine.db import Base, UTCDateTime

# Course status: open from attachment until the instructor finishes it in the pathway.
OPEN = "open"
COMPLETED = "completed"
CANCELLED = "cancelled"
COURSE_STATUSES = (OPEN, COMPLETED, CANCELLED)

INDIVIDUAL = "individual"
GROUP = "group"
CLASS_KINDS = (INDIVIDUAL, GROUP)
PLANNED = "planned"
CLASS_STATUSES = (PLANNED, CANCELLED)

ATTENDED = "attended"
MISSED = "missed"
ATTENDANCE = (ATTENDED, MISSED)

EXERCISE = "exercise"
INFORMATION = "information"
VIDEO_LISTS = (EXERCISE, INFORMATION)

NEW = "new"
ACCEPTED = "accepted"
DECLINED = "declined"
APPLICATION_STATUSES = (NEW, ACCEPTED, DECLINED)


class RehabCourse(Base):
    """One instructor attached to one patient by one doctor; a patient may have several of these."""

    __tablename__ = "rehab_course"
    __table_args__ = (UniqueConstraint("patient_id", "instructor_id", "doctor_id", "instance_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    instructor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(12), default=OPEN)
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RehabClass(Base):
    """An online class at a time; a group class has several seats. Occurrences of a recurring series
    share `series_id`, and each is its own row so it can be moved, cancelled and attended alone."""

    __tablename__ = "rehab_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    instructor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default=INDIVIDUAL)
    title: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    series_id: Mapped[str | None] = mapped_column(String(32), index=True)
    meeting_url: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(12), default=PLANNED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    seats: Mapped[list[ClassSeat]] = relationship(back_populates="rehab_class", cascade="all, delete-orphan",
                                                  lazy="selectin", order_by="ClassSeat.id")

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class ClassSeat(Base):
    """A patient (through their course) in a class: their reminder and their attendance."""

    __tablename__ = "rehab_class_seat"
    __table_args__ = (UniqueConstraint("class_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("rehab_class.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("rehab_course.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attendance: Mapped[str | None] = mapped_column(String(12))
    marked_by: Mapped[int | None] = mapped_column(Integer)
    marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    rehab_class: Mapped[RehabClass] = relationship(back_populates="seats")


class RecommendedVideo(Base):
    """A video the instructor recommends: on the exercises list or the useful-information list."""

    __tablename__ = "rehab_video"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("rehab_course.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    created_by: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class EnrolmentApplication(Base):
    """A person without an account asking to join an exercise-therapy (ЛФК) group (R-ACC-06)."""

    __tablename__ = "rehab_enrolment"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    patronymic: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(254), index=True)
    phone: Mapped[str] = mapped_column(String(20), default="")
    birth_date: Mapped[date | None] = mapped_column(Date)
    comment: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(5), default="ru")
    # The consent to personal-data processing given with the application, carried onto the account.
    consent_kind: Mapped[str] = mapped_column(String(40))
    consent_version: Mapped[str] = mapped_column(String(20))
    consent_sha256: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(45), default="")
    status: Mapped[str] = mapped_column(String(12), default=NEW)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    decided_by: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(Integer)
    # Set when a logged-in patient applied from their account (no account is created on acceptance).
    from_account: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The group asked for (engine.rehab.groups: a group class series, or one group class), if any.
    group_key: Mapped[str] = mapped_column(String(40), default="", server_default="")
    group_title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    group_instructor_id: Mapped[int | None] = mapped_column(Integer)
