"""Registry tables. Times are UTC (UTCDateTime); an institution's `timezone` turns them into local time.

Indexes are chosen for the two hot queries over ~1M slots (see bench/slots.py):
- "nearest available time" of a doctor: the partial index `ix_registry_slot_free_doctor`
  (doctor_id, starts_at) WHERE status = 'free' answers with one index probe;
- the schedule search: `ix_registry_slot_free_institution` (institution_id, starts_at) WHERE free, and
  the unique (doctor_id, starts_at) for searches that include booked slots.
`uq_registry_ticket_active_slot` is the last line against double booking: one held or confirmed ticket
per slot, whatever the application code does.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.clock import now
from engine.db import Base, UTCDateTime

# Slot status
FREE = "free"
HELD = "held"
BOOKED = "booked"
BLOCKED = "blocked"
SLOT_STATUSES = (FREE, HELD, BOOKED, BLOCKED)

# Ticket status (талон)
T_HELD = "held"
T_CONFIRMED = "confirmed"
T_CANCELLED = "cancelled"
T_ANNULLED = "annulled"
T_VISITED = "visited"
T_MISSED = "missed"
TICKET_STATUSES = (T_HELD, T_CONFIRMED, T_CANCELLED, T_ANNULLED, T_VISITED, T_MISSED)
ACTIVE_TICKET = (T_HELD, T_CONFIRMED)

# Institution types, as the seed's «Тип учреждения» filter offers them (values are stable codes).
INSTITUTION_TYPES = ("hospital", "polyclinic", "dental", "dispensary", "center")

# Identity documents of a booking without an account (R-BOOK-13 … R-BOOK-18).
DOC_OMS = "oms"
DOC_SNILS = "snils"
DOC_PASSPORT = "passport"
DOC_DMS = "dms"
DOC_NONE = "none"
DOC_TYPES = (DOC_OMS, DOC_SNILS, DOC_PASSPORT, DOC_DMS, DOC_NONE)

_ACTIVE_SQL = text("status IN ('held', 'confirmed')")
_FREE_SQL = text("status = 'free'")


class Locality(Base):
    __tablename__ = "registry_locality"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class Institution(Base):
    __tablename__ = "registry_institution"

    id: Mapped[int] = mapped_column(primary_key=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("registry_locality.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="polyclinic")
    address: Mapped[str] = mapped_column(String(300), default="")
    phones: Mapped[str] = mapped_column(String(200), default="")
    hours: Mapped[str] = mapped_column(String(200), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Yekaterinburg")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    locality: Mapped[Locality] = relationship(lazy="joined")
    departments: Mapped[list[Department]] = relationship(
        back_populates="institution", order_by="Department.name", cascade="all, delete-orphan"
    )


class Department(Base):
    __tablename__ = "registry_department"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("registry_institution.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    note: Mapped[str] = mapped_column(String(300), default="")
    # Lower-cased in Python: SQLite's lower() leaves Cyrillic alone, so "поликлин" would miss "Поликлин…".
    search_name: Mapped[str] = mapped_column(String(300), default="")

    institution: Mapped[Institution] = relationship(back_populates="departments")


class Specialty(Base):
    __tablename__ = "registry_specialty"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Doctor(Base):
    __tablename__ = "registry_doctor"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("registry_institution.id"), index=True)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    patronymic: Mapped[str] = mapped_column(String(100), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    search_name: Mapped[str] = mapped_column(String(300), default="")  # see Department.search_name

    posts: Mapped[list[DoctorPost]] = relationship(back_populates="doctor", cascade="all, delete-orphan")
    institution: Mapped[Institution] = relationship()

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)


class DoctorPost(Base):
    """A doctor works in a department with a specialty; schedules and slots belong to a post."""

    __tablename__ = "registry_doctor_post"
    __table_args__ = (UniqueConstraint("doctor_id", "department_id", "specialty_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("registry_doctor.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("registry_department.id"), index=True)
    specialty_id: Mapped[int] = mapped_column(ForeignKey("registry_specialty.id"), index=True)

    doctor: Mapped[Doctor] = relationship(back_populates="posts")
    department: Mapped[Department] = relationship(lazy="joined")
    specialty: Mapped[Specialty] = relationship(lazy="joined")


class ScheduleTemplate(Base):
    """A weekly reception: on `weekday` (0 = Monday) from `start` to `end`, local time, slots of N minutes."""

    __tablename__ = "registry_schedule_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("registry_doctor_post.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)
    slot_minutes: Mapped[int] = mapped_column(SmallInteger, default=20)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    post: Mapped[DoctorPost] = relationship(lazy="joined")


class ScheduleException(Base):
    """No reception on these days: a doctor's leave, or (doctor_id None) an institution's holiday."""

    __tablename__ = "registry_schedule_exception"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("registry_institution.id"), index=True)
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("registry_doctor.id", ondelete="CASCADE"), index=True)
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20), default="leave")  # leave | holiday
    note: Mapped[str] = mapped_column(String(200), default="")


class Slot(Base):
    __tablename__ = "registry_slot"
    __table_args__ = (
        UniqueConstraint("doctor_id", "starts_at"),
        Index("ix_registry_slot_free_doctor", "doctor_id", "starts_at",
              postgresql_where=_FREE_SQL, sqlite_where=_FREE_SQL),
        Index("ix_registry_slot_free_institution", "institution_id", "starts_at",
              postgresql_where=_FREE_SQL, sqlite_where=_FREE_SQL),
        Index("ix_registry_slot_post_starts", "post_id", "starts_at"),
        Index("ix_registry_slot_institution_starts", "institution_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("registry_doctor_post.id", ondelete="CASCADE"))
    # Copied from the post so that filters need no join over a million rows.
    doctor_id: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[int] = mapped_column(Integer)
    specialty_id: Mapped[int] = mapped_column(Integer)
    institution_id: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=FREE)

    post: Mapped[DoctorPost] = relationship(lazy="joined")


class Ticket(Base):
    """An appointment ticket (талон). The person's identity is kept on the ticket as given when booking,
    because a booking without an account has no other record of it (see engine.registry.identity)."""

    __tablename__ = "registry_ticket"
    __table_args__ = (
        Index("uq_registry_ticket_active_slot", "slot_id", unique=True,
              postgresql_where=_ACTIVE_SQL, sqlite_where=_ACTIVE_SQL),
        Index("ix_registry_ticket_user_starts", "user_id", "starts_at"),
        Index("ix_registry_ticket_identity_starts", "identity_key", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("registry_slot.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(12), default=T_HELD)
    from_cabinet: Mapped[bool] = mapped_column(Boolean, default=False)
    # Copies of the slot's facts: the slot row can be freed and re-booked while the ticket stays history.
    doctor_id: Mapped[int] = mapped_column(Integer)
    post_id: Mapped[int] = mapped_column(Integer)
    institution_id: Mapped[int] = mapped_column(Integer, index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The person as identified at booking.
    identity_key: Mapped[str] = mapped_column(String(120))
    doc_type: Mapped[str] = mapped_column(String(10), default=DOC_NONE)
    doc_number: Mapped[str] = mapped_column(String(30), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    first_name: Mapped[str] = mapped_column(String(100), default="")
    patronymic: Mapped[str] = mapped_column(String(100), default="")
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    locale: Mapped[str] = mapped_column(String(5), default="ru")
    consent_version: Mapped[str] = mapped_column(String(20), default="")
    # Confirmation: the code and the page token are stored hashed only.
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    code_attempts_max: Mapped[int] = mapped_column(SmallInteger, default=5)  # set from the pathway
    code_channel: Mapped[str] = mapped_column(String(8), default="")
    access_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    process_instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # cancelled / annulled
    end_reason: Mapped[str] = mapped_column(String(40), default="")
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    review: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    slot: Mapped[Slot] = relationship()  # not joined: tickets are locked FOR UPDATE alone

    @property
    def person_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)


class District(Base):
    """A district (участок) of an institution: its number, type, doctor and the houses it serves."""

    __tablename__ = "registry_district"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("registry_institution.id"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(100), default="")
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("registry_doctor.id"))
    address: Mapped[str] = mapped_column(String(300), default="")

    doctor: Mapped[Doctor | None] = relationship(lazy="joined")
    institution: Mapped[Institution] = relationship(lazy="joined")


class DistrictAddress(Base):
    """Houses `house_from`..`house_to` of a street (all, odd or even numbers) belong to a district."""

    __tablename__ = "registry_district_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("registry_district.id", ondelete="CASCADE"), index=True)
    street: Mapped[str] = mapped_column(String(200), index=True)  # normalized, see districts.normalize_street
    house_from: Mapped[int] = mapped_column(Integer)
    house_to: Mapped[int] = mapped_column(Integer)
    parity: Mapped[str] = mapped_column(String(4), default="all")  # all | odd | even


class AddressPoint(Base):
    """Where a stretch of a street is, for "nearest to an address" (no map service needed)."""

    __tablename__ = "registry_address_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("registry_locality.id"), index=True)
    street: Mapped[str] = mapped_column(String(200), index=True)  # normalized
    house_from: Mapped[int] = mapped_column(Integer)
    house_to: Mapped[int] = mapped_column(Integer)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)


def fold(text: str) -> str:
    """Case- and ё-insensitive form for searching."""
    return " ".join((text or "").lower().replace("ё", "е").split())


@event.listens_for(Department, "before_insert")
@event.listens_for(Department, "before_update")
def _department_search(_mapper: object, _conn: object, target: Department) -> None:
    target.search_name = fold(target.name)


@event.listens_for(Doctor, "before_insert")
@event.listens_for(Doctor, "before_update")
def _doctor_search(_mapper: object, _conn: object, target: Doctor) -> None:
    target.search_name = fold(target.full_name)
