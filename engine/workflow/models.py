"""Tables of the workflow engine: models and their immutable versions, instances, and the indexes
(pending tasks, due timers, waiting messages) that let the web layer and the timer tick find work
without deserializing any workflow."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DDL, JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import now
from engine.db import Base, UTCDateTime

# Instance statuses: one place, used by the runtime and by queries.
RUNNING = "running"  # engine steps are possible right now (transient inside a step)
WAITING = "waiting"  # waits for a person, a timer or a message
COMPLETED = "completed"
CANCELLED = "cancelled"
ERROR = "error"
STATUSES = (RUNNING, WAITING, COMPLETED, CANCELLED, ERROR)
FINISHED_STATUSES = (COMPLETED, CANCELLED)


class ProcessModel(Base):
    __tablename__ = "process_model"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # slug, e.g. consultation_duty
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class ProcessModelVersion(Base):
    """One deploy of a model: immutable. The parsed spec is serialized here once, not per instance."""

    __tablename__ = "process_model_version"
    __table_args__ = (UniqueConstraint("process_model_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_model_id: Mapped[str] = mapped_column(ForeignKey("process_model.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    # Deferred: an engine step needs neither the files nor (with a warm cache) the spec.
    files: Mapped[dict[str, str]] = mapped_column(JSON, deferred=True)  # relative path -> text
    sha256: Mapped[str] = mapped_column(String(64))
    primary_process_id: Mapped[str] = mapped_column(String(200))
    # process id -> version id that supplied it (this one, or the version of another model that a
    # call activity reaches); tells where a task's form file lives.
    process_sources: Mapped[dict[str, int | None]] = mapped_column(JSON, default=dict)
    serialized_spec: Mapped[str] = mapped_column(Text, deferred=True)
    deployed_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # From model.json's "patient_start": None = started only by staff, its own pages or connectors;
    # {} = a patient may start it as it is; {"form": "forms/x.json"} = with that start form first.
    patient_start: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)


class ProcessInstance(Base):
    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_process_instance_patient_status", "patient_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_model_version.id"), index=True)
    process_model_id: Mapped[str] = mapped_column(String(100), index=True)  # denormalized for filters
    status: Mapped[str] = mapped_column(String(20), index=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_element: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The workflow-level part of SpiffWorkflow's serialization (no spec, no tasks: those are ProcessTask
    # rows), with the serializer version; see persistence.py.
    state: Mapped[str] = mapped_column(Text)
    patient_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    revision: Mapped[int] = mapped_column(Integer, default=0)


class ProcessTask(Base):
    """One task of an instance's live task tree, as SpiffWorkflow's task converter writes it; a step
    rewrites only the rows of tasks it changed (see persistence.py)."""

    __tablename__ = "process_task"

    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True
    )
    task_guid: Mapped[str] = mapped_column(String(36), primary_key=True)
    # "" for the instance's top workflow, else the id of the task that runs the subprocess holding it.
    workflow_guid: Mapped[str] = mapped_column(String(36))
    # Creation order: SpiffWorkflow's loader needs a task's parent restored before the task.
    seq: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)


class ProcessTaskArchive(Base):
    """Tasks of completed loop iterations taken out of the live tree (see pruning.py), kept as written
    last; the engine never reads them."""

    __tablename__ = "process_task_archive"

    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True
    )
    task_guid: Mapped[str] = mapped_column(String(36), primary_key=True)
    workflow_guid: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


_ASSIGNED = "assignee_user_id IS NOT NULL"
_ROLE_QUEUE = "assignee_user_id IS NULL AND candidate_group IS NULL"


class PendingTask(Base):
    """A ready user task, rebuilt in every engine step; inboxes and counts query only this table."""

    __tablename__ = "pending_task"
    # Each inbox branch (see views._branches) is one of these ranges, read in inbox order (sort_at, id), so
    # a page of 100 reads about 100 index entries. The queues are partial indexes: PostgreSQL orders by an
    # index only past columns fixed by `=`, and `assignee_user_id IS NULL` is not `=`; as the index's
    # WHERE it needs no key column at all.
    __table_args__ = (
        UniqueConstraint("instance_id", "task_guid"),
        # Partial too, so that no planner takes it for `assignee_user_id IS NULL` (SQLite's statistics
        # average the many NULLs away and would scan every queue task of every institution through it).
        Index(
            "ix_pending_task_assignee_order", "assignee_user_id", "sort_at", "id",
            postgresql_where=text(_ASSIGNED), sqlite_where=text(_ASSIGNED),
        ),
        Index("ix_pending_task_patient_order", "patient_id", "sort_at", "id"),
        Index(
            "ix_pending_task_group_queue", "role", "candidate_group", "sort_at", "id",
            postgresql_where=text("assignee_user_id IS NULL"), sqlite_where=text("assignee_user_id IS NULL"),
        ),
        Index(
            "ix_pending_task_role_queue", "role", "sort_at", "id",
            postgresql_where=text(_ROLE_QUEUE), sqlite_where=text(_ROLE_QUEUE),
        ),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    process_model_id: Mapped[str] = mapped_column(String(100))
    task_guid: Mapped[str] = mapped_column(String(36))
    task_name: Mapped[str] = mapped_column(String(200))  # BPMN element id
    title: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(100), nullable=True)
    role: Mapped[str] = mapped_column(String(50))
    assignee_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    candidate_group: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claimed_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    patient_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    form_filename: Mapped[str | None] = mapped_column(String(300), nullable=True)
    form_version_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The due date, or the end of time when there is none: one index then gives the inbox order
    # (overdue first, then by due date, undated last) on SQLite and PostgreSQL alike.
    sort_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


NO_DUE_DATE = datetime(9999, 12, 31, tzinfo=UTC)


class DueTimer(Base):
    __tablename__ = "due_timer"
    __table_args__ = (UniqueConstraint("instance_id", "task_guid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    task_guid: Mapped[str] = mapped_column(String(36))
    task_name: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Set by the timer worker that is firing this timer (engine.workflow.timer_claims): until then no other
    # worker takes it. A worker that dies leaves it to be claimed again once this time has passed.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


# PostgreSQL tells listening timer workers when timers are written, so a new timer due before the one a
# worker sleeps towards wakes it at once (NOTIFY is sent at commit, once per transaction and channel).
DUE_TIMER_CHANNEL = "carepath_due_timer"
DUE_TIMER_NOTIFY_DDL = (
    "CREATE OR REPLACE FUNCTION carepath_notify_due_timer() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN PERFORM pg_notify('{DUE_TIMER_CHANNEL}', ''); RETURN NULL; END $$",
    "CREATE TRIGGER due_timer_notify AFTER INSERT ON due_timer FOR EACH STATEMENT "
    "EXECUTE FUNCTION carepath_notify_due_timer()",
)
DUE_TIMER_NOTIFY_DROP = (
    "DROP TRIGGER IF EXISTS due_timer_notify ON due_timer",
    "DROP FUNCTION IF EXISTS carepath_notify_due_timer()",
)
for _statement in DUE_TIMER_NOTIFY_DDL:  # also for schemas made by create_all (tests)
    event.listen(DueTimer.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


class WaitingMessage(Base):
    """A message catch event waiting in an instance, with the correlation values it expects."""

    __tablename__ = "waiting_message"
    __table_args__ = (
        UniqueConstraint("instance_id", "task_guid"),
        Index("ix_waiting_message_name_key", "message_name", "correlation_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    task_guid: Mapped[str] = mapped_column(String(36))
    message_name: Mapped[str] = mapped_column(String(200))
    correlation_key: Mapped[str] = mapped_column(String(500))  # canonical JSON of the values


class TaskHistory(Base):
    __tablename__ = "task_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36))
    task_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    completed_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class InstanceEvent(Base):
    """What happened to an instance outside user tasks: start, error, retry, cancel, message, timer."""

    __tablename__ = "instance_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    actor_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
