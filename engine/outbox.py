"""The transactional outbox: a message to send is a row written in the same transaction as the change
that causes it, so a committed change always notifies and a rolled-back one never does.

A deliverer (the Prefect flow in workflows/notifications.py, or `deliver_now` in development) claims due
rows, hands each to a courier that renders and sends it, and records every attempt in `delivery_attempt`
so an admin can see why a message did not go. The engine never imports integrations: the courier comes
in as `transport_factory`, and any exception it raises is a failed attempt (permanent when it carries
`permanent=True`, as `integrations.base.TransportError` does).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Table, Text, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, sessionmaker

from engine import clock
from engine.config import LOCALES
from engine.db import Base, UTCDateTime, transaction
from engine.leases import DEFAULT_LEASE, Heartbeat

EMAIL = "email"
SMS = "sms"
CHANNELS = (EMAIL, SMS)

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"  # permanent: no more attempts
STATUSES = (QUEUED, SENDING, SENT, FAILED)

# Wait after the 1st, 2nd, ... failed attempt; the attempt after the last wait is the final one.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=60))
MAX_ATTEMPTS = len(BACKOFF) + 1
# A claimed row whose deliverer died is claimed again after this. A live deliverer renews its claim every
# third of it while it sends (engine/leases.py), so a slow batch (every send waiting for the SMTP
# timeout) is not overtaken, and a dead deliverer's messages wait one lease, not the longest batch.
CLAIM_LEASE = DEFAULT_LEASE
DEFAULT_BATCH = 100
ENQUEUED_FLAG = "outbox_enqueued"
BULK_CHUNK = 1000  # rows per executemany in enqueue_many
# deliver_due records each message's outcome in its own transaction as soon as it is known, so a
# deliverer killed mid-batch sends nothing twice: only the one message in flight, which the mail server
# had not accepted, goes again after the lease. PostgreSQL does not wait for its WAL flush on these
# commits (synchronous_commit off, for this transaction only): the record is durable within a fraction
# of a second, and a crash of the database server itself in that instant means a second send, not a loss.
SETTLE_GROUP = 1
ERROR_LIMIT = 2000  # characters of an error kept; SMTP servers can answer with pages of text


class OutboxMessage(Base):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16), default=EMAIL)
    recipient: Mapped[str] = mapped_column(String(320))
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    locale: Mapped[str] = mapped_column(String(8))
    context: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(postgresql.JSONB(), "postgresql"))
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # For a row in SENDING this is the end of the deliverer's lease, not a retry time.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)

    attempt_log: Mapped[list[DeliveryAttempt]] = relationship(
        back_populates="message", order_by="DeliveryAttempt.id", cascade="all, delete-orphan"
    )

    # The deliverer's only query: due rows by status and time.
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)

    message: Mapped[OutboxMessage] = relationship(back_populates="attempt_log")


def calendar_attachment(*, uid: str, starts_at: datetime, ends_at: datetime, location: str, filename: str,
                        remind_minutes: int = 60) -> dict[str, Any]:
    """An `attachments` entry of a row's context that the courier turns into an .ics at delivery (titled
    with the mail's subject, in the reader's language)."""
    return {"filename": filename, "content_type": "text/calendar", "calendar": {
        "uid": uid, "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(), "location": location,
        "remind_minutes": remind_minutes}}


def enqueue(
    session: Session,
    *,
    kind: str,
    to: str,
    context: dict[str, Any],
    locale: str,
    dedupe_key: str | None = None,
    channel: str = EMAIL,
    user_id: int | None = None,
) -> OutboxMessage | None:
    """Queue a message in the caller's transaction (not committed here).

    Returns None when a message with the same `dedupe_key` exists, also when another transaction is
    inserting it at the same moment (PostgreSQL waits for that one to finish and then skips).
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; expected one of {CHANNELS}")
    if locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}; expected one of {LOCALES}")
    if not to:
        raise ValueError(f"a {kind} message needs a recipient")
    now = clock.now()
    values = dict(
        kind=kind,
        channel=channel,
        recipient=to,
        user_id=user_id,
        locale=locale,
        context=dict(context),
        dedupe_key=dedupe_key,
        status=QUEUED,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    dialect = session.get_bind().dialect.name
    # ON CONFLICT DO NOTHING rather than catching IntegrityError: no savepoint, no doubt about which
    # constraint failed, and the race between two transactions is settled by the database.
    statement: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        statement = postgresql.insert(OutboxMessage).values(**values)
        statement = statement.on_conflict_do_nothing(index_elements=[OutboxMessage.dedupe_key])
    elif dialect == "sqlite":
        statement = sqlite.insert(OutboxMessage).values(**values)
        statement = statement.on_conflict_do_nothing(index_elements=[OutboxMessage.dedupe_key])
    else:
        raise RuntimeError(f"the outbox supports SQLite and PostgreSQL, not {dialect}")
    row = session.scalars(statement.returning(OutboxMessage)).one_or_none()
    if row is not None:
        # Lets the app composition wake the deliverer once this transaction commits (see webui).
        session.info[ENQUEUED_FLAG] = True
    return row


def enqueue_many(session: Session, messages: Sequence[dict[str, Any]]) -> int:
    """Queue many messages in one INSERT per chunk, in the caller's transaction; returns how many were new.

    Each message has the keyword arguments of `enqueue` (kind, to, context, locale, dedupe_key, channel,
    user_id). A message whose `dedupe_key` is already queued is skipped like in `enqueue`, so a bulk
    sender (the evening monitoring dispatch) that runs twice queues nothing twice.
    """
    now = clock.now()
    rows = []
    for message in messages:
        channel, locale, to = message.get("channel", EMAIL), message["locale"], message["to"]
        if channel not in CHANNELS or locale not in LOCALES or not to:
            raise ValueError(f"cannot queue {message.get('kind')!r} to {to!r} ({channel}, {locale})")
        rows.append(
            dict(kind=message["kind"], channel=channel, recipient=to, user_id=message.get("user_id"), locale=locale,
                 context=dict(message["context"]), dedupe_key=message.get("dedupe_key"), status=QUEUED,
                 attempts=0, next_attempt_at=now, created_at=now)
        )  # fmt: skip
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise RuntimeError(f"the outbox supports SQLite and PostgreSQL, not {dialect}")
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, OutboxMessage.__table__)
    statement = insert(table).on_conflict_do_nothing(index_elements=[table.c.dedupe_key]).returning(table.c.id)
    added = 0
    for start in range(0, len(rows), BULK_CHUNK):
        # executemany with RETURNING: SQLAlchemy batches it into multi-row INSERTs ("insertmanyvalues").
        added += len(session.execute(statement, rows[start : start + BULK_CHUNK]).all())
    if added:
        session.info[ENQUEUED_FLAG] = True
    return added


