"""Document tables: the document and who else may read it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import now
from engine.db import Base, UTCDateTime

DRAFT = "draft"          # uploaded, not yet sent with an application: may be withdrawn
SUBMITTED = "submitted"  # sent with an application: can no longer be deleted (R-DOC rule of the seeds)
WITHDRAWN = "withdrawn"  # taken back before submission; kept in the journal, hidden from lists
STATUSES = (DRAFT, SUBMITTED, WITHDRAWN)


class Document(Base):
    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(12), default=DRAFT)
    purpose: Mapped[str] = mapped_column(String(40), default="")
    reference: Mapped[str] = mapped_column(String(80), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DocumentGrant(Base):
    """Someone other than the patient and the uploader who may read a document, and why."""

    __tablename__ = "document_grant"
    __table_args__ = (UniqueConstraint("document_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    reason: Mapped[str] = mapped_column(String(80))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class StoredFile(Base):
    """A file's bytes in the shared store of several hosts (CAREPATH_FILE_STORE=database), named by the
    sha256 of its content like the local folder store; integrations/files.py reads and writes it."""

    __tablename__ = "stored_file"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class KeyFile(Base):
    """A file of the platform's CA (reports/ca.py) in the shared store: certificates in PEM, private keys
    only encrypted with CAREPATH_KEYS_PASSPHRASE (a secret each host reads from its own file)."""

    __tablename__ = "key_file"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
