"""Booking through the `ticket_booking` pathway, as the web layer (and tests) call it.

`book()` checks the request, then starts the pathway; its first service task holds the slot inside the
engine step's transaction, so the instance, the hold and the ticket commit together or not at all.
`submit_code()` completes the person's "Enter the confirmation code" task; the pathway checks the code,
confirms, loops for another try, or annuls after the last wrong attempt.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import audit, roles
from engine.clock import now
from engine.db import transaction
from engine.i18n import N_, Conflict, NotFound, UserError
from engine.registry import tickets
from engine.registry.identity import Identity
from engine.registry.models import FREE, T_CONFIRMED, T_HELD, Slot, Ticket
from engine.workflow import Actor, ConnectorRegistry, start_instance
from engine.workflow import complete_task as engine_complete
from engine.workflow.models import ERROR, PendingTask, ProcessInstance

MODEL_ID = "ticket_booking"
CODE_TASK = "enter_code"
NO_CONNECTION = N_(
    "The selected time is unavailable for booking. Unfortunately there is temporarily no connection with "
    "the clinic. Please try again later."
)  # R-ERR-01


def overlap_message(number: str | None) -> UserError:
    return UserError(N_("You already hold ticket No. %(number)s at this time. One person cannot hold two "
                        "tickets at the same time: cancel that one or choose another time."), number=number or "")


@dataclass
class BookingRequest:
    slot_id: int
    user_id: int
    identity: Identity
    from_cabinet: bool
    channel: str = "email"  # how the code goes: "sms" only with a phone and a configured gateway
    base_url: str = ""
    ip: str = ""
    consent_version: str = ""


@dataclass
class Booked:
    ticket_id: int
    number: str
    status: str
    token: str  # the raw page token; only its hash is stored


def _precheck(session: Session, request: BookingRequest) -> Slot:
    slot = session.get(Slot, request.slot_id)
    if slot is None:
        raise NotFound(N_("There is no such time in the schedule."))
    if slot.starts_at <= now():
        raise UserError(N_("This time has already passed. Choose a time in the future."))
    if slot.status != FREE:
        raise Conflict(tickets.SLOT_TAKEN)
    other = tickets.overlapping(session, user_id=request.user_id, identity_key=request.identity.key,
                                starts_at=slot.starts_at, ends_at=slot.ends_at)
    if other is not None:
        raise overlap_message(other.number)
    return slot


def book(session_factory: sessionmaker[Session], request: BookingRequest,
         connectors: ConnectorRegistry | None = None) -> Booked:
    """Start the pathway for one booking; raises UserError/Conflict with the reason when nothing was held."""
    with session_factory() as session:
        _precheck(session, request)
    token = secrets.token_urlsafe(24)
    base = request.base_url.rstrip("/")
    person = {
        **asdict(request.identity),
        "birth_date": request.identity.birth_date.isoformat() if request.identity.birth_date else None,
        "identity_key": request.identity.key,
        "slot_id": request.slot_id,
        "user_id": request.user_id,
        "from_cabinet": request.from_cabinet,
        "channel": "email" if request.from_cabinet else request.channel,
        "access_token_hash": tickets.token_hash(token),
        "consent_version": request.consent_version,
        # Links in the messages. The page link carries the token: whoever has the message may open the
        # ticket, as whoever has the code may confirm it.
        "ticket_url": f"{base}/registry/my" if request.from_cabinet else f"{base}/registry/ticket/{token}",
        "base_url": base,
        "ip": request.ip,
    }
    person.pop("consent", None)
    actor = Actor(request.user_id, frozenset({roles.PATIENT}))
    instance_id = start_instance(session_factory, MODEL_ID, actor, {"booking": person},
                                 patient_id=request.user_id, connectors=connectors)
    with transaction(session_factory) as session:
        ticket = session.scalars(select(Ticket).where(Ticket.process_instance_id == instance_id)).first()
        if ticket is not None:
            return Booked(ticket.id, ticket.number or "", ticket.status, token)
        instance = session.get(ProcessInstance, instance_id)
        failed = instance is not None and instance.status == ERROR
        audit.record(session, "booking_refused", actor_id=request.user_id, ip=request.ip,
                     object_type="slot", object_id=request.slot_id, reason="error" if failed else "taken")
    if failed:
        raise UserError(NO_CONNECTION)
    with session_factory() as session:
        _precheck(session, request)  # names the reason: overlap, or the time went meanwhile
    raise Conflict(tickets.SLOT_TAKEN)


def ticket_by_token(session: Session, token: str) -> Ticket:
    ticket = session.scalars(select(Ticket).where(Ticket.access_token_hash == tickets.token_hash(token))).first()
    if ticket is None or not token:
        raise NotFound(N_("There is no such ticket."))
    return ticket


def code_task(session: Session, ticket: Ticket) -> PendingTask | None:
    if ticket.process_instance_id is None:
        return None
    return session.scalars(
        select(PendingTask).where(PendingTask.instance_id == ticket.process_instance_id,
                                  PendingTask.task_name == CODE_TASK)
    ).first()


def submit_code(session_factory: sessionmaker[Session], ticket_id: int, code: str,
                connectors: ConnectorRegistry | None = None) -> Ticket:
    """Hand the code to the pathway; returns the ticket as it is afterwards (confirmed, held, annulled)."""
    code = "".join((code or "").split())
    if not (len(code) == tickets.CODE_DIGITS and code.isdigit()):
        raise UserError(N_("The confirmation code has 6 digits."))
    with session_factory() as session:
        ticket = tickets.get_ticket(session, ticket_id)
        task = code_task(session, ticket)
        if ticket.status != T_HELD or task is None:
            raise UserError(N_("This booking is no longer waiting for a code."))
        actor = Actor(ticket.user_id, frozenset({roles.PATIENT}))
        instance_id, guid = task.instance_id, task.task_guid
    engine_complete(session_factory, actor, instance_id, guid, {"code": code}, connectors=connectors)
    with session_factory() as session:
        return tickets.get_ticket(session, ticket_id)


def code_outcome(ticket: Ticket) -> dict[str, Any]:
    """What the page says after a code: confirmed, or how many attempts are left, or annulled."""
    return {
        "confirmed": ticket.status == T_CONFIRMED,
        "attempts_left": max(ticket.code_attempts_max - ticket.code_attempts, 0),
        "annulled": ticket.status not in (T_HELD, T_CONFIRMED),
    }
