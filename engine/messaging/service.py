"""Conversations: enabling, reading and posting, each checked against the two participants.

A message posted here (from the web form or from the relay) is stored, its attachments go through the
documents checks, and a copy is queued for the other side whose From and Reply-To are the conversation's
relay address — never the sender's own address (R-MSG-03).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit, outbox, roles
from engine.accounts.models import DISABLED, User
from engine.clock import now
from engine.documents import service as documents
from engine.documents.storage import BlobStore
from engine.i18n import N_, Forbidden, NotFound, UserError
from engine.messaging.models import (
    CLOSED,
    CORRESPONDENCE,
    KINDS,
    OPEN,
    WEB,
    Conversation,
    ConversationMessage,
    MessageAttachment,
)

MAX_BODY_CHARS = 20_000
MAX_ATTACHMENTS = 10
RELAY_KIND = "relay_message"
# The relay refuses larger mail at SMTP time (552); the same figure bounds a whole message.
MAX_MESSAGE_BYTES = 25 * 1024 * 1024
HIDDEN = "[address hidden]"


@dataclass(frozen=True)
class Relay:
    """Where relay addresses live and where links in relayed mail point."""

    domain: str
    base_url: str

    def address(self, conversation: Conversation) -> str:
        return f"{conversation.relay_local}@{self.domain}"


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def new_relay_local() -> str:
    # 120 random bits; lower-case only, since mail systems may change the case of a local part.
    return "c" + secrets.token_hex(15)


def enable(session: Session, doctor: User, patient_id: int, *, kind: str = CORRESPONDENCE, reference: str = "",
           ip: str = "") -> Conversation:
    """The doctor switches correspondence on for a patient (R-MSG-02); again is a no-op, and a closed
    conversation opens again with the same relay address."""
    if not doctor.has_role(roles.DOCTOR):
        raise Forbidden(N_("Only a doctor may switch correspondence on."))
    if kind not in KINDS:
        raise UserError(N_("Unknown kind of conversation."))
    patient = session.get(User, patient_id) if isinstance(patient_id, int) else None
    if patient is None or not patient.has_role(roles.PATIENT) or patient.status == DISABLED:
        raise UserError(N_("There is no such patient."))
    conversation = session.scalar(select(Conversation).where(
        Conversation.doctor_id == doctor.id, Conversation.patient_id == patient.id,
        Conversation.kind == kind, Conversation.reference == reference))
    if conversation is None:
        conversation = Conversation(doctor_id=doctor.id, patient_id=patient.id, kind=kind, reference=reference,
                                    relay_local=new_relay_local(), status=OPEN, enabled_by=doctor.id,
                                    created_at=now())
        session.add(conversation)
        session.flush()
    elif conversation.status == OPEN:
        return conversation
    conversation.status, conversation.closed_at = OPEN, None
    audit.record(session, "correspondence_enabled", actor_id=doctor.id, subject_id=patient.id, ip=ip,
                 object_type="conversation", object_id=conversation.id)
    return conversation


def close(session: Session, doctor: User, conversation_id: int, *, ip: str = "") -> Conversation:
    conversation = get(session, doctor, conversation_id)
    if doctor.id != conversation.doctor_id:
        raise Forbidden(N_("Only the doctor may switch correspondence off."))
    if conversation.status == OPEN:
        conversation.status, conversation.closed_at = CLOSED, now()
        audit.record(session, "correspondence_closed", actor_id=doctor.id, subject_id=conversation.patient_id,
                     ip=ip, object_type="conversation", object_id=conversation.id)
    return conversation


def get(session: Session, user: User, conversation_id: int) -> Conversation:
    """The conversation if `user` is one of its two people; otherwise "not found", so ids cannot be probed."""
    conversation = session.get(Conversation, conversation_id) if isinstance(conversation_id, int) else None
    if conversation is None or user.id not in (conversation.doctor_id, conversation.patient_id):
        raise NotFound(N_("There is no such conversation."))
    return conversation


def find(session: Session, *, doctor_id: int, patient_id: int, kind: str = CORRESPONDENCE,
         reference: str = "") -> Conversation | None:
    return session.scalar(select(Conversation).where(
        Conversation.doctor_id == doctor_id, Conversation.patient_id == patient_id,
        Conversation.kind == kind, Conversation.reference == reference))


def conversations_of(session: Session, user: User) -> list[Conversation]:
    query = select(Conversation).where(
        (Conversation.doctor_id == user.id) | (Conversation.patient_id == user.id))
    return list(session.scalars(query.order_by(Conversation.id.desc())))


def other_side(conversation: Conversation, user_id: int) -> int:
    return conversation.patient_id if user_id == conversation.doctor_id else conversation.doctor_id


def by_relay_local(session: Session, local: str) -> Conversation | None:
    """An open conversation by its relay address's local part (case-insensitive), else None."""
    local = (local or "").strip().lower()
    if not local or len(local) > 40:
        return None
    conversation = session.scalar(select(Conversation).where(func.lower(Conversation.relay_local) == local))
    return conversation if conversation is not None and conversation.status == OPEN else None


