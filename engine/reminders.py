"""Reminders from any part of the platform, through one mechanism.

A reminder SOURCE is a function `source(session, now) -> Iterable[Reminder]` returning the reminders
that are due at `now` (and not yet stale). `enqueue_due` asks every registered source and queues each
reminder in the outbox under its `dedupe_key`, so running it every minute, twice, or from two processes
sends each reminder once. The Prefect flow workflows/reminders.py runs it.

Registering a source: `register_source("name", fn)` at import time of a module listed in
SOURCE_MODULES (one line per package, like engine.composition.REGISTRARS; a listed module that is not
installed yet is skipped). Built in here:
- `registry_tickets`: appointment tickets (engine.registry), 24 hours and 10 minutes before (not those
  holding an online consultation's time: the session pathway reminds of those, linking its page);
- `doctor_digest`: once a day, from 08:00 in the doctor's time zone, the doctor's overdue tasks.
The consultations package registers its sessions the same way (e.g. "engine.consultations.reminders").
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from engine import outbox, roles
from engine.accounts.models import ACTIVE, User, UserRole
from engine.clock import now as clock_now
from engine.config import LOCALES
from engine.db import transaction
from engine.workflow.access import INSTITUTION_PREFIX

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reminder:
    dedupe_key: str
    recipient: str  # an email address or, for channel "sms", a phone number
    kind: str  # the message template (integrations/templates/<mail|sms>/<kind>.txt)
    context: dict[str, Any]
    due_at: datetime
    channel: str = outbox.EMAIL
    locale: str = "ru"
    user_id: int | None = None


Source = Callable[[Session, datetime], Iterable[Reminder]]
SOURCES: dict[str, Source] = {}
SOURCE_MODULES: tuple[str, ...] = ("engine.consultations.reminders",)


def register_source(name: str, source: Source) -> Source:
    SOURCES[name] = source
    return source


def load_sources() -> dict[str, Source]:
    for name in SOURCE_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue  # not built yet
            raise
    return dict(SOURCES)


@dataclass
class EnqueueReport:
    queued: int = 0
    already: int = 0
    by_source: dict[str, int] = field(default_factory=dict)


def enqueue_due(
    session_factory: sessionmaker[Session], now: datetime | None = None, only: Iterable[str] | None = None
) -> EnqueueReport:
    """Queue every due reminder of every source (or of the named ones); one transaction per source, so
    a broken source does not hold back the others' reminders."""
    now = now or clock_now()
    report = EnqueueReport()
    sources = load_sources()
    for name in sorted(only if only is not None else sources):
        try:
            with transaction(session_factory) as session:
                queued = 0
                for reminder in sources[name](session, now):
                    if reminder.due_at > now or not reminder.recipient:
                        continue
                    row = outbox.enqueue(
                        session, kind=reminder.kind, to=reminder.recipient, context=reminder.context,
                        locale=reminder.locale if reminder.locale in LOCALES else LOCALES[0],
                        dedupe_key=reminder.dedupe_key[:255], channel=reminder.channel, user_id=reminder.user_id,
                    )  # fmt: skip
                    if row is None:
                        report.already += 1
                    else:
                        queued += 1
                report.queued += queued
                report.by_source[name] = queued
        except Exception:
            log.exception("reminder source %s failed; the others went on", name)
            report.by_source[name] = -1
    return report


# --- appointment tickets (engine.registry; queried, never changed here) -----------------------------

TICKET_WINDOWS = (
    # (label, how long before, the latest moment it still makes sense)
    ("24h", timedelta(hours=24), timedelta(hours=2)),
    ("10m", timedelta(minutes=10), timedelta(0)),
)


