"""Uploading, submitting, withdrawing and reading documents, each checked against who is asking."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import filetype
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.clock import now
from engine.documents.models import DRAFT, SUBMITTED, WITHDRAWN, Document, DocumentGrant
from engine.documents.storage import BlobStore
from engine.i18n import N_, Forbidden, NotFound, UserError

# What patients may send (R-DOC): the type is decided by the bytes, never by the name or the browser.
ALLOWED_TYPES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
DEFAULT_MAX_MB = 20


@dataclass(frozen=True)
class Limits:
    max_bytes: int = DEFAULT_MAX_MB * 1024 * 1024
    allowed: tuple[str, ...] = tuple(ALLOWED_TYPES)


def sniff(data: bytes) -> str | None:
    kind = filetype.guess(data[:8192])
    return kind.mime if kind else None


def check_file(filename: str, data: bytes, limits: Limits) -> str:
    """The content type, or a UserError saying what is wrong with this file."""
    name = (filename or "file")[:120]
    if not data:
        raise UserError(N_("“%(name)s” is empty."), name=name)
    if len(data) > limits.max_bytes:
        raise UserError(N_("“%(name)s” is larger than %(size)s MB."), name=name,
                        size=limits.max_bytes // (1024 * 1024))
    content_type = sniff(data)
    if content_type not in limits.allowed:
        raise UserError(N_("“%(name)s” is not an accepted file type. Accepted: %(types)s."), name=name,
                        types=", ".join(ALLOWED_TYPES.get(t, t) for t in limits.allowed))
    return content_type


def upload(
    session: Session, store: BlobStore, *, patient_id: int, uploader_id: int, filename: str, data: bytes,
    ip: str = "", limits: Limits | None = None, purpose: str = "", reference: str = "",
) -> Document:
    content_type = check_file(filename, data, limits or Limits())
    safe_name = "".join(ch for ch in (filename or "file") if ch.isprintable() and ch not in '/\\"')[:255] or "file"
    document = Document(
        patient_id=patient_id, uploaded_by=uploader_id, filename=safe_name, content_type=content_type,
        size=len(data), sha256=hashlib.sha256(data).hexdigest(), storage_key=store.put(data),
        status=DRAFT, purpose=purpose, reference=reference, created_at=now(),
    )
    session.add(document)
    session.flush()
    audit.record(session, "document_uploaded", actor_id=uploader_id, subject_id=patient_id, ip=ip,
                 object_type="document", object_id=document.id, filename=safe_name)
    return document


def _own_document(session: Session, document_id: int, user_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None or document.status == WITHDRAWN:
        raise NotFound(N_("There is no such document."))
    if user_id not in (document.patient_id, document.uploaded_by):
        raise Forbidden(N_("This document is not yours."))
    return document


def submit(session: Session, document_ids: Iterable[int], *, user_id: int, reference: str) -> list[Document]:
    """Send drafts with an application; from now on they cannot be deleted."""
    documents = [_own_document(session, doc_id, user_id) for doc_id in document_ids]
    for document in documents:
        if document.status == DRAFT:
            document.status = SUBMITTED
            document.submitted_at = now()
            document.reference = reference
    return documents


def withdraw(session: Session, document_id: int, *, user_id: int, ip: str = "") -> None:
    document = _own_document(session, document_id, user_id)
    if document.status == SUBMITTED:
        raise UserError(N_("A document sent with an application cannot be deleted."))
    document.status = WITHDRAWN
    audit.record(session, "document_withdrawn", actor_id=user_id, subject_id=document.patient_id, ip=ip,
                 object_type="document", object_id=document.id)


def grant(session: Session, document_ids: Iterable[int], user_id: int, reason: str) -> None:
    """Let someone else read these documents (e.g. the doctor reviewing an application)."""
    for doc_id in document_ids:
        exists = session.scalar(
            select(DocumentGrant.id).where(DocumentGrant.document_id == doc_id, DocumentGrant.user_id == user_id)
        )
        if exists is None:
            session.add(DocumentGrant(document_id=doc_id, user_id=user_id, reason=reason, granted_at=now()))
    session.flush()


def may_read(session: Session, document: Document, user_id: int) -> bool:
    if user_id in (document.patient_id, document.uploaded_by):
        return True
    return session.scalar(
        select(DocumentGrant.id).where(DocumentGrant.document_id == document.id, DocumentGrant.user_id == user_id)
    ) is not None


def read(session: Session, store: BlobStore, document_id: int, *, user_id: int, ip: str = "",
         granted: bool = False) -> tuple[Document, bytes]:
    """The document and its bytes for a reader who may see it; every view goes to the journal.
    `granted`: the caller has established access otherwise (a doctor of the queue a review waits in)."""
    document = session.get(Document, document_id)
    if document is None or document.status == WITHDRAWN:
        raise NotFound(N_("There is no such document."))
    if not granted and not may_read(session, document, user_id):
        raise Forbidden(N_("You do not have access to this document."))
    audit.record(session, "document_viewed", actor_id=user_id, subject_id=document.patient_id, ip=ip,
                 object_type="document", object_id=document.id)
    return document, store.read(document.storage_key)


def for_patient(session: Session, patient_id: int, *, reference: str | None = None) -> list[Document]:
    query = select(Document).where(Document.patient_id == patient_id, Document.status != WITHDRAWN)
    if reference is not None:
        query = query.where(Document.reference == reference)
    return list(session.scalars(query.order_by(Document.created_at.desc(), Document.id.desc())))
