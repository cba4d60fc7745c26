"""Messages about a ticket, queued in the outbox in the caller's transaction.

The channel follows how the person booked: a code sent by SMS means the rest goes by SMS too (the seed
sends the annulment by SMS to the number given); otherwise email. A booking from the cabinet never
gets an SMS (R-BOOK-41).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine import outbox
from engine.accounts.models import User
from engine.registry.models import Doctor, DoctorPost, Institution, Ticket
from engine.timezones import appointment_label

KINDS = ("ticket_code", "ticket_confirmed", "ticket_annulled", "ticket_cancelled", "schedule_changed")
CALENDAR_KINDS = frozenset({"ticket_confirmed"})  # the ticket mail carries the visit as an .ics


def local_time(ticket: Ticket, institution: Institution, reader_zone: str | None = None) -> str:
    """The visit in the institution's time, its zone named unless the reader's zone is known to match
    (a person without an account has no zone on file: it is always named)."""
    return appointment_label(ticket.starts_at, institution.timezone, reader_zone, ticket.locale)


def hold_end(session: Session, ticket: Ticket) -> str:
    """Until when an unconfirmed ticket is held: on the same clock as the visit (the institution's), so
    that one page or mail never mixes two zones; named like the visit's time."""
    institution = session.get(Institution, ticket.institution_id)
    assert institution is not None and ticket.hold_expires_at is not None
    return appointment_label(ticket.hold_expires_at, institution.timezone, _reader_zone(session, ticket),
                             ticket.locale, "%H:%M")


def _reader_zone(session: Session, ticket: Ticket) -> str | None:
    if not ticket.from_cabinet:
        return None
    user = session.get(User, ticket.user_id)
    return user.timezone if user is not None else None


def ticket_context(session: Session, ticket: Ticket) -> dict[str, Any]:
    institution = session.get(Institution, ticket.institution_id)
    doctor = session.get(Doctor, ticket.doctor_id)
    post = session.get(DoctorPost, ticket.post_id)
    assert institution is not None and doctor is not None and post is not None
    return {
        "name": ticket.first_name,
        "number": ticket.number or "",
        "doctor": doctor.full_name,
        "specialty": post.specialty.name,
        "institution": institution.name,
        "address": institution.address,
        "when": local_time(ticket, institution, _reader_zone(session, ticket)),
    }


def notify(session: Session, ticket: Ticket, kind: str, *, base_url: str = "", link: str = "",
           extra: dict[str, Any] | None = None) -> bool:
    """Queue `kind` for the ticket's person; False when there is no address to write to."""
    if kind not in KINDS:
        raise ValueError(f"unknown ticket message {kind!r}")
    channel = outbox.SMS if ticket.code_channel == outbox.SMS and ticket.phone else outbox.EMAIL
    to = ticket.phone if channel == outbox.SMS else ticket.email
    if not to:
        return False
    context = ticket_context(session, ticket)
    context["link"] = link or (f"{base_url.rstrip('/')}/registry/my" if ticket.from_cabinet and base_url else "")
    context["site"] = f"{base_url.rstrip('/')}/registry/" if base_url else ""
    if kind == "ticket_confirmed" and not ticket.from_cabinet and base_url:
        # Booked without an account: cancelled with the number and the identity used (webui registry).
        context["cancel_link"] = f"{base_url.rstrip('/')}/registry/cancel?number={ticket.number}"
    if kind in CALENDAR_KINDS and channel == outbox.EMAIL:
        context["attachments"] = [outbox.calendar_attachment(
            uid=f"ticket-{ticket.number}@carepath", starts_at=ticket.starts_at, ends_at=ticket.ends_at,
            location=f"{context['institution']}, {context['address']}", filename=f"ticket-{ticket.number}.ics")]
    context.update(extra or {})
    # The code message may be sent again only with a new code; every other kind once per ticket.
    key = f"registry:{ticket.id}:{kind}" + (f":{ticket.code_attempts}:{ticket.code_hash}" if kind == "ticket_code" else "")
    outbox.enqueue(session, kind=kind, to=to, context=context, locale=ticket.locale, dedupe_key=key[:255],
                   channel=channel, user_id=None if not ticket.from_cabinet else ticket.user_id)
    return True