def ticket_reminders(session: Session, now: datetime) -> Iterable[Reminder]:
    from engine.consultations.models import Consultation
    from engine.registry.messages import ticket_context
    from engine.registry.models import T_CONFIRMED, Ticket

    # Tickets starting within the next 24 hours: both windows open inside it. A ticket holding an online
    # consultation's time is skipped: its pathway reminds with the session's page, not a clinic address.
    online = select(Consultation.id).where(Consultation.ticket_id == Ticket.id).exists()
    tickets = session.scalars(
        select(Ticket).where(Ticket.status == T_CONFIRMED, Ticket.starts_at > now,
                             Ticket.starts_at <= now + TICKET_WINDOWS[0][1], ~online)
    )  # fmt: skip
    for ticket in tickets:
        # The reminder goes the way the booking did: SMS when the code went by SMS, else email.
        channel = outbox.SMS if ticket.code_channel == outbox.SMS and ticket.phone else outbox.EMAIL
        to = ticket.phone if channel == outbox.SMS else ticket.email
        context: dict[str, Any] | None = None
        for label, before, latest in TICKET_WINDOWS:
            due = ticket.starts_at - before
            # A window already passed when the ticket was booked (booked 3 hours ahead) gets no
            # "tomorrow" message: only windows still meaningful now.
            booked = ticket.confirmed_at or ticket.created_at
            # The 24-hour reminder of a ticket booked later than that would repeat the confirmation.
            if due <= now < ticket.starts_at - latest and (booked <= due or before <= timedelta(minutes=10)):
                context = context or {**ticket_context(session, ticket), "link": ""}
                yield Reminder(f"reminder:ticket:{ticket.id}:{label}", to, "ticket_reminder", {**context, "window": label},
                               due, channel, ticket.locale, ticket.user_id if ticket.from_cabinet else None)  # fmt: skip


# --- daily digest of overdue tasks for doctors -------------------------------------------------------

DIGEST_HOUR = time(8, 0)


def doctor_digest(session: Session, now: datetime) -> Iterable[Reminder]:
    from engine.workflow.models import PendingTask

    P = PendingTask
    doctors = session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == roles.DOCTOR, User.status == ACTIVE, User.notify_email.is_(True))
    ).all()  # fmt: skip
    if not doctors:
        return
    # Queue tasks of the whole doctor role (group "role:doctor", or no group) count for every doctor;
    # assigned or claimed ones only for that doctor.
    overdue = (P.role == roles.DOCTOR) & (P.due_at.is_not(None)) & (P.due_at < now)
    shared = session.scalar(
        select(func.count()).where(overdue, P.assignee_user_id.is_(None), P.claimed_by.is_(None),
                                   or_(P.candidate_group.is_(None), P.candidate_group == "role:doctor"))
    ) or 0  # fmt: skip
    # An institution's queue (a referral's review waiting for one of its doctors of the specialty) counts
    # for the doctors of that queue only.
    queues: dict[str, int] = {group: count for group, count in session.execute(
        select(P.candidate_group, func.count())
        .where(overdue, P.assignee_user_id.is_(None), P.claimed_by.is_(None),
               P.candidate_group.like(f"{INSTITUTION_PREFIX}%"))
        .group_by(P.candidate_group)
    ).all() if group}  # fmt: skip
    own = dict(session.execute(
        select(func.coalesce(P.assignee_user_id, P.claimed_by), func.count())
        .where(overdue, or_(P.assignee_user_id.is_not(None), P.claimed_by.is_not(None)))
        .group_by(func.coalesce(P.assignee_user_id, P.claimed_by))
    ).all())  # fmt: skip
    for doctor in doctors:
        mine = int(own.get(doctor.id, 0))
        queue = shared + (sum(queues.get(g, 0) for g in _doctor_groups(session, doctor.id)) if queues else 0)
        if (not mine and not queue) or not doctor.email:
            continue
        zone = ZoneInfo(doctor.timezone or "Europe/Moscow")
        local = now.astimezone(zone)
        due = datetime.combine(local.date(), DIGEST_HOUR, tzinfo=zone)
        yield Reminder(f"digest:doctor:{doctor.id}:{local.date().isoformat()}", doctor.email, "overdue_digest",
                       {"name": doctor.first_name, "own": mine, "queue": int(queue), "date": local.strftime("%d.%m.%Y")},
                       due, outbox.EMAIL, doctor.locale, doctor.id)  # fmt: skip


def _doctor_groups(session: Session, user_id: int) -> set[str]:
    from engine.consultations.centers import doctor_groups  # only when an institution queue has tasks

    return doctor_groups(session, user_id)


def _registry_present() -> bool:
    try:
        importlib.import_module("engine.registry.models")
    except ModuleNotFoundError:
        return False
    return True


if _registry_present():
    register_source("registry_tickets", ticket_reminders)
register_source("doctor_digest", doctor_digest)