def participant_by_email(session: Session, conversation: Conversation, email: str) -> User | None:
    """The participant whose registered address this is, or None: nobody else may write to a relay."""
    email = (email or "").strip().lower()
    for user_id in (conversation.doctor_id, conversation.patient_id):
        user = session.get(User, user_id)
        if user is not None and user.status != DISABLED and (user.email or "").lower() == email:
            return user
    return None


def post(session: Session, conversation: Conversation, sender: User, body: str, *, relay: Relay,
         store: BlobStore, attachments: Sequence[Upload] = (), limits: documents.Limits | None = None,
         via: str = WEB, ip: str = "") -> ConversationMessage:
    """Store a message and queue its copy for the other side (in the caller's transaction)."""
    if sender.id not in (conversation.doctor_id, conversation.patient_id):
        raise NotFound(N_("There is no such conversation."))
    if conversation.status != OPEN:
        raise UserError(N_("The doctor has switched this correspondence off."))
    body = (body or "").replace("\r\n", "\n").strip()
    if not body and not attachments:
        raise UserError(N_("Write a message or attach a file."))
    if len(body) > MAX_BODY_CHARS:
        raise UserError(N_("A message may have at most %(max)s characters."), max=MAX_BODY_CHARS)
    if len(attachments) > MAX_ATTACHMENTS:
        raise UserError(N_("At most %(max)s files can be attached to a message."), max=MAX_ATTACHMENTS)
    message = ConversationMessage(conversation_id=conversation.id, sender_id=sender.id, body=body, via=via,
                                  created_at=now())
    session.add(message)
    session.flush()
    receiver = session.get(User, other_side(conversation, sender.id))
    assert receiver is not None
    stored = []
    for item in attachments:
        # The same checks as every upload: type by content, size (R-DOC); a bad file stops the message.
        document = documents.upload(session, store, patient_id=conversation.patient_id, uploader_id=sender.id,
                                    filename=item.filename, data=item.data, ip=ip, limits=limits,
                                    purpose="message", reference=f"conversation:{conversation.id}")
        documents.grant(session, [document.id], receiver.id, reason=f"conversation:{conversation.id}")
        message.attachments.append(MessageAttachment(document_id=document.id, filename=document.filename))
        stored.append(document)
    session.flush()
    address = relay.address(conversation)
    if receiver.email:  # a patient reached only by SMS reads the message in the cabinet
        outbox.enqueue(
            session, kind=RELAY_KIND, to=receiver.email, user_id=receiver.id,
            locale=receiver.locale if receiver.locale in ("ru", "en") else "ru",
            dedupe_key=f"relay:{message.id}",
            # The files travel with the email too (the courier reads them from the store at delivery time).
            context={"sender": sender.full_name, "body": body,
                     "attachments": [{"storage_key": a.storage_key, "filename": a.filename,
                                      "content_type": a.content_type} for a in stored],
                     "link": f"{relay.base_url.rstrip('/')}/conversations/{conversation.id}",
                     # Honoured by the courier: From and Reply-To become the relay, never the sender.
                     "relay_from": address, "relay_name": f"{sender.full_name} (CarePath)"},
        )
    audit.record(session, "message_sent", actor_id=sender.id, subject_id=conversation.patient_id, ip=ip,
                 object_type="conversation", object_id=conversation.id, via=via,
                 attachments=len(message.attachments))
    return message


def attachment_document(session: Session, user: User, attachment_id: int) -> int:
    """The document id of an attachment the user may open (a participant of its conversation)."""
    attachment = session.get(MessageAttachment, attachment_id) if isinstance(attachment_id, int) else None
    if attachment is None:
        raise NotFound(N_("There is no such document."))
    message = session.get(ConversationMessage, attachment.message_id)
    assert message is not None
    get(session, user, message.conversation_id)
    return attachment.document_id
