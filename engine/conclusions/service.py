"""Requesting conclusions and consents (quick, in the caller's transaction) and producing their signed
PDFs (slow, in the conclusions flow).

`request_conclusion` and `record_consent` only write a pending row and set
`session.info[REQUESTED_FLAG]`, so the app composition can wake the flow once the transaction commits
(as the outbox does). `produce_pending` renders, signs and stores every pending row through a
`SignedPdfMaker` it is given (reports.signing.SignedDocuments; the engine never imports reports), files
the PDF as a patient document, and queues the email — each row in its own transactions, so one bad row
never holds up the others and a second run never produces a second PDF or email.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine import audit, outbox
from engine.accounts.models import User
from engine.clock import now
from engine.conclusions import details
from engine.conclusions.models import (
    FAILED,
    MAX_ATTEMPTS,
    PENDING,
    RENDERED,
    Conclusion,
    ConsentDocument,
)
from engine.conclusions.texts import TELEMEDICINE, telemedicine_consent
from engine.config import LOCALES
from engine.db import transaction
from engine.documents.models import SUBMITTED, Document
from engine.documents.service import grant
from engine.documents.storage import BlobStore
from engine.i18n import N_, NotFound, UserError
from engine.roles import DOCTOR

log = logging.getLogger(__name__)

REQUESTED_FLAG = "conclusions_requested"
MAIL_KIND = "conclusion_ready"
# ICD-10: a letter, two digits, optionally a dot and one or two more (I10, J45.0, S72.00).
ICD10 = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,2})?$")
# Doctors often type the code in the Russian layout: the Cyrillic letters that look Latin are the Latin ones.
_LOOKALIKES = str.maketrans("АВСЕНКМОРТХ", "ABCEHKMOPTX")
TEXT_LIMIT = 20000


class SignedPdfMaker(Protocol):
    """What produce_pending needs from reports: render and sign (reports.signing.SignedDocuments)."""

    def conclusion(self, content: Mapping[str, Any], *, doctor_id: int, doctor_name: str) -> bytes: ...

    def consent(self, content: Mapping[str, Any]) -> bytes: ...


def normalize_icd10(code: str) -> str:
    value = (code or "").strip().upper().translate(_LOOKALIKES).replace(",", ".")
    if not ICD10.match(value):
        raise UserError(N_("“%(code)s” is not an ICD-10 code (for example I10 or J45.0)."), code=(code or "")[:20])
    return value


def _user(session: Session, user_id: Any, message: str) -> User:
    try:
        user = session.get(User, int(user_id))
    except (TypeError, ValueError):
        user = None
    if user is None:
        raise NotFound(message)
    return user


def _text(value: Any, missing: str | None) -> str:
    """Trimmed text; `missing` is the message when it must not be empty (None: optional)."""
    text = str(value or "").strip()
    if missing is not None and not text:
        raise UserError(missing)
    if len(text) > TEXT_LIMIT:
        raise UserError(N_("The text of the conclusion is too long (at most %(limit)s characters per field)."),
                        limit=TEXT_LIMIT)
    return text


def _code() -> str:
    return secrets.token_urlsafe(24)  # 192 bits: never guessed, never enumerated


def request_conclusion(
    session: Session,
    *,
    patient_id: int,
    doctor_id: int,
    reference: str,
    diagnosis_code: str,
    diagnosis_text: str,
    findings: str,
    recommendations: str,
    follow_up: str,
) -> Conclusion:
    """A pending conclusion, signed and delivered by the conclusions flow after this transaction commits."""
    patient = _user(session, patient_id, N_("There is no such patient."))
    doctor = _user(session, doctor_id, N_("There is no such doctor."))
    if not (doctor.has_role(DOCTOR) and doctor.can_act_medically):
        raise UserError(N_("Only a doctor can sign a conclusion."))
    conclusion = Conclusion(
        patient_id=patient.id,
        doctor_id=doctor.id,
        reference=str(reference or "")[:80],
        locale=patient.locale if patient.locale in LOCALES else LOCALES[0],
        diagnosis_code=normalize_icd10(diagnosis_code),
        diagnosis_text=_text(diagnosis_text, N_("Write the diagnosis in words next to its ICD-10 code.")),
        findings=_text(findings, N_("Write the findings of the consultation.")),
        recommendations=_text(recommendations, N_("Write the recommendations for the patient.")),
        follow_up=_text(follow_up, None),
        status=PENDING,
        verification_code=_code(),
        created_at=now(),
    )
    session.add(conclusion)
    session.flush()
    audit.record(session, "conclusion_requested", actor_id=doctor.id, subject_id=patient.id,
                 object_type="conclusion", object_id=conclusion.id, reference=conclusion.reference)
    session.info[REQUESTED_FLAG] = True
    return conclusion


def record_consent(
    session: Session,
    *,
    patient_id: int,
    reference: str,
    locale: str | None = None,
    version: str | None = None,
    ip: str = "",
    doctor_id: int | None = None,
    accepted_at: datetime | None = None,
) -> ConsentDocument:
    """The patient accepted the telemedicine consent text (ИДС) shown in `locale`; its PDF follows.

    `version` is the version the page showed: if the text changed meanwhile, the patient must read the
    new one, since the record has to name the text actually accepted.
    """
    patient = _user(session, patient_id, N_("There is no such patient."))
    text = telemedicine_consent(locale or patient.locale)
    if version is not None and str(version) != text.version:
        raise UserError(N_("The consent text has changed. Please read it again."))
    if doctor_id is not None:
        _user(session, doctor_id, N_("There is no such doctor."))
    record = ConsentDocument(
        patient_id=patient.id,
        reference=str(reference or "")[:80],
        locale=text.locale,
        kind=TELEMEDICINE,
        version=text.version,
        text_sha256=text.sha256,
        accepted_at=accepted_at or now(),
        ip=(ip or "")[:45],
        doctor_id=int(doctor_id) if doctor_id is not None else None,
        status=PENDING,
        verification_code=_code(),
        created_at=now(),
    )
    session.add(record)
    session.flush()
    audit.record(session, "consent_given", actor_id=patient.id, ip=ip, object_type="consent_document",
                 object_id=record.id, reference=record.reference, version=text.version)
    session.info[REQUESTED_FLAG] = True
    return record


# ---------------------------------------------------------------- production (the flow's work)


@dataclass(frozen=True)
class _Job:
    model: type[Conclusion] | type[ConsentDocument]
    id: int


def _get(session: Session, job: _Job, **options: Any) -> Conclusion | ConsentDocument | None:
    return cast("Conclusion | ConsentDocument | None", session.get(job.model, job.id, **options))


class _Lost(Exception):
    """Another run rendered this row first; this run's work is dropped."""


