"""Tables of the referral import: one row per uploaded table (with its status, progress and report
counts, and which column is which), one row per line of that table (the line as written, its cleaned
values, the reason per bad cell, and what the import did with it), and the column choices managers made
for a referring institution or a header set, so the next table from there needs no choosing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import now
from engine.db import Base, UTCDateTime

# Import statuses.
COLUMNS = "columns"  # a required column was not found: the manager says which column is which
PREVIEW = "preview"  # parsed and validated, waiting for the manager to import the good rows
QUEUED = "queued"  # the manager pressed "import"; a flow run will pick it up
RUNNING = "running"
DONE = "done"
FAILED = "failed"  # stopped by an error; running it again finishes the rest
IMPORT_STATUSES = (COLUMNS, PREVIEW, QUEUED, RUNNING, DONE, FAILED)

# Row statuses.
INVALID = "invalid"  # failed validation: never imported
PENDING = "pending"  # valid, not processed yet
PATIENT_READY = "patient_ready"  # the patient exists (created, updated or matched); the pathway is next
STARTED = "started"  # consultation_referral started: the row is finished
SKIPPED = "skipped"  # valid but not imported, `message` says why
ROW_STATUSES = (INVALID, PENDING, PATIENT_READY, STARTED, SKIPPED)

# What happened to the patient of a row.
CREATED = "created"
UPDATED = "updated"
MATCHED = "matched"  # found, nothing to change


class ReferralImport(Base):
    __tablename__ = "referral_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    filename: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    encoding: Mapped[str] = mapped_column(String(20), default="")
    delimiter: Mapped[str] = mapped_column(String(4), default="")
    status: Mapped[str] = mapped_column(String(12), default=PREVIEW)
    total: Mapped[int] = mapped_column(Integer, default=0)  # rows in the file
    valid: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)  # valid rows processed so far
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # created/updated/started/skipped
    # Only one runner at a time works on an import: it holds the lease and renews it per chunk.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    base_url: Mapped[str] = mapped_column(String(300), default="")  # for the activation links
    header_line: Mapped[int] = mapped_column(Integer, default=1)
    headers: Mapped[list[str]] = mapped_column(JSON, default=list)  # the header row as written
    columns: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # column index (as text) -> field


class ReferralRow(Base):
    __tablename__ = "referral_row"
    __table_args__ = (
        Index("ix_referral_row_import_line", "import_id", "line", unique=True),
        Index("ix_referral_row_import_status", "import_id", "status"),
        Index("ix_referral_row_patient", "patient_id", "fingerprint"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("referral_import.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)  # line number in the file, as the manager sees it
    cells: Mapped[list[str]] = mapped_column(JSON, default=list)  # the line as written, every column
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # field -> text as given
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # field -> cleaned value
    # field -> [msgid, params]: the reason per bad cell, translated when shown.
    errors: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    # Diagnosis and target, normalised: a patient referred with the same ones again is not referred twice.
    fingerprint: Mapped[str] = mapped_column(String(120), default="")
    patient_id: Mapped[int | None] = mapped_column(Integer)
    patient_outcome: Mapped[str] = mapped_column(String(10), default="")
    instance_id: Mapped[int | None] = mapped_column(Integer)
    # Set (committed) just before the pathway is started, so a rerun after a crash in between can find
    # the instance that was started and adopt it instead of starting a second one.
    start_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message: Mapped[list[Any] | None] = mapped_column(JSON)  # [msgid, params] for skipped rows


class ReferralColumnMapping(Base):
    """Which field each header means, as a manager chose it (header key -> field, "" = not used). Kept
    per referring institution (`institution:<name>`) and per header set (`headers:<sha256>`)."""

    __tablename__ = "referral_column_mapping"
    __table_args__ = (UniqueConstraint("key", name="uq_referral_column_mapping_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    columns: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
