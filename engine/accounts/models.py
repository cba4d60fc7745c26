"""Account tables: users, their roles, consents given, and one-time tokens (links and codes)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.clock import now
from engine.db import Base, UTCDateTime

# Account status. "unconfirmed" accounts can log in but do nothing medical (R-ACC-16).
UNCONFIRMED = "unconfirmed"
ACTIVE = "active"
PENDING_ACTIVATION = "pending_activation"  # created by staff, no password yet
DISABLED = "disabled"
STATUSES = (UNCONFIRMED, ACTIVE, PENDING_ACTIVATION, DISABLED)


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a patient a referral table gave only a mobile phone: the activation goes by SMS, and the
    # person gives an email (their login) when they set the password. NULLs do not collide in the unique
    # index on SQLite or PostgreSQL.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    patronymic: Mapped[str] = mapped_column(String(100), default="")
    birth_date: Mapped[date | None] = mapped_column(Date)
    # Indexed: a referral import finds a patient it first knew only by phone (engine.referrals.patients).
    phone: Mapped[str] = mapped_column(String(20), default="", index=True)
    # Set when the person proved the number (a code by SMS, or an activation link that came by SMS);
    # cleared when the number changes. Only a confirmed phone receives the second factor.
    phone_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=UNCONFIRMED)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locale: Mapped[str] = mapped_column(String(5), default="ru")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Moscow")
    notify_email: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    # Indexed: imports and anonymous bookings find people by these.
    oms_policy: Mapped[str] = mapped_column(String(16), default="", index=True)
    snils: Mapped[str] = mapped_column(String(14), default="", index=True)
    two_factor: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by: Mapped[int | None] = mapped_column(Integer)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(r.role for r in self.roles)

    def has_role(self, *names: str) -> bool:
        return bool(self.role_names.intersection(names))

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)

    @property
    def can_act_medically(self) -> bool:
        return self.status == ACTIVE

    # The login protocol the web layer's session handling expects (Flask-Login's duck type).
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.status != DISABLED

    def get_id(self) -> str:
        return str(self.id)


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    user: Mapped[User] = relationship(back_populates="roles")


class ConsentRecord(Base):
    """A consent given (R-ACC-04): which text, which version, when, from where."""

    __tablename__ = "consent_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(20))
    text_sha256: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(5))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    ip: Mapped[str] = mapped_column(String(45), default="")


class OneTimeToken(Base):
    """A link or code sent to a person. Only its hash is stored, so a database leak opens nothing."""

    __tablename__ = "one_time_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(30))
    token_hash: Mapped[str] = mapped_column(String(64), index=True)
    new_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str] = mapped_column(Text, default="")