def verify_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/verify/{code}"


def pending_jobs(session: Session, limit: int) -> list[_Job]:
    jobs: list[_Job] = []
    for model in (ConsentDocument, Conclusion):
        ids = session.scalars(select(model.id).where(model.status == PENDING).order_by(model.id).limit(limit))
        jobs += [_Job(model, i) for i in ids]
    return jobs


def produce_pending(
    session_factory: sessionmaker[Session],
    store: BlobStore,
    signer_provider: SignedPdfMaker,
    base_url: str,
    *,
    limit: int = 50,
) -> int:
    """Render, sign and store every pending consent and conclusion; returns how many were produced."""
    with transaction(session_factory) as session:
        jobs = pending_jobs(session, limit)
    produced = 0
    for job in jobs:
        if _produce(session_factory, store, signer_provider, base_url, job):
            produced += 1
    return produced


def _produce(
    session_factory: sessionmaker[Session], store: BlobStore, maker: SignedPdfMaker, base_url: str, job: _Job,
) -> bool:
    with transaction(session_factory) as session:
        row = _get(session, job)
        if row is None or row.status != PENDING:
            return False
        url = verify_url(base_url, row.verification_code)
        if isinstance(row, Conclusion):
            content, doctor = details.conclusion_content(session, row, url)
            signer = (doctor.id, doctor.full_name)
        else:
            content, signer = details.consent_content(session, row, url), None
    try:
        # Outside any transaction: rendering and signing take tens of milliseconds, and hold no locks.
        if signer is not None:
            pdf = maker.conclusion(content, doctor_id=signer[0], doctor_name=signer[1])
        else:
            pdf = maker.consent(content)
    except Exception as exc:  # a failure of this row is recorded on it; the other rows go on
        log.exception("could not produce %s %s", job.model.__tablename__, job.id)
        _failed(session_factory, job, exc)
        return False
    key = store.put(pdf)
    try:
        with transaction(session_factory) as session:
            _file(session, job, pdf, key, base_url)
    except _Lost:
        return False
    return True


