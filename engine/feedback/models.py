"""Feedback tables: the messages with their answers, and the captcha challenges already used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import now
from engine.db import Base, UTCDateTime

NEW = "new"
ANSWERED = "answered"
STATUSES = (NEW, ANSWERED)


class FeedbackMessage(Base):
    __tablename__ = "feedback_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("registry_institution.id"))
    locale: Mapped[str] = mapped_column(String(5), default="ru")
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_id: Mapped[int | None] = mapped_column(Integer)  # the sender, when logged in
    status: Mapped[str] = mapped_column(String(10), default=NEW, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SpentChallenge(Base):
    """A solved captcha challenge, kept until it expires so that the same solution is not accepted twice."""

    __tablename__ = "feedback_spent_challenge"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
