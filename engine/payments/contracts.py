"""The contract for paid services: a versioned Markdown text per institution, shown before the first paid
booking and again whenever its version changes, signed with a one-time code (a simple electronic
signature: who, when, which version, the code's channel, the address). The signed copy is a PDF sealed
with the platform's signature, produced later (`produce_pending`, run by the signing background task)
and filed as the patient's document, listed with the personal-data consent in the cabinet."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from engine import audit, outbox
from engine.accounts.models import OneTimeToken, User
from engine.clock import now
from engine.config import LOCALES
from engine.db import transaction
from engine.documents.models import SUBMITTED, Document
from engine.documents.storage import FileStore
from engine.i18n import N_, NotFound, UserError
from engine.payments.models import (
    CODE_CHANNELS,
    PDF_FAILED,
    PDF_PENDING,
    PDF_RENDERED,
    ContractSignature,
    ContractText,
)
from engine.registry.models import Institution

log = logging.getLogger(__name__)
CODE_PURPOSE = "contract_code"
CODE_LIFETIME = timedelta(minutes=15)
MAX_CODE_ATTEMPTS = 5
MAX_PDF_ATTEMPTS = 5
TEXT_LIMIT = 100_000
# Set on a session that recorded a signature, so the composition wakes the signing background task.
REQUESTED_FLAG = "conclusions_requested"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def current(session: Session, institution_id: int) -> ContractText | None:
    return session.scalars(select(ContractText).where(ContractText.institution_id == institution_id)
                           .order_by(ContractText.version.desc()).limit(1)).first()


def publish(session: Session, *, institution_id: int, text: str, actor_id: int | None, ip: str = "") -> ContractText:
    """A new version (the old ones stay, as signed). The same text as the current one adds nothing."""
    body = (text or "").replace("\r\n", "\n").strip()
    if not body or len(body) > TEXT_LIMIT:
        raise UserError(N_("Enter the contract's text (Markdown, up to %(n)s characters)."), n=TEXT_LIMIT)
    if session.get(Institution, institution_id) is None:
        raise UserError(N_("There is no such institution."))
    latest = current(session, institution_id)
    if latest is not None and latest.text == body:
        return latest
    row = ContractText(institution_id=institution_id, version=(latest.version + 1) if latest else 1, text=body,
                       sha256=_sha(body), created_by=actor_id, created_at=now())
    session.add(row)
    session.flush()
    audit.record(session, "contract_published", actor_id=actor_id, ip=ip, object_type="payment_contract",
                 object_id=row.id, institution_id=institution_id, version=row.version)
    return row


def signature_of(session: Session, user_id: int, contract_id: int) -> ContractSignature | None:
    return session.scalars(select(ContractSignature).where(
        ContractSignature.user_id == user_id, ContractSignature.contract_id == contract_id).limit(1)).first()


def to_sign(session: Session, user_id: int, institution_id: int) -> ContractText | None:
    """The contract this patient must sign before a paid booking at the institution: the current version
    if they have not signed it (never signed, or the text changed since); None when nothing is needed."""
    latest = current(session, institution_id)
    if latest is None or signature_of(session, user_id, latest.id) is not None:
        return None
    return latest


def send_code(session: Session, user: User, contract: ContractText, *, channel: str = "email", ip: str = "") -> str:
    """A fresh 6-digit code to the patient's email (or phone); earlier codes stop working. Returns where."""
    if channel not in CODE_CHANNELS:
        raise UserError(N_("Choose where to send the code."))
    address = user.email if channel == "email" else user.phone
    if not address:
        raise UserError(N_("There is no address to send the code to. Add it in your profile."))
    session.execute(update(OneTimeToken).where(
        OneTimeToken.user_id == user.id, OneTimeToken.purpose == CODE_PURPOSE, OneTimeToken.used_at.is_(None),
    ).values(used_at=now(), detail="superseded"))
    code = f"{secrets.randbelow(10**6):06d}"
    session.add(OneTimeToken(user_id=user.id, purpose=CODE_PURPOSE, token_hash=_sha(code),
                             new_email=f"{channel}:{contract.id}", created_at=now(),
                             expires_at=now() + CODE_LIFETIME))
    institution = session.get(Institution, contract.institution_id)
    outbox.enqueue(session, kind="contract_code", to=address, channel=channel, user_id=user.id,
                   locale=user.locale if user.locale in LOCALES else LOCALES[0],
                   context={"code": code, "clinic": institution.name if institution else "",
                            "version": contract.version,
                            "expires_minutes": int(CODE_LIFETIME.total_seconds() // 60)})
    audit.record(session, "contract_code_sent", actor_id=user.id, ip=ip, object_type="payment_contract",
                 object_id=contract.id, channel=channel)
    return address


def sign(session: Session, user: User, contract_id: int, code: str, *, ip: str = "") -> ContractSignature:
    """Check the code (wrong ones count; five end it) and record the signature of this version."""
    contract = session.get(ContractText, contract_id)
    if contract is None:
        raise NotFound(N_("There is no such contract."))
    if current(session, contract.institution_id) is not contract:
        raise UserError(N_("The contract has a new version. Please read it again."))
    done = signature_of(session, user.id, contract.id)
    if done is not None:
        return done
    token = session.scalar(select(OneTimeToken).where(
        OneTimeToken.user_id == user.id, OneTimeToken.purpose == CODE_PURPOSE, OneTimeToken.used_at.is_(None),
    ).order_by(OneTimeToken.id.desc()).limit(1))
    channel, _, for_contract = (token.new_email or "").partition(":") if token else ("", "", "")
    if token is None or token.expires_at <= now() or for_contract != str(contract.id):
        raise UserError(N_("The code has expired. Ask for a new one."))
    if not hmac.compare_digest(token.token_hash, _sha((code or "").strip())):
        token.attempts += 1
        if token.attempts >= MAX_CODE_ATTEMPTS:
            token.used_at, token.detail = now(), "too many attempts"
            raise UserError(N_("Too many wrong codes. Ask for a new one."))
        raise UserError(N_("Wrong code. Attempts left: %(n)s."), n=MAX_CODE_ATTEMPTS - token.attempts)
    token.used_at = now()
    row = ContractSignature(
        user_id=user.id, contract_id=contract.id, institution_id=contract.institution_id, version=contract.version,
        text_sha256=contract.sha256, code_channel=channel, ip=(ip or "")[:45], signed_at=now(),
        code_sent_to=(user.email if channel == "email" else user.phone) or "",
        locale=user.locale if user.locale in LOCALES else LOCALES[0], pdf_status=PDF_PENDING,
        verification_code=secrets.token_urlsafe(32))
    session.add(row)
    session.flush()
    audit.record(session, "contract_signed", actor_id=user.id, ip=ip, object_type="payment_contract_signature",
                 object_id=row.id, institution_id=contract.institution_id, version=contract.version, channel=channel)
    session.info[REQUESTED_FLAG] = True
    return row


def signed_by(session: Session, user_id: int) -> list[tuple[ContractSignature, Institution]]:
    """The patient's signed contracts, newest first (the cabinet's personal data lists them)."""
    return [(s, i) for s, i in session.execute(
        select(ContractSignature, Institution).join(Institution, Institution.id == ContractSignature.institution_id)
        .where(ContractSignature.user_id == user_id).order_by(ContractSignature.signed_at.desc())).all()]


def find_by_code(session: Session, code: str) -> ContractSignature | None:
    """The signed contract issued under a verification code (the public /verify page)."""
    if not code or len(code) > 64:
        return None
    return session.scalar(select(ContractSignature).where(ContractSignature.verification_code == code))


# ---------------------------------------------------------------- the sealed PDF (background work)

class ContractPdfMaker(Protocol):
    def contract(self, content: Mapping[str, Any]) -> bytes: ...


def content_of(session: Session, row: ContractSignature, verify_url: str) -> dict[str, Any]:
    user = session.get(User, row.user_id)
    contract = session.get(ContractText, row.contract_id)
    institution = session.get(Institution, row.institution_id)
    assert user is not None and contract is not None and institution is not None
    zone = ZoneInfo(user.timezone or "Europe/Moscow")
    details = [line for line in (institution.address, institution.phones, institution.website) if line]
    return {
        "number": row.id, "locale": row.locale, "clinic_name": institution.name, "clinic_details": details,
        "patient_name": user.full_name, "text": contract.text, "version": str(contract.version),
        "text_sha256": contract.sha256, "accepted_at": row.signed_at.astimezone(zone), "ip": row.ip,
        "verify_url": verify_url, "code_channel": row.code_channel, "code_sent_to": row.code_sent_to,
    }


def any_pending(session_factory: sessionmaker[Session]) -> bool:
    with session_factory() as session:
        return session.scalar(select(ContractSignature.id).where(ContractSignature.pdf_status == PDF_PENDING)
                              .limit(1)) is not None


def produce_pending(session_factory: sessionmaker[Session], store: FileStore, maker: ContractPdfMaker,
                    base_url: str, *, limit: int = 50) -> int:
    """Render, seal and file every pending signed contract; each row in its own transactions."""
    with transaction(session_factory) as session:
        ids = list(session.scalars(select(ContractSignature.id).where(ContractSignature.pdf_status == PDF_PENDING)
                                   .order_by(ContractSignature.id).limit(limit)))
    produced = 0
    for row_id in ids:
        with transaction(session_factory) as session:
            row = session.get(ContractSignature, row_id)
            if row is None or row.pdf_status != PDF_PENDING:
                continue
            content = content_of(session, row, f"{base_url.rstrip('/')}/verify/{row.verification_code}")
        try:
            pdf = maker.contract(content)
        except Exception as exc:  # this row records its failure; the others go on
            log.exception("could not seal contract signature %s", row_id)
            with transaction(session_factory, immediate=True) as session:
                row = session.get(ContractSignature, row_id)
                if row is not None:
                    row.attempts += 1
                    row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                    if row.attempts >= MAX_PDF_ATTEMPTS:
                        row.pdf_status = PDF_FAILED
            continue
        key = store.put(pdf)
        with transaction(session_factory, immediate=True) as session:
            row = session.get(ContractSignature, row_id, with_for_update=True)
            if row is None or row.pdf_status != PDF_PENDING:
                continue
            stamp = now()
            document = Document(patient_id=row.user_id, uploaded_by=row.user_id, filename=f"contract-{row.id}.pdf",
                                content_type="application/pdf", size=len(pdf), sha256=hashlib.sha256(pdf).hexdigest(),
                                storage_key=key, status=SUBMITTED, purpose="contract",
                                reference=f"contract:{row.id}", created_at=stamp, submitted_at=stamp)
            session.add(document)
            session.flush()
            row.pdf_status, row.document_id = PDF_RENDERED, document.id
            audit.record(session, "contract_sealed", actor_id=None, subject_id=row.user_id, object_type="document",
                         object_id=document.id, version=row.version)
            produced += 1
    return produced