@dataclass(frozen=True)
class QueuedMessage:
    """What a courier needs to send one row; a plain value, so couriers never touch the session."""

    id: int
    kind: str
    channel: str
    to: str
    locale: str
    context: dict[str, Any]
    created_at: datetime
    attempt: int  # 1 for the first try


class Courier(Protocol):
    """Renders and sends queued messages; entered once per batch so it can keep a connection open."""

    def __enter__(self) -> Courier: ...

    def __exit__(self, *exc_info: object) -> bool | None: ...

    def send(self, message: QueuedMessage) -> None: ...


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list, repr=False)

    @property
    def total(self) -> int:
        return self.sent + self.retried + self.failed

    def __iadd__(self, other: DeliveryReport) -> DeliveryReport:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.errors.extend(other.errors)
        return self


def claim_due(
    session_factory: sessionmaker[Session], limit: int = DEFAULT_BATCH, now: datetime | None = None,
    lease: timedelta = CLAIM_LEASE,
) -> list[QueuedMessage]:
    """Mark up to `limit` due rows as SENDING for this deliverer and return them, oldest first.

    One UPDATE ... WHERE status = 'queued' ... RETURNING: a row another deliverer claimed first no longer
    matches, so each row goes to one deliverer. PostgreSQL also skips rows locked by a concurrent claim
    instead of waiting for them; SQLite serializes writers anyway. Rows left in SENDING by a deliverer
    that died are due again once their lease has run out.
    """
    now = now or clock.now()
    M = OutboxMessage
    due = (M.status == QUEUED) | (M.status == SENDING)
    # A CTE evaluated once: as an IN (subquery), PostgreSQL may rescan the subquery per row, and each
    # rescan with SKIP LOCKED moves past the rows it has just updated, so LIMIT would stop limiting.
    candidates = (
        select(M.id)
        .where(due, M.next_attempt_at <= now)
        .order_by(M.next_attempt_at, M.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("candidates")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    claim = (
        update(M)
        .where(M.id == candidates.c.id, due, M.next_attempt_at <= now)
        .values(status=SENDING, next_attempt_at=now + lease)
        .returning(M.id, M.kind, M.channel, M.recipient, M.locale, M.context, M.created_at, M.attempts)
        .execution_options(synchronize_session=False)
    )
    with transaction(session_factory) as session:
        # Look before claiming: the claim is a write, and a deliverer polling every few seconds should not
        # take SQLite's write lock (and stale other transactions' snapshots) when nothing is due.
        if session.scalar(select(M.id).where(due, M.next_attempt_at <= now).limit(1)) is None:
            return []
        rows = session.execute(claim).all()
    claimed = [
        QueuedMessage(
            id=r.id,
            kind=r.kind,
            channel=r.channel,
            to=r.recipient,
            locale=r.locale,
            context=dict(r.context or {}),
            created_at=r.created_at,
            attempt=r.attempts + 1,
        )
        for r in rows
    ]
    return sorted(claimed, key=lambda m: m.id)


def renew_claims(
    session_factory: sessionmaker[Session], ids: Sequence[int], lease: timedelta = CLAIM_LEASE
) -> None:
    """Move the lease of these claimed rows that are still being sent to one lease from now (rows already
    settled are no longer SENDING and are left alone)."""
    M = OutboxMessage
    with transaction(session_factory) as session:
        session.execute(
            update(M).where(M.id.in_(ids), M.status == SENDING).values(next_attempt_at=clock.now() + lease)
            .execution_options(synchronize_session=False)
        )


def deliver_due(
    session_factory: sessionmaker[Session],
    transport_factory: Callable[[], Courier],
    limit: int = DEFAULT_BATCH,
    lease: timedelta = CLAIM_LEASE,
) -> DeliveryReport:
    """Claim one batch of due messages and send each through one courier; record every attempt.

    Outcomes are recorded per group of SETTLE_GROUP messages (one), one transaction each. The claim is
    renewed while the batch is sent; should the deliverer die, the rows it had not recorded yet are still
    claimed and go again once their lease has run out.
    """
    report = DeliveryReport()
    claimed = claim_due(session_factory, limit, lease=lease)
    if not claimed:
        return report
    outcomes: list[Outcome] = []
    ids = [message.id for message in claimed]
    with ExitStack() as stack:
        stack.enter_context(Heartbeat(lease, lambda: renew_claims(session_factory, ids, lease), "outbox claims"))
        try:
            courier = stack.enter_context(transport_factory())
        except Exception as exc:  # the courier cannot even start: that is every claimed row's attempt
            _settle(session_factory, [(message, exc, 0) for message in claimed], report)
            return report
        try:
            for message in claimed:
                started = time.perf_counter()
                error: BaseException | None = None
                try:
                    courier.send(message)
                except Exception as exc:  # a failed attempt of any kind is recorded, never lost
                    error = exc
                outcomes.append((message, error, _ms_since(started)))
                if len(outcomes) >= SETTLE_GROUP:
                    _settle(session_factory, outcomes, report)
                    outcomes = []
        finally:
            # Also when interrupted: what was sent is recorded as sent, not sent again after the lease.
            if outcomes:
                _settle(session_factory, outcomes, report)
    return report


Outcome = tuple[QueuedMessage, BaseException | None, int]  # message, error (None: sent), duration in ms


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def describe(error: BaseException) -> str:
    text = str(error) or error.__class__.__name__
    return text[:ERROR_LIMIT]


def _settle(session_factory: sessionmaker[Session], outcomes: Sequence[Outcome], report: DeliveryReport) -> None:
    """Store a group of attempts' outcomes in one transaction, so a crash later in the batch keeps them."""
    now = clock.now()
    table, log = cast(Table, OutboxMessage.__table__), cast(Table, DeliveryAttempt.__table__)
    ids = [message.id for message, _error, _ms in outcomes]
    statuses: dict[int, tuple[str, str | None]] = {}
    with transaction(session_factory) as session:
        # Core statements on the connection: this runs for every message, and the ORM's bookkeeping
        # cost more than the database work here.
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        # Written before anything is read: on SQLite a transaction that reads first and writes later
        # can fail at once with "database is locked" when another deliverer wrote in between.
        attempts = dict(
            connection.execute(
                update(table)
                .where(table.c.id.in_(ids))
                .values(attempts=table.c.attempts + 1)
                .returning(table.c.id, table.c.attempts)
            ).all()
        )
        # A row missing from `attempts` was deleted meanwhile (e.g. the account was erased).
        present = [(m, e, ms) for m, e, ms in outcomes if m.id in attempts]
        if not present:
            return
        entries = []
        for message, error, duration_ms in present:
            text = describe(error) if error is not None else None
            entries.append({"message_id": message.id, "at": now, "ok": text is None, "error": text,
                            "duration_ms": duration_ms})  # fmt: skip
            if text is None:
                statuses[message.id] = (SENT, None)
            elif getattr(error, "permanent", False) or attempts[message.id] >= MAX_ATTEMPTS:
                statuses[message.id] = (FAILED, text)
            else:
                statuses[message.id] = (QUEUED, text)
        connection.execute(log.insert(), entries)
        sent = [i for i, (status, _text) in statuses.items() if status == SENT]
        if sent:
            connection.execute(
                update(table).where(table.c.id.in_(sent)).values(status=SENT, sent_at=now, last_error=None)
            )
        for message_id, (status, text) in statuses.items():
            if status == FAILED:
                changes: dict[str, object] = {"status": FAILED, "last_error": text}
            elif status == QUEUED:
                wait = BACKOFF[min(attempts[message_id], len(BACKOFF)) - 1]
                changes = {"status": QUEUED, "last_error": text, "next_attempt_at": now + wait}
            else:
                continue
            connection.execute(update(table).where(table.c.id == message_id).values(**changes))
    # Counted only once committed, so the report never claims an outcome the database lacks.
    for message, _error, _ms in present:
        status, text = statuses[message.id]
        if status == SENT:
            report.sent += 1
            continue
        report.errors.append(f"#{message.id} {message.kind} to {message.to}: {text}")
        if status == FAILED:
            report.failed += 1
        else:
            report.retried += 1


def retry_now(session: Session, message_id: int) -> OutboxMessage:
    """An admin's "send again": a failed or waiting message becomes due now with a fresh attempt budget.

    Earlier attempts stay in `delivery_attempt`; only the counter that decides "give up" restarts.
    """
    row = session.get(OutboxMessage, message_id, with_for_update=True)
    if row is None:
        raise LookupError(f"no outbox message {message_id}")
    if row.status in (QUEUED, FAILED):
        row.status, row.attempts, row.next_attempt_at = QUEUED, 0, clock.now()
    return row


def recent(session: Session, *, limit: int = 50, statuses: Sequence[str] = STATUSES) -> list[OutboxMessage]:
    """Newest messages first, for the admin's outbox page."""
    query = select(OutboxMessage).where(OutboxMessage.status.in_(statuses))
    return list(session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))
