"""Taking feedback and answering it. Every check runs before anything is written: bad input changes
nothing (a refused captcha is not spent either, so the person can fix the form and send it again)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit, outbox
from engine.clock import now
from engine.config import LOCALES
from engine.feedback import captcha
from engine.feedback.models import ANSWERED, NEW, FeedbackMessage
from engine.i18n import N_, NotFound, UserError
from engine.registry.models import Institution

TOPICS: dict[str, str] = {
    "question": N_("A question"),
    "booking": N_("Booking an appointment"),
    "consultation": N_("An online consultation"),
    "technical": N_("A technical problem with the site"),
    "suggestion": N_("A suggestion"),
    "complaint": N_("A complaint"),
    "gratitude": N_("Thanks"),
}
MESSAGE_LIMIT = 4000
NAME_LIMIT = 200
ANSWER_LIMIT = 4000
# Any HTML tag (<script>, <img onerror=…>, </a>): feedback is plain text, and a tag in it is either a
# mistake or an attack on whoever reads it.
HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>|<\s*script", re.IGNORECASE)
MAIL_KIND = "feedback_answer"


def _text(fields: Mapping[str, Any], name: str, label: str, limit: int, *, required: bool) -> str:
    value = str(fields.get(name) or "").strip()
    if required and not value:
        raise UserError(N_("Please fill in: %(field)s."), field=label)
    if len(value) > limit:
        raise UserError(N_("%(field)s is too long: at most %(limit)s characters."), field=label, limit=limit)
    if HTML_TAG.search(value):
        raise UserError(N_("%(field)s: please write plain text, without HTML tags such as <script>."), field=label)
    return value


def check(session: Session, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned fields, or UserError naming the first problem."""
    topic = str(fields.get("topic") or "")
    if topic not in TOPICS:
        raise UserError(N_("Please choose a topic."))
    message = _text(fields, "message", N_("Message"), MESSAGE_LIMIT, required=True)
    name = _text(fields, "name", N_("Your name"), NAME_LIMIT, required=False)
    email = _text(fields, "email", N_("Email for the answer"), 254, required=True)
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        raise UserError(N_("Please enter an email address we can answer to, such as name@example.ru.")) from None
    institution_id = None
    raw = str(fields.get("institution_id") or "").strip()
    if raw:
        found = session.get(Institution, int(raw)) if raw.isdigit() and len(raw) < 10 else None
        if found is None or not found.active:
            raise UserError(N_("There is no such medical institution; choose one from the list or leave it empty."))
        institution_id = found.id
    return dict(topic=topic, message=message, name=name, email=email, institution_id=institution_id)


def submit(session: Session, fields: Mapping[str, Any], *, captcha_payload: str, secret: str, locale: str,
           ip: str = "", user_id: int | None = None) -> FeedbackMessage:
    clean = check(session, fields)
    captcha.spend(session, secret, captcha_payload)
    row = FeedbackMessage(**clean, locale=locale if locale in LOCALES else "ru", ip=ip, user_id=user_id,
                          status=NEW, created_at=now())
    session.add(row)
    session.flush()
    return row


def listing(session: Session, *, status: str | None = None, limit: int = 200) -> list[FeedbackMessage]:
    query = select(FeedbackMessage)
    if status:
        query = query.where(FeedbackMessage.status == status)
    return list(session.scalars(query.order_by(FeedbackMessage.created_at.desc(), FeedbackMessage.id.desc()).limit(limit)))


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(FeedbackMessage.status, func.count()).group_by(FeedbackMessage.status))
    return {status: count for status, count in rows}


def get(session: Session, message_id: int) -> FeedbackMessage:
    row = session.get(FeedbackMessage, message_id)
    if row is None:
        raise NotFound(N_("There is no such message."))
    return row


def answer(session: Session, message_id: int, text: str, *, manager_id: int, ip: str = "") -> FeedbackMessage:
    """Keep the answer and queue it by email to the sender, in the caller's transaction; once only."""
    row = get(session, message_id)
    if row.status == ANSWERED:
        raise UserError(N_("This message has already been answered."))
    body = _text({"answer": text}, "answer", N_("Answer"), ANSWER_LIMIT, required=True)
    row.answer, row.answered_by, row.answered_at, row.status = body, manager_id, now(), ANSWERED
    outbox.enqueue(session, kind=MAIL_KIND, to=row.email, locale=row.locale, dedupe_key=f"feedback:{row.id}",
                   context={"question": row.message, "answer": body, "name": row.name})
    audit.record(session, "feedback_answered", actor_id=manager_id, ip=ip, object_type="feedback", object_id=row.id)
    return row
