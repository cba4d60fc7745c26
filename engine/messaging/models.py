"""Conversation tables: a conversation between a doctor and a patient, its messages and attachments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.clock import now
from engine.db import Base, UTCDateTime

CORRESPONDENCE = "correspondence"  # ONCOCENTER's correspondence mode, switched on by the doctor
DUTY_CHAT = "duty_chat"            # route 2: chat with the duty doctor before the consultation
KINDS = (CORRESPONDENCE, DUTY_CHAT)

OPEN = "open"
CLOSED = "closed"

WEB = "web"
EMAIL = "email"


class Conversation(Base):
    __tablename__ = "conversation"
    __table_args__ = (UniqueConstraint("doctor_id", "patient_id", "kind", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=CORRESPONDENCE)
    # What the conversation belongs to besides the two people, e.g. "consultation:12" for a duty chat.
    reference: Mapped[str] = mapped_column(String(80), default="")
    # The local part of the relay address: random and unguessable, the only key the relay accepts.
    relay_local: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    enabled_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    messages: Mapped[list[ConversationMessage]] = relationship(
        back_populates="conversation", order_by="ConversationMessage.id", cascade="all, delete-orphan")


class ConversationMessage(Base):
    __tablename__ = "conversation_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    via: Mapped[str] = mapped_column(String(10), default=WEB)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    attachments: Mapped[list[MessageAttachment]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="MessageAttachment.id")


class MessageAttachment(Base):
    """A file sent with a message; stored as a document of the patient, readable by both sides."""

    __tablename__ = "conversation_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("conversation_message.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    filename: Mapped[str] = mapped_column(String(255))
