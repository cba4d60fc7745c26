"""Tables of the pathway studio: the analyst's saved drafts, and the record of every instance moved to
another version of its model (who, when, from which version to which)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import now
from engine.db import Base, UTCDateTime


class StudioDraft(Base):
    """The files an analyst is working on for a model, not deployed yet (one draft per model)."""

    __tablename__ = "studio_draft"

    process_model_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    base_version_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the version it started from
    updated_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class InstanceMigration(Base):
    """One running instance moved to a newer version of its model (see engine.studio.migrate)."""

    __tablename__ = "instance_migration"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), index=True
    )
    from_version_id: Mapped[int] = mapped_column(Integer)
    to_version_id: Mapped[int] = mapped_column(Integer)
    migrated_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    migrated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    detail: Mapped[str] = mapped_column(Text, default="")  # which waiting tasks were re-predicted