def _file(session: Session, job: _Job, pdf: bytes, key: str, base_url: str) -> None:
    row = _get(session, job)
    assert row is not None
    is_conclusion = isinstance(row, Conclusion)
    purpose = "conclusion" if is_conclusion else "consent"
    author = row.doctor_id if is_conclusion else row.patient_id
    stamp = now()
    document = Document(
        patient_id=row.patient_id, uploaded_by=author, filename=f"{purpose}-{row.id}.pdf",
        content_type="application/pdf", size=len(pdf), sha256=hashlib.sha256(pdf).hexdigest(),
        storage_key=key, status=SUBMITTED, purpose=purpose, reference=row.reference,
        created_at=stamp, submitted_at=stamp,
    )
    session.add(document)
    session.flush()
    # The claim: only the run whose UPDATE matches a still-pending row keeps its work.
    claimed = cast(CursorResult[Any], session.execute(
        update(job.model)
        .where(job.model.id == row.id, job.model.status == PENDING)
        .values(status=RENDERED, document_id=document.id, rendered_at=stamp, last_error=None)
        .execution_options(synchronize_session=False)
    )).rowcount
    if claimed != 1:
        raise _Lost()
    if row.doctor_id is not None:
        grant(session, [document.id], row.doctor_id, reason=f"{purpose}:{row.id}")
    audit.record(session, "conclusion_signed" if is_conclusion else "consent_signed", actor_id=None,
                 subject_id=row.patient_id, object_type="document", object_id=document.id,
                 reference=row.reference)
    if isinstance(row, Conclusion):
        _queue_mail(session, row, document, base_url)


def _queue_mail(session: Session, row: Conclusion, document: Document, base_url: str) -> None:
    patient = session.get(User, row.patient_id)
    doctor = session.get(User, row.doctor_id)
    if patient is None or doctor is None or not patient.email or not patient.notify_email:
        return
    base = base_url.rstrip("/")
    local = (row.created_at).astimezone(ZoneInfo(patient.timezone or "Europe/Moscow"))
    outbox.enqueue(
        session,
        kind=MAIL_KIND,
        to=patient.email,
        user_id=patient.id,
        locale=row.locale,
        dedupe_key=f"{MAIL_KIND}:{row.id}",
        context={
            "name": patient.first_name,
            "number": row.id,
            "doctor": doctor.full_name,
            "date": f"{local:%d.%m.%Y}",
            "link": f"{base}/history",
            "verify_link": verify_url(base, row.verification_code),
            # Read from the file store when the mail is sent (integrations.courier), not copied here.
            "attachments": [{"storage_key": document.storage_key, "filename": document.filename,
                             "content_type": document.content_type}],
        },
    )


def _failed(session_factory: sessionmaker[Session], job: _Job, error: BaseException) -> None:
    with transaction(session_factory) as session:
        row = _get(session, job)
        if row is None or row.status != PENDING:
            return
        row.attempts += 1
        row.last_error = f"{error.__class__.__name__}: {error}"[:2000]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = FAILED


def find_by_code(session: Session, code: str) -> Conclusion | ConsentDocument | None:
    """The document issued under a verification code (the public /verify page)."""
    if not code or len(code) > 64:
        return None
    conclusion = session.scalar(select(Conclusion).where(Conclusion.verification_code == code))
    if conclusion is not None:
        return conclusion
    return session.scalar(select(ConsentDocument).where(ConsentDocument.verification_code == code))


def history(session: Session, patient_id: int) -> tuple[list[ConsentDocument], list[Conclusion]]:
    """The patient's consents and conclusions, newest first (both pending and produced)."""
    consents = session.scalars(
        select(ConsentDocument).where(ConsentDocument.patient_id == patient_id, ConsentDocument.status != FAILED)
        .order_by(ConsentDocument.id.desc())
    )
    conclusions = session.scalars(
        select(Conclusion).where(Conclusion.patient_id == patient_id, Conclusion.status != FAILED)
        .order_by(Conclusion.id.desc())
    )
    return list(consents), list(conclusions)
