"""Ticket state changes inside one transaction (the pathway's connectors and the cabinet call these).

Never two tickets for one slot: the slot moves free -> held by one conditional UPDATE
(`... WHERE id = ? AND status = 'free'`); of concurrent bookers exactly one sees rowcount 1. The partial
unique index on active tickets per slot backs it up. One person never holds two tickets at overlapping
times: the check runs after locking the person's account row, so two bookings of one person queue up.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from engine import audit
from engine.accounts.models import User
from engine.clock import now
from engine.i18n import N_, Forbidden, NotFound, UserError
from engine.registry.models import (
    ACTIVE_TICKET,
    BOOKED,
    FREE,
    HELD,
    T_ANNULLED,
    T_CANCELLED,
    T_CONFIRMED,
    T_HELD,
    T_MISSED,
    T_VISITED,
    Slot,
    Ticket,
)

NUMBER_BASE = 100_200_000  # ticket numbers look like the seed's «Талон №100203088»
CODE_DIGITS = 6
SLOT_TAKEN = N_("The selected time is no longer available.")


def token_hash(raw: str) -> str:
    return hashlib.sha256(("ticket-page:" + (raw or "")).encode("utf-8")).hexdigest()


def code_hash(ticket_id: int, code: str) -> str:
    return hashlib.sha256(f"ticket-code:{ticket_id}:{code}".encode()).hexdigest()


def overlapping(session: Session, *, user_id: int, identity_key: str, starts_at: datetime, ends_at: datetime,
                exclude_id: int | None = None) -> Ticket | None:
    query = select(Ticket).where(
        Ticket.status.in_(ACTIVE_TICKET),
        or_(Ticket.user_id == user_id, Ticket.identity_key == identity_key),
        Ticket.starts_at < ends_at, Ticket.ends_at > starts_at,
    )
    if exclude_id is not None:
        query = query.where(Ticket.id != exclude_id)
    return session.scalars(query.limit(1)).first()


def hold(session: Session, *, slot_id: int, user_id: int, person: dict[str, Any], hold_until: datetime,
         instance_id: int | None = None) -> dict[str, Any]:
    """Take the slot for this person. Returns {"held": True, ...} or {"held": False, "reason": ...}."""
    slot = session.get(Slot, slot_id)
    if slot is None or slot.starts_at <= now():
        return {"held": False, "reason": "gone"}
    # Serializes bookings of one person (PostgreSQL row lock; SQLite has one writer anyway).
    session.execute(select(User.id).where(User.id == user_id).with_for_update())
    other = overlapping(session, user_id=user_id, identity_key=person["identity_key"],
                        starts_at=slot.starts_at, ends_at=slot.ends_at)
    if other is not None:
        return {"held": False, "reason": "overlap", "other": other.number}
    taken = session.execute(
        update(Slot).where(Slot.id == slot_id, Slot.status == FREE).values(status=HELD)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return {"held": False, "reason": "taken"}
    birth = person.get("birth_date")
    ticket = Ticket(
        slot_id=slot.id, user_id=user_id, status=T_HELD, from_cabinet=bool(person.get("from_cabinet")),
        doctor_id=slot.doctor_id, post_id=slot.post_id, institution_id=slot.institution_id,
        starts_at=slot.starts_at, ends_at=slot.ends_at, identity_key=person["identity_key"],
        doc_type=person.get("doc_type", "none"), doc_number=person.get("doc_number", ""),
        last_name=person.get("last_name", ""), first_name=person.get("first_name", ""),
        patronymic=person.get("patronymic", ""),
        birth_date=datetime.fromisoformat(birth).date() if birth else None,
        phone=person.get("phone", ""), email=person.get("email", ""), locale=person.get("locale", "ru"),
        consent_version=person.get("consent_version", ""), code_channel=person.get("channel", "email"),
        access_token_hash=person.get("access_token_hash") or None, hold_expires_at=hold_until,
        process_instance_id=instance_id, created_at=now(),
    )
    session.add(ticket)
    session.flush()
    ticket.number = str(NUMBER_BASE + ticket.id)
    session.flush()
    return {"held": True, "ticket_id": ticket.id, "number": ticket.number, "expires_at": hold_until.isoformat()}


def get_ticket(session: Session, ticket_id: int, *, for_update: bool = False) -> Ticket:
    ticket = session.get(Ticket, ticket_id, with_for_update=for_update or None)
    if ticket is None:
        raise NotFound(N_("There is no such ticket."))
    return ticket


def new_code(session: Session, ticket: Ticket, max_attempts: int) -> str:
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    ticket.code_hash = code_hash(ticket.id, code)
    ticket.code_attempts = 0
    ticket.code_attempts_max = max_attempts
    return code


def check_code(session: Session, ticket: Ticket, code: str) -> str:
    """'ok', 'wrong' (attempts left), 'exhausted' (the last attempt failed) or 'ended' (not held)."""
    if ticket.status != T_HELD or ticket.code_hash is None:
        return "ended"
    given = "".join((code or "").split())
    if hmac.compare_digest(code_hash(ticket.id, given), ticket.code_hash):
        return "ok"
    ticket.code_attempts += 1
    return "exhausted" if ticket.code_attempts >= ticket.code_attempts_max else "wrong"


def confirm(session: Session, ticket: Ticket, *, ip: str = "") -> bool:
    if ticket.status != T_HELD:
        return False
    ticket.status = T_CONFIRMED
    ticket.confirmed_at = now()
    ticket.code_hash = None  # used up
    session.execute(update(Slot).where(Slot.id == ticket.slot_id).values(status=BOOKED))
    audit.record(session, "booking", actor_id=ticket.user_id, ip=ip, object_type="ticket", object_id=ticket.id,
                 number=ticket.number, when=ticket.starts_at.isoformat())
    return True


def annul(session: Session, ticket: Ticket, *, reason: str) -> bool:
    """An unconfirmed hold ends: the slot is free again. False if the ticket was not held any more."""
    if ticket.status != T_HELD:
        return False
    ticket.status = T_ANNULLED
    ticket.ended_at = now()
    ticket.end_reason = reason[:40]
    ticket.code_hash = None
    session.execute(update(Slot).where(Slot.id == ticket.slot_id, Slot.status == HELD).values(status=FREE))
    audit.record(session, "ticket_annulled", actor_id=None, subject_id=ticket.user_id, object_type="ticket",
                 object_id=ticket.id, number=ticket.number, reason=reason[:40])
    return True


def cancel(session: Session, ticket: Ticket, *, user_id: int, ip: str = "") -> None:
    """The patient cancels a confirmed ticket before its time (R-BOOK-36/37); the slot is free again."""
    if ticket.user_id != user_id:
        raise Forbidden(N_("This ticket is not yours."))
    _cancel(session, ticket, actor_id=user_id, ip=ip)


def ticket_for_identity(session: Session, number: str, identity: str) -> Ticket:
    """A ticket booked without an account, found by its number and the identity used to book it: the
    document's number, or the last name when no document was given. Anything else -- no such number, a
    cabinet ticket, another identity -- gets the same answer, so the form tells nothing about tickets."""
    given = _folded(identity)
    ticket = session.scalars(select(Ticket).where(Ticket.number == (number or "").strip())).first()
    if ticket is None or ticket.from_cabinet or not given or given not in {
            _folded(ticket.doc_number or ""), _folded(ticket.last_name or "")}:
        raise NotFound(N_("There is no ticket with this number for this person."))
    return ticket


def cancel_by_identity(session: Session, ticket: Ticket, *, ip: str = "") -> None:
    """The anonymous booker cancels (the caller found the ticket by number and identity); journalled with
    no account, as the booking itself was."""
    _cancel(session, ticket, actor_id=None, ip=ip, via="identity")


def _folded(text: str) -> str:
    # "1234 567890", "1234-567890" and "Иванова"/"иванова"/"ИВАНОВА" are the same person's answer.
    return "".join(ch for ch in text.casefold().replace("ё", "е") if ch.isalnum())


def _cancel(session: Session, ticket: Ticket, *, actor_id: int | None, ip: str, via: str = "cabinet") -> None:
    if ticket.status != T_CONFIRMED:
        raise UserError(N_("Only a confirmed ticket can be cancelled."))
    if ticket.starts_at <= now():
        raise UserError(N_("The time of this visit has passed; it can no longer be cancelled."))
    ticket.status = T_CANCELLED
    ticket.ended_at = now()
    ticket.end_reason = "patient"
    session.execute(update(Slot).where(Slot.id == ticket.slot_id, Slot.status == BOOKED).values(status=FREE))
    audit.record(session, "cancellation", actor_id=actor_id, subject_id=ticket.user_id, ip=ip, object_type="ticket",
                 object_id=ticket.id, number=ticket.number, when=ticket.starts_at.isoformat(), via=via)


RATING_RANGE = range(1, 6)
REVIEW_LIMIT = 2000


def rate(session: Session, ticket: Ticket, *, user_id: int, rating: int | None, review: str = "",
         ip: str = "") -> None:
    """A past visit gets 1–5 stars and an optional review (R-CAB-14, R-CAB-15): only once the clinic has
    marked it visited (engine.registry.visits), so that a visit that never happened is not rated."""
    if ticket.user_id != user_id:
        raise Forbidden(N_("This ticket is not yours."))
    if ticket.status == T_MISSED:
        raise UserError(N_("This visit is marked as missed, so it cannot be rated."))
    if ticket.status == T_CONFIRMED and ticket.starts_at <= now():
        raise UserError(N_("The clinic has not yet marked this visit as attended; you can rate it once it has."))
    if ticket.status != T_VISITED:
        raise UserError(N_("Only a visit that has taken place can be rated."))
    if rating not in RATING_RANGE:
        raise UserError(N_("Choose from 1 to 5 stars."))
    review = (review or "").strip()
    if len(review) > REVIEW_LIMIT:
        raise UserError(N_("The review is too long: at most %(n)s characters."), n=REVIEW_LIMIT)
    ticket.rating = rating
    ticket.review = review
    ticket.rated_at = now()
    audit.record(session, "visit_rated", actor_id=user_id, ip=ip, object_type="ticket", object_id=ticket.id,
                 number=ticket.number, rating=rating)

